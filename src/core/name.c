/*
 * Canonical object names. glibc checks names differently for sem_open,
 * shm_open and mq_open (and some of it not at all), so every rule is
 * checked here, once, before any system call.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

/*
 * Returns NULL and the canonical "/name" in out, or the reason the name
 * cannot be used. Semaphores live in /dev/shm as "sem.NAME", so their
 * names are four bytes shorter. A name kept by another backend follows
 * the same rules and keeps its scheme: "etcd:/name". A scheme no backend
 * has is refused, so that one added later changes no name's meaning.
 */
const char *
name_check(const char *s, enum ipc_kind kind, char out[IPC_NAME_BUF])
{
	static char why[SCHEME_MAX + 96];
	size_t max = kind == IPC_SEM ? NAME_MAX - 4 : NAME_MAX;
	const struct backend_row *r = backend_row(s);
	const char *p;
	size_t len;

	if (r == NULL) {
		len = strcspn(s, ":") + 1;
		if (len > SCHEME_MAX)
			return "unknown scheme; a local name with a colon is "
			    "written with its leading '/'";
		snprintf(why, sizeof(why), "unknown scheme %.*s; a local name "
		    "with a colon is written /%s", (int)len, s, s);
		return why;
	}
	len = strlen(r->scheme);
	memcpy(out, s, len);
	s += len;
	out += len;
	p = s[0] == '/' ? s + 1 : s;

	if (*p == '\0')
		return s[0] == '\0' ? "empty name" : "name is only a slash";
	if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
		return "'.' and '..' are not names";
	for (len = 0; p[len] != '\0'; len++) {
		unsigned char c = p[len];

		if (c == '/')
			return "'/' is allowed only as the first character";
		if (c < 0x20 || c == 0x7f)
			return "control character in name";
	}
	if (len > max)
		return "name too long";
	out[0] = '/';
	memcpy(out + 1, p, len + 1);
	return NULL;
}

void
name_random(char out[IPC_NAME_BUF])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	memcpy(out, "/ipcctl-", 8);
	for (i = 8; i < 20; i++)
		out[i] = alphabet[bsd_arc4random_uniform(sizeof(alphabet) -
		    1)];
	out[i] = '\0';
}

/*
 * "create" with no NAME: try fresh random names with an exclusive create
 * until one is free, so a collision is retried and never shared, then
 * print the name. An object whose name could not be printed is one
 * nobody can find: it is removed again (this call made it), and what
 * stdout still holds is dropped, so that nothing says it again at exit.
 * 0, or an error code (E_OUTPUT: the name could not be printed).
 */
int
name_fresh(char out[IPC_NAME_BUF], int (*create)(const char *, void *),
    int (*unlink)(const char *), void *arg)
{
	int e, tries;

	for (tries = 0; tries < 100; tries++) {
		name_random(out);
		if (create(out, arg) == 0) {
			if (puts(out) != EOF && fflush(stdout) != EOF)
				return 0;
			e = errno;
			unlink(out);
			__fpurge(stdout);
			clearerr(stdout);
			return error_set(E_OUTPUT, "stdout: %s", strerror(e));
		}
		if (errno != EEXIST)
			break;
	}
	return errno;
}
