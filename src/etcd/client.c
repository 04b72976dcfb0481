/*
 * The connection to the cluster: etcd's v3 JSON gateway over HTTP(S)
 * through libcurl. Configured from the environment, as etcdctl is from
 * ETCDCTL_*: IPCCTL_ETCD_ENDPOINTS (tried in turn on a connection
 * failure, a timeout or a 503), _PREFIX, _TIMEOUT (every request, dial
 * included), _CACERT, _CERT, _KEY, _USER and _PASSWORD_FILE, _HOST,
 * _MAX_REQUEST (the cluster's limit on a request, which no API tells). The
 * password is read from its file, sent in one request body, and never
 * printed.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "etcd/etcd.h"

#define MAX_ENDPOINTS	16

struct etcd {
	CURL		*curl;
	char		*endpoints[MAX_ENDPOINTS];
	char		*why[MAX_ENDPOINTS];	/* each one's last failure */
	size_t		 n, cur;		/* endpoints; the one in use */
	long		 timeout_ms;
	long long	 max_request;		/* bytes */
	const char	*prefix;
	char		 host[256];
	char		*auth;			/* "Authorization: TOKEN" */
	char		 errbuf[CURL_ERROR_SIZE];
	pid_t		 pid;			/* whose connections */
	bool		 reached;		/* the last request may have */
};

struct body {
	char		*p;
	size_t		 len, max;		/* max: more is an error */
	bool		 too_long;
	/* A watch: stop once a message holds events, or is garbage. */
	bool		 watch;
	bool		 woken, garbage;
	size_t		 seen;			/* bytes of whole messages */
	long long	 from;			/* the revision watched from */
};

/*
 * Whether a watch's messages, complete up to the last newline, say to
 * look again: an event, or the watch canceled (compacted). A message
 * that is not the gateway's, or an event from before the revision
 * watched from, is garbage: the transfer ends with an error, so that
 * neither a stream of garbage nor events at once make a waiter spin.
 */
