/*
 * scrape_client SOCKET PATH N: GETs PATH N times over one keep-alive
 * connection to the stats socket (libcurl) and prints the rate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <curl/curl.h>

static size_t count_bytes(char *data, size_t size, size_t n, void *userp)
{
	(void)data;
	*(size_t *)userp += size * n;
	return size * n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char url[256];
	size_t bytes = 0;
	long status = 0, n;
	double t0, dt;
	CURL *c;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: scrape_client SOCKET PATH N\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	snprintf(url, sizeof(url), "http://hostmon%s", argv[2]);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, argv[1]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
		    status != 200) {
			fprintf(stderr, "scrape_client: request %ld to %s failed (HTTP %ld)\n", i,
				argv[2], status);
			return 1;
		}
	}
	dt = now_s() - t0;
	printf("%-14s %6ld requests in %6.2f s: %8.0f req/s, %7.0f bytes per answer\n", argv[2], n,
	       dt, n / dt, (double)bytes / n);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return 0;
}
