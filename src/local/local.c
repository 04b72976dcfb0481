/*
 * The local backend's row in the table (core/backend.c): POSIX IPC on
 * this host.
 */
#include "local/local.h"

const struct backend backend_local = {
	.sem = &semops_local, .mq = &mqops_local, .list = list_objects,
	.limits = local_limits,
};