static void
watch_lines(struct body *b)
{
	json_t *j, *r, *ev;
	char *nl;
	size_t i;

	while (!b->woken && !b->garbage && (nl = memchr(b->p + b->seen, '\n',
	    b->len - b->seen)) != NULL) {
		*nl = '\0';
		j = json_loads(b->p + b->seen, 0, NULL);
		*nl = '\n';
		b->seen = nl + 1 - b->p;
		r = json_object_get(j, "result");
		ev = json_object_get(r, "events");
		/* The stream's error (no leader): the next request says. */
		if (json_is_object(json_object_get(j, "error")))
			b->woken = true;
		else if (!json_is_object(r) || !json_is_object(json_object_get(r,
		    "header")) || (ev != NULL && !json_is_array(ev)))
			b->garbage = true;
		for (i = 0; !b->garbage && i < json_array_size(ev); i++)
			if (j_get_int(json_object_get(json_array_get(ev, i),
			    "kv"), "mod_revision") < b->from)
				b->garbage = true;
		if (json_array_size(ev) > 0 || json_is_true(json_object_get(r,
		    "canceled")))
			b->woken = !b->garbage;
		json_decref(j);
	}
	/* What was seen is done with: memory bounded by one message. */
	if (b->seen > 0) {
		memmove(b->p, b->p + b->seen, b->len - b->seen + 1);
		b->len -= b->seen;
		b->seen = 0;
	}
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	char *q;

	n *= size;
	if (b->len + n > b->max) {
		b->too_long = true;
		return 0;		/* an error: end the transfer */
	}
	if ((q = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	b->p = q;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	if (b->watch) {
		watch_lines(b);
		if (b->woken || b->garbage)
			return 0;	/* enough: end the transfer */
	}
	return n;
}

/* A watch ends early when a signal is noted: its wait is the one to end. */
static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	(void)arg;
	(void)a;
	(void)b;
	(void)c;
	(void)d;
	return signal_noted() != 0;
}

/*
 * IPCCTL_ETCD_NAME, or where it is unset etcdctl's ETCDCTL_NAME for
 * ENDPOINTS, CACERT, CERT, KEY and USER: etcdctl's users have those set
 * already. Never a password from the environment: ETCDCTL_USER's
 * ":PASSWORD" is cut off, ETCDCTL_PASSWORD is not read.
 */
static const char *
env(const char *name, const char *dflt)
{
	static const char *const etcdctl[] = {
		"ENDPOINTS", "CACERT", "CERT", "KEY", "USER"
	};
	static char var[32], user[256];
	const char *v = getenv(name);
	size_t i;

	for (i = 0; (v == NULL || v[0] == '\0') &&
	    i < sizeof(etcdctl) / sizeof(etcdctl[0]) &&
	    strncmp(name, "IPCCTL_ETCD_", 12) == 0; i++) {
		if (strcmp(name + 12, etcdctl[i]) != 0)
			continue;
		snprintf(var, sizeof(var), "ETCDCTL_%s", etcdctl[i]);
		v = getenv(var);
		if (v != NULL && strcmp(etcdctl[i], "USER") == 0) {
			snprintf(user, sizeof(user), "%.*s",
			    (int)strcspn(v, ":"), v);
			v = user;
		}
	}
	return v != NULL && v[0] != '\0' ? v : dflt;
}

static int
split_endpoints(struct etcd *c, const char *list)
{
	char *copy, *p, *save = NULL;

	if ((copy = strdup(list)) == NULL)
		return ENOMEM;
	for (p = strtok_r(copy, ",", &save); p != NULL && c->n < MAX_ENDPOINTS;
	    p = strtok_r(NULL, ",", &save))
		if ((c->endpoints[c->n] = strdup(p)) != NULL)
			c->n++;
	free(copy);
	return c->n > 0 ? 0 : error_set(EINVAL,
	    "IPCCTL_ETCD_ENDPOINTS names no endpoint");
}

static int
set_tls(struct etcd *c)
{
	const char *ca = env("IPCCTL_ETCD_CACERT", NULL);
	const char *cert = env("IPCCTL_ETCD_CERT", NULL);
	const char *key = env("IPCCTL_ETCD_KEY", NULL);

	if (ca != NULL)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, ca);
	if (cert != NULL)
		curl_easy_setopt(c->curl, CURLOPT_SSLCERT, cert);
	if (key != NULL)
		curl_easy_setopt(c->curl, CURLOPT_SSLKEY, key);
	return 0;
}

