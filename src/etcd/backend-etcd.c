/*
 * The etcd backend's row in the backend table (core/backend.c): linked
 * into ipcctl-etcd only. Queues and listing in etcd are yet to come.
 */
#include "etcd/etcd.h"

const struct backend backend_etcd = {
	.scheme = ETCD_SCHEME, .sem = &semops_etcd, .mq = NULL, .list = NULL,
};
