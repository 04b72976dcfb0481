/*
 * Which backend keeps an object: the one table the verbs go through to
 * reach semaphores, queues, listings and limits, by the name's scheme,
 * as git's refs.c keeps its ref storage backends.
 *
 * A name "SCHEME:NAME" (a ':' before any '/') is kept by the backend of
 * SCHEME, and a scheme no row has is refused: a scheme added later never
 * changes what an old name meant. Every other name is local.
 *
 * A backend whose client libraries every local call should not pay for
 * lives in a helper program: the same program with that backend linked
 * in, which ipcctl executes in its own place -- same process, same
 * arguments -- the first time such a name is used, as git runs
 * git-remote-https. The helper defines the backend's symbol; ipcctl does
 * not (a weak reference), so its row's impl is NULL there.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#ifndef IPCCTL_HELPER_DIR	/* set by the build; not by "make fuzz" */
#define IPCCTL_HELPER_DIR	"/usr/local/libexec/ipcctl"
#endif

extern const struct backend backend_etcd __attribute__((__weak__));

char **backend_argv;

static const struct backend_row rows[] = {
	{ .scheme = "", .can = CAN_SHM | CAN_MODE | CAN_PROCS, .built = true,
	  .impl = &backend_local },
	/* etcd v3 (etcd/), across hosts; the helper links libcurl, jansson. */
	{ .scheme = "etcd:", .helper = "ipcctl-etcd",
	  .what = "what the etcd cluster keeps",
	  .no_mode = "in etcd, its roles govern access",
	  .no_shm = "shared memory is per host", .can = CAN_LEASE | CAN_HOSTS,
#ifdef IPCCTL_ETCD
	  .built = true,
#endif
	  .impl = &backend_etcd },
};

const struct backend_row *
backend_rows(size_t *n)
{
	*n = sizeof(rows) / sizeof(rows[0]);
	return rows;
}

/* The row whose scheme is exactly s ("etcd:"), or NULL. */
const struct backend_row *
backend_scheme(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcmp(rows[i].scheme, s) == 0)
			return &rows[i];
	return NULL;
}

/*
 * The row of name, by its scheme: the local one where it has none (NULL
 * name included), NULL where no row has its scheme.
 */
const struct backend_row *
backend_row(const char *name)
{
	const char *colon, *slash;
	size_t i, len;

	if (name == NULL || (colon = strchr(name, ':')) == NULL ||
	    ((slash = strchr(name, '/')) != NULL && slash < colon))
		return &rows[0];
	len = colon - name + 1;
	for (i = 1; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strlen(rows[i].scheme) == len &&
		    strncmp(rows[i].scheme, name, len) == 0)
			return &rows[i];
	return NULL;
}

/* Whether the backend of name (a checked one) can do what. */
bool
backend_can(const char *name, unsigned what)
{
	const struct backend_row *r = backend_row(name);

	return r != NULL && (r->can & what) == what;
}

/*
 * Run the helper of row r in this process's place: the one beside this
 * program (a build tree), else the installed one. Returns only where it
 * cannot: the error code.
 */
static int
exec_helper(const struct backend_row *r)
{
	char self[PATH_MAX], path[PATH_MAX + 64], *slash;
	ssize_t n;

	if (!r->built)
		return error_set(E_UNAVAILABLE, "built without %.*s support",
		    (int)strlen(r->scheme) - 1, r->scheme);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			snprintf(path, sizeof(path), "%.*s/%s",
			    (int)(slash - self), self, r->helper);
			if (access(path, X_OK) == 0)
				execv(path, backend_argv);
		}
	}
	snprintf(path, sizeof(path), "%s/%s", IPCCTL_HELPER_DIR, r->helper);
	execv(path, backend_argv);
	return error_set(E_UNAVAILABLE, "cannot run %s: %s", path,
	    strerror(errno));
}

/*
 * The backend of name (a checked one; NULL: the local one) into *b, its
 * helper run in this process's place where need be. 0, or an error code:
 * an unknown scheme, or a helper that cannot be run.
 */
int
backend_get(const char *name, const struct backend **b)
{
	const struct backend_row *r = backend_row(name);

	if (r == NULL)
		return error_set(EINVAL, "unknown scheme");
	if (r->impl == NULL)
		return exec_helper(r);
	*b = r->impl;
	return 0;
}