/* The password, from its file: the first line. */
static int
read_password(char *buf, size_t len)
{
	const char *path = env("IPCCTL_ETCD_PASSWORD_FILE", NULL);
	FILE *fp;

	buf[0] = '\0';
	if (path == NULL)
		return 0;
	if ((fp = fopen(path, "re")) == NULL)
		return error_set(errno, "IPCCTL_ETCD_PASSWORD_FILE %s: %s", path,
		    strerror(errno));
	if (fgets(buf, len, fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* With IPCCTL_ETCD_USER: a token for every later request. */
static int
authenticate(struct etcd *c)
{
	const char *user = env("IPCCTL_ETCD_USER", NULL);
	char password[1024];
	json_t *resp;
	int e;

	if (user == NULL)
		return 0;
	if ((e = read_password(password, sizeof(password))) != 0)
		return e;
	e = etcd_call(c, "auth/authenticate", json_pack("{s:s, s:s}", "name",
	    user, "password", password), &resp);
	explicit_bzero(password, sizeof(password));
	if (e == EACCES)
		e = error_set(EACCES, "etcd refused the user or password");
	if (e != 0)
		return e;
	if (json_string_value(json_object_get(resp, "token")) == NULL ||
	    asprintf(&c->auth, "Authorization: %s", json_string_value(
	    json_object_get(resp, "token"))) == -1)
		e = error_set(EPROTO, "etcd gave no token");
	json_decref(resp);
	return e;
}

int
etcd_connect(struct etcd **cp)
{
	struct timespec ts;
	struct etcd *c;
	const char *errstr;
	uint64_t size;
	int e;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ENOMEM;
	*cp = c;
	c->pid = getpid();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c->curl = curl_easy_init()) == NULL)
		return error_set(E_UNAVAILABLE, "libcurl could not start");
	if ((errstr = parse_duration(env("IPCCTL_ETCD_TIMEOUT", "5s"), &ts))
	    != NULL)
		return error_set(EINVAL, "IPCCTL_ETCD_TIMEOUT: %s", errstr);
	c->timeout_ms = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (c->timeout_ms <= 0)
		c->timeout_ms = 1;
	if ((errstr = parse_size(env("IPCCTL_ETCD_MAX_REQUEST", "1536K"),
	    &size)) != NULL || size < 4096 || size > INT32_MAX)
		return error_set(EINVAL, "IPCCTL_ETCD_MAX_REQUEST: %s",
		    errstr != NULL ? errstr : "from 4K to 2G");
	c->max_request = size;
	c->prefix = env("IPCCTL_ETCD_PREFIX", "/ipcctl/");
	if (getenv("IPCCTL_ETCD_HOST") != NULL)
		snprintf(c->host, sizeof(c->host), "%s",
		    getenv("IPCCTL_ETCD_HOST"));
	else if (gethostname(c->host, sizeof(c->host)) == -1)
		snprintf(c->host, sizeof(c->host), "localhost");
	if ((e = split_endpoints(c, env("IPCCTL_ETCD_ENDPOINTS",
	    "http://127.0.0.1:2379"))) != 0 || (e = set_tls(c)) != 0)
		return e;
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	return authenticate(c);
}

void
etcd_disconnect(struct etcd *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	for (i = 0; i < c->n; i++) {
		free(c->endpoints[i]);
		free(c->why[i]);
	}
	if (c->auth != NULL)
		explicit_bzero(c->auth, strlen(c->auth));
	free(c->auth);
	free(c);
}

/* The one connection of this process, made at the first call. */
int
etcd_shared(struct etcd **cp)
{
	static struct etcd *conn;
	int e = 0;

	if (conn == NULL)
		e = etcd_connect(&conn);
	*cp = conn;
	return e;
}

long long
etcd_max_request(const struct etcd *c)
{
	return c->max_request;
}

const char *
etcd_prefix(const struct etcd *c)
{
	return c->prefix;
}

const char *
etcd_host(const struct etcd *c)
{
	return c->host;
}

/*
 * An answer other than 200: the gateway's {"code", "message"} (gRPC
 * codes: 3 invalid argument, 7 permission denied, 16 unauthenticated).
 */
static int
answer_error(long status, const char *body)
{
	json_t *j = json_loads(body, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));
	int code = json_integer_value(json_object_get(j, "code")), e;

	if (msg == NULL)
		msg = json_string_value(json_object_get(j, "error"));
	/* Authentication errors come as 3, "invalid argument", too. */
	if (msg != NULL && strstr(msg, "already exists") != NULL)
		e = error_set(EEXIST, "etcd: %s", msg);
	else if (code == 7 || code == 16 || status == 401 || status == 403 ||
	    (code == 3 && msg != NULL && (strstr(msg, "auth") != NULL ||
	    strstr(msg, "user") != NULL || strstr(msg, "password") != NULL)))
		e = error_set(EACCES, "etcd: %s", msg != NULL ? msg :
		    "permission denied");
	else
		e = error_set(EPROTO, "etcd answered %ld: %s", status,
		    msg != NULL ? msg : "(no message)");
	json_decref(j);
	return e;
}

/*
 * One POST to the endpoint in use: 0, an error, or to try the next: -1
 * (no answer), -2 (503 or 504: the member has no leader, or timed out
 * waiting for one).
 */
