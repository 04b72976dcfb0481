/*
 * Canonical object names. glibc checks names differently for sem_open,
 * shm_open and mq_open (and some of it not at all), so every rule is
 * checked here, once, before any system call.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ipcctl.h"

/*
 * Returns NULL and the canonical "/name" in out, or the reason the name
 * cannot be used. Semaphores live in /dev/shm as "sem.NAME", so their
 * names are four bytes shorter.
 */
const char *
name_check(const char *s, enum ipc_kind kind, char out[IPC_NAME_BUF])
{
	const char *p = s[0] == '/' ? s + 1 : s;
	size_t max = kind == IPC_SEM ? NAME_MAX - 4 : NAME_MAX;
	size_t len;

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
		out[i] = alphabet[arc4random_uniform(sizeof(alphabet) - 1)];
	out[i] = '\0';
}
