/*
 * The floor for one "ipcctl sem run etcd:NAME -- CMD": a minimal program
 * making the same three gateway requests through libcurl (grant a lease,
 * one transaction that makes the key under it and reads the keys back,
 * revoke), with CMD run in between. No JSON library, no checks beyond
 * the HTTP status: what is left is the cost of libcurl and of etcd.
 * usage: etcd-floor ENDPOINT KEY-BASE64 CAP-KEY-BASE64 PREFIX-BASE64
 *        PREFIX-END-BASE64 CMD [ARG]...
 */
#include <sys/random.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int
post(CURL *c, const char *endpoint, const char *path, const char *body)
{
	char url[512];
	long code = 0;

	snprintf(url, sizeof(url), "%s/v3/%s", endpoint, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	return code == 200 ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	char body[2048], key[256];
	unsigned long long id;
	int status;
	pid_t pid;
	CURL *c;

	if (argc < 7 || (c = curl_easy_init()) == NULL)
		return 64;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return 71;
	id = (id >> 2) + 1;
	snprintf(body, sizeof(body), "{\"ID\":\"%llu\",\"TTL\":\"10\"}", id);
	if (post(c, argv[1], "lease/grant", body) != 0)
		return 69;
	/* The key is the prefix and the lease in hex, base64 as sent. */
	snprintf(key, sizeof(key), "%s", argv[2]);
	snprintf(body, sizeof(body),
	    "{\"compare\":[{\"key\":\"%s\",\"result\":\"GREATER\","
	    "\"target\":\"CREATE\",\"create_revision\":\"0\"},"
	    "{\"key\":\"%s\",\"result\":\"EQUAL\",\"target\":\"CREATE\","
	    "\"create_revision\":\"0\"}],"
	    "\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"eA==\","
	    "\"lease\":\"%llu\"}},{\"request_range\":{\"key\":\"%s\"}},"
	    "{\"request_range\":{\"key\":\"%s\"}},{\"request_range\":"
	    "{\"key\":\"%s\",\"range_end\":\"%s\",\"sort_order\":\"ASCEND\","
	    "\"sort_target\":\"CREATE\",\"keys_only\":true}}]}",
	    argv[3], key, key, id, key, argv[3], argv[4], argv[5]);
	if (post(c, argv[1], "kv/txn", body) != 0)
		return 69;
	if ((pid = fork()) == 0) {
		execvp(argv[6], argv + 6);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		;
	snprintf(body, sizeof(body), "{\"ID\":\"%llu\"}", id);
	if (post(c, argv[1], "lease/revoke", body) != 0)
		return 69;
	curl_easy_cleanup(c);
	return WEXITSTATUS(status);
}