static int
post(struct etcd *c, const char *path, const char *req, struct body *b,
    long timeout_ms)
{
	struct curl_slist *h = NULL;
	char url[1024];
	long status = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s/v3/%s", c->endpoints[c->cur], path);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (c->auth != NULL)
		h = curl_slist_append(h, c->auth);
	if (b->watch)
		h = curl_slist_append(h, "Grpc-Metadata-hasleader: true");
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < c->timeout_ms ? timeout_ms : c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, b->watch ? 0L : 1L);
	/*
	 * A forked process (sem run's guard, giving the token of a run that
	 * died back) shares its parent's connections: none of them is its.
	 */
	if (c->pid != getpid()) {
		curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c->curl, CURLOPT_FORBID_REUSE, 1L);
	}
	c->errbuf[0] = '\0';
	b->max = c->max_request + c->max_request / 4 + 65536;
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(h);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return EINTR;
	/* Refused, or never resolved: the request went nowhere. */
	c->reached |= rc != CURLE_COULDNT_CONNECT &&
	    rc != CURLE_COULDNT_RESOLVE_HOST && rc != CURLE_SSL_CONNECT_ERROR;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (b->too_long)
		return error_set(EPROTO, "etcd answered %s unexpectedly: more "
		    "than %zu bytes", path, b->max);
	if (b->garbage)
		return error_set(EPROTO, "etcd answered %s unexpectedly: not "
		    "a watch's messages", path);
	if (b->woken || (b->watch && rc == CURLE_OPERATION_TIMEDOUT &&
	    status == 200))
		return 0;
	if (rc != CURLE_OK) {
		free(c->why[c->cur]);
		c->why[c->cur] = strdup(c->errbuf[0] != '\0' ? c->errbuf :
		    curl_easy_strerror(rc));
		return -1;
	}
	/* A member without a leader for now, or one that waited for it. */
	if (status == 503 || status == 504) {
		free(c->why[c->cur]);
		c->why[c->cur] = strdup(status == 503 ? "503 unavailable" :
		    "504 timed out");
		return -2;
	}
	return status == 200 ? 0 : answer_error(status, b->p != NULL ? b->p :
	    "");
}

/*
 * No endpoint answered: 69, naming every endpoint and the last failure
 * of each ("not tried": the time was up before its turn).
 */
static int
unavailable(struct etcd *c)
{
	char list[1024], why[1024];
	size_t i;

	list[0] = why[0] = '\0';
	for (i = 0; i < c->n; i++) {
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i > 0 ? ", " : "", c->endpoints[i]);
		if (c->n == 1)
			snprintf(why, sizeof(why), "%s", c->why[i] != NULL ?
			    c->why[i] : "not tried");
		else
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
			    "%s%s: %s", i > 0 ? "; " : "", c->endpoints[i],
			    c->why[i] != NULL ? c->why[i] : "not tried");
	}
	return error_set(E_UNAVAILABLE, "no etcd endpoint answered (%s): %s",
	    list, why);
}

/* Whether the last request may have reached a member, and applied. */
bool
etcd_reached(const struct etcd *c)
{
	return c->reached;
}

/*
 * Each endpoint in turn, from the one in use, until one answers, within
 * timeout_ms in all. Where a member answered that it has no leader (an
 * election), the round is tried again after a pause while time is left:
 * requests are idempotent, so a retry never does a thing twice.
 */
static int
request(struct etcd *c, const char *path, json_t *req, struct body *b,
    long timeout_ms)
{
	char *text = json_dumps(req, JSON_COMPACT);
	long long end = mono_ms() + timeout_ms, left;
	bool electing = true;
	size_t tried;
	int e = -1;

	json_decref(req);
	if (text == NULL)
		return ENOMEM;
	c->reached = false;
	for (tried = 0; tried < c->n; tried++) {
		free(c->why[tried]);
		c->why[tried] = NULL;
	}
	while (e < 0 && electing) {
		electing = false;
		for (tried = 0; tried < c->n && e < 0; tried++) {
			if ((left = end - mono_ms()) <= 0)
				break;
			free(b->p);
			b->p = NULL;
			b->len = 0;
			if ((e = post(c, path, text, b, left)) < 0)
				c->cur = (c->cur + 1) % c->n;
			electing |= e == -2;
		}
		if (e < 0 && electing && end - mono_ms() > 100)
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		else if (e < 0)
			break;
	}
	free(text);
	if (e < 0)
		e = unavailable(c);
	return e;
}

