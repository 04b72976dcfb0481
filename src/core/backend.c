/*
 * Which backend keeps an object: the one table the verbs go through to
 * reach semaphores, queues, listings and limits, by the name's scheme.
 *
 * Names written "etcd:NAME" are kept in etcd. Its client (libcurl and
 * jansson) is not linked into ipcctl, whose every local call would pay
 * for loading them: it is ipcctl-etcd, the same program with the etcd
 * backend linked in, which ipcctl executes in its own place -- same
 * process, same arguments -- the first time an etcd name is used, as git
 * runs git-remote-https. ipcctl-etcd defines backend_etcd; ipcctl does
 * not (a weak reference).
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#ifndef IPCCTL_ETCD_HELPER	/* set by the build; not by "make fuzz" */
#define IPCCTL_ETCD_HELPER	"/usr/local/libexec/ipcctl/ipcctl-etcd"
#endif

extern const struct backend backend_etcd __attribute__((__weak__));

char **backend_argv;

static const struct backend backend_local = {
	.scheme = "", .sem = &semops_local, .mq = &mqops_local,
	.list = list_objects,
};

/*
 * Run ipcctl-etcd in this process's place: the one beside this program
 * (a build tree), else the installed one. Never returns.
 */
static __dead void
exec_etcd_helper(const char *name)
{
	char self[PATH_MAX], path[PATH_MAX + 16], *slash;
	ssize_t n;

#ifndef IPCCTL_ETCD
	die(error_set(E_UNAVAILABLE, "built without etcd support"), name);
#endif
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			snprintf(path, sizeof(path), "%.*s/ipcctl-etcd",
			    (int)(slash - self), self);
			if (access(path, X_OK) == 0)
				execv(path, backend_argv);
		}
	}
	execv(IPCCTL_ETCD_HELPER, backend_argv);
	die(error_set(E_UNAVAILABLE, "cannot run %s: %s", IPCCTL_ETCD_HELPER,
	    strerror(errno)), name);
}

/* The backend of name, by its scheme (NULL: the local one). */
const struct backend *
backend_for(const char *name)
{
	if (name == NULL || !name_is_etcd(name))
		return &backend_local;
	if (&backend_etcd == NULL)
		exec_etcd_helper(name);
	return &backend_etcd;
}

const struct sem_ops *
semops_for(const char *name)
{
	return backend_for(name)->sem;
}

const struct mq_ops *
mqops_for(const char *name)
{
	return backend_for(name)->mq;
}
