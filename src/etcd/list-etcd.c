/*
 * What a cluster keeps, for "ipcctl ls etcd:" and "ipcctl limits etcd:":
 * its semaphores (a capacity and the keys of tokens, under PREFIX sem/)
 * and queues (sizes and messages, under PREFIX mq/), read at one
 * revision; and its version and the sizes a request may have.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/etcd.h"

#define TXN_OPS		128		/* etcd's --max-txn-ops default */

/* The kvs of a range over the keys under prefix into *kvs: 0 or an error. */
static int
range(struct etcd *c, const char *prefix, bool keys_only, long long *rev,
    json_t **kvs)
{
	char *end = range_end(prefix);
	json_t *resp;
	int e;

	e = etcd_call(c, "kv/range", json_pack("{s:o, s:o, s:b, s:I}", "key",
	    j_str(prefix), "range_end", j_str(end), "keys_only", keys_only,
	    "revision", (json_int_t)*rev), &resp);
	free(end);
	if (e != 0)
		return e;
	*rev = answer_revision(resp);
	*kvs = json_incref(json_object_get(resp, "kvs"));
	json_decref(resp);
	if (*kvs == NULL)
		*kvs = json_array();
	return 0;
}

/*
 * Each key of kvs, after prefix: the object's name (up to a slash) and
 * whether the key is the object's own (no slash) or one under it.
 */
static const char *
split(const json_t *kv, const char *prefix, char **key, size_t *len,
    bool *own)
{
	const char *name;

	*key = j_get_bytes(kv, "key", NULL);
	name = *key + strlen(prefix);
	*len = strcspn(name, "/");
	*own = name[*len] == '\0';
	return name;
}

/* Semaphores: a capacity key, then the keys of its tokens, in key order. */
static int
list_sems(struct etcd *c, struct ipc_list *l, size_t *cap, long long *rev)
{
	char *prefix, *key, *v;
	struct ipc_entry *e = NULL;
	const char *name;
	json_t *kvs;
	long long capacity = 0, keys = 0;
	size_t i, len;
	bool own;

	int err;

	if (asprintf(&prefix, "%ssem/", etcd_prefix(c)) == -1)
		die(ENOMEM, NULL);
	if ((err = range(c, prefix, false, rev, &kvs)) != 0) {
		free(prefix);
		return err;
	}
	for (i = 0; i <= json_array_size(kvs); i++) {
		name = i < json_array_size(kvs) ? split(json_array_get(kvs, i),
		    prefix, &key, &len, &own) : (key = NULL, own = true, "");
		if (own && e != NULL) {
			/* The first capacity keys hold a token each. */
			e->holders = keys < capacity ? keys : capacity;
			e->value = capacity - e->holders;
		}
		if (key != NULL && own) {
			v = j_get_bytes(json_array_get(kvs, i), "value", NULL);
			capacity = strtoll(v, NULL, 10);
			free(v);
			e = list_add(l, cap, IPC_SEM, ETCD_SCHEME "/", name, len);
			e->remote = true;
			keys = 0;
		} else if (key != NULL && e != NULL)
			keys++;
		free(key);
	}
	json_decref(kvs);
	free(prefix);
	return 0;
}

