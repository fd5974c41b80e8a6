/* Alertmanager v2 client: a ring of queued alerts, batched POSTs, backoff; see am.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "alog.h"
#include "am.h"

struct am_item {
	char *json;
	size_t len;
	char name[ALERT_VALUE_LEN]; /* alertname and its key label, for the log */
	void *owner;
	void *token;
};

struct am {
	struct am_cfg cfg;
	am_done_fn done;
	void *ctx;
	CURL *curl;
	struct curl_slist *headers;
	char endpoint[600];
	struct am_item *items;	/* ring of queue_max */
	size_t head, n;
	uint64_t next_try_ns;
	uint64_t backoff_ns;
	struct am_stats stats;
};

struct am *am__new(const struct am_cfg *cfg, am_done_fn done, void *ctx)
{
	struct am *am = calloc(1, sizeof(*am));

	if (!am)
		return NULL;
	am->cfg = *cfg;
	am->done = done;
	am->ctx = ctx;
	snprintf(am->endpoint, sizeof(am->endpoint), "%s/api/v2/alerts", cfg->url);
	am->items = calloc(cfg->queue_max, sizeof(*am->items));
	am->curl = curl_easy_init();
	am->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!am->items || !am->curl || !am->headers) {
		am__free(am, 0);
		errno = ENOMEM;
		return NULL;
	}
	return am;
}

static struct am_item *item_at(struct am *am, size_t i)
{
	return &am->items[(am->head + i) % am->cfg.queue_max];
}

/* Removes the oldest item, telling its owner how it ended. */
static void pop(struct am *am, enum am_outcome outcome)
{
	struct am_item *it = item_at(am, 0);

	am->done(am->ctx, it->token, outcome);
	free(it->json);
	memset(it, 0, sizeof(*it));
	am->head = (am->head + 1) % am->cfg.queue_max;
	am->n--;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void am__free(struct am *am, long wait_ms)
{
	uint64_t until;

	if (!am)
		return;
	until = now_ns() + (uint64_t)wait_ms * 1000000ULL;
	while (am->n && am->curl && now_ns() < until) {
		am__pump(am, now_ns());
		if (am->n)
			nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	while (am->n)
		pop(am, AM_RELEASED);
	curl_slist_free_all(am->headers);
	if (am->curl)
		curl_easy_cleanup(am->curl);
	free(am->items);
	free(am);
}

int am__enqueue(struct am *am, const struct alert *a, void *owner, void *token)
{
	struct am_item *it;
	const char *key = alert_get(a, "host");
	char *json = alert_to_json(a, am->cfg.generator_url);

	if (!json)
		return -ENOMEM;
	if (am->n == am->cfg.queue_max) {
		alog(ALOG_WARN, "alertmanager", "queue full (%zu alerts): dropping the oldest, %s",
		     am->cfg.queue_max, item_at(am, 0)->name);
		am->stats.dropped++;
		pop(am, AM_DROPPED);
	}
	it = item_at(am, am->n++);
	it->json = json;
	it->len = strlen(json);
	it->owner = owner;
	it->token = token;
	if (!key)
		key = alert_get(a, "exe");
	snprintf(it->name, sizeof(it->name), "%s{%s}", alert_get(a, "alertname"), key ? key : "");
	return 0;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user)
{
	(void)ptr;
	(void)user;
	return size * nmemb;
}

/* "[a,b,...]" of the first count items. */
static char *batch_body(struct am *am, size_t count)
{
	size_t len = 3, off = 0;
	char *body;

	for (size_t i = 0; i < count; i++)
		len += item_at(am, i)->len + 1;
	body = malloc(len);
	if (!body)
		return NULL;
	body[off++] = '[';
	for (size_t i = 0; i < count; i++) {
		const struct am_item *it = item_at(am, i);

		if (!it->json) /* never queued without one; an emptied slot is skipped */
			continue;
		if (i)
			body[off++] = ',';
		memcpy(body + off, it->json, it->len);
		off += it->len;
	}
	body[off++] = ']';
	body[off] = '\0';
	return body;
}

/* One POST; 0 when Alertmanager answered 2xx. */
static int post(struct am *am, const char *body)
{
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(am->curl, CURLOPT_URL, am->endpoint);
	curl_easy_setopt(am->curl, CURLOPT_HTTPHEADER, am->headers);
	curl_easy_setopt(am->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(am->curl, CURLOPT_TIMEOUT_MS, am->cfg.timeout_ms);
	curl_easy_setopt(am->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(am->curl, CURLOPT_WRITEFUNCTION, discard);
	am->stats.requests++;
	rc = curl_easy_perform(am->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(am->curl, CURLINFO_RESPONSE_CODE, &status);
	am->stats.last_status = status;
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	am->stats.errors++;
	alog(ALOG_WARN, "alertmanager", "POST %s failed: %s (%zu alerts queued, next try in %llu ms)",
	     am->endpoint, rc != CURLE_OK ? curl_easy_strerror(rc) : status == 400 ? "400 bad request" : "HTTP error",
	     am->n, (unsigned long long)(am->backoff_ns ? am->backoff_ns * 2 : am->cfg.retry_min_ns) / 1000000);
	return -EIO;
}

size_t am__pump(struct am *am, uint64_t now)
{
	size_t count = am->n < am->cfg.batch_max ? am->n : am->cfg.batch_max;
	char *body;

	if (!count || now < am->next_try_ns)
		return am->n;
	body = batch_body(am, count);
	if (!body)
		return am->n;
	if (post(am, body)) {
		am->backoff_ns = am->backoff_ns ? am->backoff_ns * 2 : am->cfg.retry_min_ns;
		if (am->backoff_ns > am->cfg.retry_max_ns)
			am->backoff_ns = am->cfg.retry_max_ns;
		am->next_try_ns = now + am->backoff_ns;
	} else {
		for (size_t i = 0; i < count; i++) {
			alog(ALOG_INFO, "alertmanager", "sent %s", item_at(am, 0)->name);
			pop(am, AM_DELIVERED);
		}
		am->stats.sent += count;
		am->backoff_ns = 0;
		am->next_try_ns = 0;
	}
	free(body);
	return am->n;
}

void am__release_owner(struct am *am, const void *owner)
{
	size_t keep = 0, n = am->n;

	/* compact in place: the owner's items leave, the others keep their order */
	for (size_t i = 0; i < n; i++) {
		struct am_item it = *item_at(am, i);

		if (it.owner == owner) {
			am->done(am->ctx, it.token, AM_RELEASED);
			free(it.json);
		} else {
			*item_at(am, keep++) = it;
		}
	}
	for (size_t i = keep; i < n; i++)
		memset(item_at(am, i), 0, sizeof(struct am_item));
	am->n = keep;
}

size_t am__queued_of(const struct am *am, const void *owner)
{
	size_t count = 0;

	for (size_t i = 0; i < am->n; i++)
		if (am->items[(am->head + i) % am->cfg.queue_max].owner == owner)
			count++;
	return count;
}

void am__stats(const struct am *am, struct am_stats *out)
{
	*out = am->stats;
	out->queued = am->n;
}
