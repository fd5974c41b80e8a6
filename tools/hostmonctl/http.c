/* libcurl over a Unix socket: the whole body in memory, errors as one line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <curl/curl.h>
#include "http.h"

#define CTL_HTTP_TIMEOUT_MS	10000L

static size_t on_data(char *data, size_t size, size_t n, void *userp)
{
	struct ctl_http_resp *r = userp;
	size_t add = size * n;
	char *body = realloc(r->body, r->len + add + 1);

	if (!body)
		return 0;
	memcpy(body + r->len, data, add);
	r->len += add;
	body[r->len] = '\0';
	r->body = body;
	return add;
}

/* Why connecting to sock fails, in the kernel's words (curl's are about ports). */
static const char *connect_error(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		err = errno;
	if (fd >= 0)
		close(fd);
	return err ? strerror(err) : NULL;
}

int ctl_http_call(const char *sock, const char *method, const char *path,
		  struct ctl_http_resp *r, char *err, size_t errlen)
{
	char url[512], cerr[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (!c) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	snprintf(url, sizeof(url), "http://hostmon%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, CTL_HTTP_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	if (rc == CURLE_COULDNT_CONNECT && connect_error(sock)) {
		snprintf(err, errlen, "cannot reach hostmond at %s: %s (is it running?)", sock,
			 connect_error(sock));
	} else if (rc != CURLE_OK) {
		snprintf(err, errlen, "cannot reach hostmond at %s: %s", sock,
			 cerr[0] ? cerr : curl_easy_strerror(rc));
	}
	if (rc != CURLE_OK) {
		free(r->body);
		memset(r, 0, sizeof(*r));
		return -1;
	}
	if (!r->body)
		r->body = calloc(1, 1);
	return 0;
}