/* Queues: sizes keys and messages, then every queue's sizes read. */
static int
list_queues(struct etcd *c, struct ipc_list *l, size_t *cap, long long *rev)
{
	char *prefix, *key, *v;
	struct ipc_entry *e = NULL;
	const char *name;
	json_t *kvs, *ops, *resp;
	size_t i, first = l->n, len;
	bool own;
	int err;

	if (asprintf(&prefix, "%smq/", etcd_prefix(c)) == -1)
		die(ENOMEM, NULL);
	if ((err = range(c, prefix, true, rev, &kvs)) != 0) {
		free(prefix);
		return err;
	}
	for (i = 0; i < json_array_size(kvs); i++) {
		name = split(json_array_get(kvs, i), prefix, &key, &len, &own);
		if (own) {
			e = list_add(l, cap, IPC_MQ, ETCD_SCHEME "/", name, len);
			e->remote = true;
			e->messages = 0;
		} else if (e != NULL)
			e->messages++;
		free(key);
	}
	json_decref(kvs);
	for (i = first; i < l->n; i += TXN_OPS) {
		size_t j;

		ops = json_array();
		for (j = i; j < l->n && j < i + TXN_OPS; j++) {
			if (asprintf(&key, "%s%s", prefix, l->entries[j].name +
			    strlen(ETCD_SCHEME) + 1) == -1)
				die(ENOMEM, NULL);
			json_array_append_new(ops, json_pack("{s:{s:o, s:I}}",
			    "request_range", "key", j_str(key), "revision",
			    (json_int_t)*rev));
			free(key);
		}
		if ((err = etcd_call(c, "kv/txn", json_pack("{s:o}", "success",
		    ops), &resp)) != 0) {
			free(prefix);
			return err;
		}
		for (j = i; j < l->n && j < i + TXN_OPS; j++) {
			json_t *kv = json_array_get(txn_kvs(resp, j - i), 0);
			long maxmsg, msgsize;

			v = j_get_bytes(kv, "value", NULL);
			if (mq_sizes_parse(v, &maxmsg, &msgsize) == 0) {
				l->entries[j].max_messages = maxmsg;
				l->entries[j].message_size = msgsize;
			} else
				l->entries[j].note = NOTE_DAMAGED;
			free(v);
		}
		json_decref(resp);
	}
	free(prefix);
	return 0;
}

/* Every semaphore and queue the cluster keeps, as kinds asks. */
static int
etcd_list(struct ipc_list *l, unsigned kinds)
{
	struct etcd *c;
	long long rev = 0;
	size_t cap = 0;
	int e;

	memset(l, 0, sizeof(*l));
	if ((e = etcd_shared(&c)) != 0)
		return e;
	if ((kinds & IPC_KIND_BIT(IPC_SEM)) &&
	    (e = list_sems(c, l, &cap, &rev)) != 0)
		return e;
	if (kinds & IPC_KIND_BIT(IPC_MQ))
		e = list_queues(c, l, &cap, &rev);
	return e;
}

static const struct out_col etcd_limit_cols[] = {
	{ "ETCD_VERSION",	COL_STR, false },
	{ "ETCD_MAX_REQUEST",	COL_NUM, false },
	{ "MQ_PRIO_MAX",	COL_NUM, false },
	{ "MQ_MSG_DEFAULT",	COL_NUM, false },
	{ "MQ_MSGSIZE_DEFAULT",	COL_NUM, false },
	{ "MQ_MSGSIZE_MAX",	COL_NUM, false },
};
#define NCOLS	(sizeof(etcd_limit_cols) / sizeof(etcd_limit_cols[0]))

/* The cluster's version (of the member that answered) and sizes. */
static int
etcd_limits(struct limits *l)
{
	static char *v[NCOLS];
	static bool unlimited[NCOLS];
	struct etcd *c;
	json_t *resp;
	int e;

	*l = (struct limits){ etcd_limit_cols, NCOLS, v, unlimited };
	if ((e = etcd_shared(&c)) != 0 || (e = etcd_call(c,
	    "maintenance/status", json_object(), &resp)) != 0)
		return e;
	if (json_string_value(json_object_get(resp, "version")) != NULL)
		v[0] = strdup(json_string_value(json_object_get(resp,
		    "version")));
	json_decref(resp);
	if (asprintf(&v[1], "%lld", etcd_max_request(c)) == -1 ||
	    asprintf(&v[2], "%d", MQ_PRIO_TOP + 1) == -1 ||
	    asprintf(&v[3], "%d", MQ_MSG_DEFAULT) == -1 ||
	    asprintf(&v[4], "%d", MQ_MSGSIZE_DEFAULT) == -1 ||
	    asprintf(&v[5], "%ld", mq_message_max(etcd_max_request(c))) == -1)
		die(ENOMEM, NULL);
	return 0;
}

const struct backend backend_etcd = {
	.sem = &semops_etcd, .mq = &mqops_etcd,
	.list = etcd_list, .limits = etcd_limits,
};