/* A unary call: path under /v3/, req (taken), the answer in *resp. */
int
etcd_call(struct etcd *c, const char *path, json_t *req, json_t **resp)
{
	return etcd_call_ms(c, path, req, resp, c->timeout_ms);
}

/* The same, bounded by ms as well as by IPCCTL_ETCD_TIMEOUT. */
int
etcd_call_ms(struct etcd *c, const char *path, json_t *req, json_t **resp,
    long long ms)
{
	struct body b = { 0 };
	int e;

	*resp = NULL;
	if (ms > c->timeout_ms)
		ms = c->timeout_ms;
	if ((e = request(c, path, req, &b, ms > 0 ? ms : 1)) == 0 &&
	    (*resp = json_loads(b.p != NULL ? b.p : "", 0, NULL)) == NULL)
		e = error_set(EPROTO, "etcd answered %s unexpectedly: %s", path,
		    b.len == 0 ? "an empty body" : "not JSON");
	/* A stream's one message comes as {"result": ...}. */
	if (e == 0 && json_object_get(*resp, "result") != NULL) {
		json_t *r = json_incref(json_object_get(*resp, "result"));

		json_decref(*resp);
		*resp = r;
	}
	/*
	 * Every answer of the gateway has its header: only a well-formed
	 * answer may say that a thing is missing.
	 */
	if (e == 0 && !json_is_object(json_object_get(*resp, "header")))
		e = error_set(EPROTO, "etcd answered %s unexpectedly: no "
		    "header", path);
	if (e == 0 && j_get_int(json_object_get(*resp, "header"),
	    "revision") < 0)
		e = error_set(E_DAMAGED, "etcd answered %s with a negative "
		    "revision", path);
	if (e != 0) {
		json_decref(*resp);
		*resp = NULL;
	}
	free(b.p);
	return e;
}

/*
 * A lease of ttl seconds, its ID chosen here before the request (in
 * *lease: positive, never 0), so that a retried grant whose first answer
 * was lost finds it made already.
 */
int
etcd_lease_grant(struct etcd *c, long long ttl, long long *lease)
{
	uint64_t id;
	json_t *resp;
	int e;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return errno;
	*lease = (long long)(id >> 2) + 1;
	e = etcd_call(c, "lease/grant", json_pack("{s:o, s:o}", "ID",
	    j_int(*lease), "TTL", j_int(ttl)), &resp);
	json_decref(resp);
	return e == EEXIST ? 0 : e;
}

/*
 * Milliseconds a wait under a lease of ttl seconds may watch before the
 * lease needs renewing: a third of it, or the deadline's rest.
 */
long long
etcd_slice_ms(long long ttl, const struct deadline *d)
{
	struct timespec left;
	long long ms = ttl * 1000 / 3;

	if (!d->forever && deadline_left(d, &left) &&
	    left.tv_sec * 1000 + left.tv_nsec / 1000000 < ms)
		ms = left.tv_sec * 1000 + left.tv_nsec / 1000000;
	return ms > 0 ? ms : 1;
}

/*
 * A watch (create request req, taken) for up to ms milliseconds: 0 once
 * it reports events or the time is up (the caller looks again either
 * way), or an error.
 */
int
etcd_watch(struct etcd *c, json_t *req, long long ms)
{
	struct body b = { .watch = true };
	int e;

	b.from = j_get_int(req, "start_revision");
	e = request(c, "watch", json_pack("{s:o}", "create_request", req), &b,
	    ms > 0 ? ms : 1);
	free(b.p);
	/* Out of reach: the caller's next request says whether for good. */
	return e == E_UNAVAILABLE ? 0 : e;
}
