/*
 * Semaphores in etcd. A semaphore is a capacity, at PREFIX sem/NAME, and
 * one key per token taken or awaited under PREFIX sem/NAME/, named by its
 * lease in hex as "etcdctl lock" names its keys, so that the two exclude
 * each other. Keys rank by create revision: the first CAPACITY hold a
 * token, the others wait in that order; a key's create revision is its
 * fencing number. Every waiting key is under a lease its process keeps
 * alive, so a waiter that dies leaves nothing behind.
 *
 * Requests are idempotent: the lease ID is chosen before the first
 * request (etcd_lease_grant), and a key is made by a transaction that
 * only creates and reads it back, so a lost answer never leaves a second
 * key for one request.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "etcd/etcd.h"

static double
boottime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define WAIT_TTL	10		/* seconds: a waiter's lease */

struct esem {
	struct etcd	*c;
	char		*cap_key;		/* PREFIX sem/NAME */
	char		*pfx, *pfx_end;		/* PREFIX sem/NAME/ and after */
	long long	 capacity;
	long long	 lease;			/* ours, while we wait or hold */
	long long	 ttl;			/* its time to live, seconds */
	char		*key;			/* ours */
	long long	 fence;			/* its create revision */
	double		 renewed;		/* sent the last that renewed */
	struct keeper	*keeper;		/* run: keeps the lease alive */
	bool		 run;			/* the key is a run's */
};

/* The keys of semaphore name ("etcd:/NAME"). */
static int
esem_keys(struct esem *m, const char *name)
{
	const char *base = name + strlen(ETCD_SCHEME) + 1;
	const char *prefix = etcd_prefix(m->c);

	if (asprintf(&m->cap_key, "%ssem/%s", prefix, base) == -1 ||
	    asprintf(&m->pfx, "%ssem/%s/", prefix, base) == -1)
		return ENOMEM;
	m->pfx_end = range_end(m->pfx);
	return 0;
}

/* The capacity, from the value of its key (0 where absent). */
static int
read_capacity(struct esem *m, const json_t *kvs)
{
	char *v, *end;
	int e;

	if (json_array_size(kvs) == 0)
		return ENOENT;
	v = j_get_bytes(json_array_get(kvs, 0), "value", NULL);
	errno = 0;
	m->capacity = strtoll(v, &end, 10);
	/* Another client may write anything: a value is an int. */
	if (errno != 0 || end == v || *end != '\0' || m->capacity < 1 ||
	    m->capacity > INT_MAX) {
		e = error_set(E_DAMAGED, "capacity key %s holds \"%.40s\": not "
		    "a capacity from 1 to %d", m->cap_key, v, INT_MAX);
		free(v);
		return e;
	}
	free(v);
	return 0;
}

static struct esem one_esem;

/*
 * Open, or with O_CREAT make (capacity value, 1 if none given): one
 * transaction that puts the capacity only if the key was never made, and
 * reads it either way.
 */
static int
es_open(struct semobj *s, const char *name, const struct open_opts *o,
    long long value, int access)
{
	struct esem *m;
	json_t *req, *resp;
	char cap[32];
	int e;

	(void)access;
	/*
	 * One semaphore open at a time per process (create's retries open
	 * one name after another): what it holds stays reachable for the
	 * process's life, whether or not a verb closes it before exiting.
	 */
	m = &one_esem;
	free(m->cap_key);
	free(m->pfx);
	free(m->pfx_end);
	free(m->key);
	memset(m, 0, sizeof(*m));
	s->name = name;
	s->priv = m;
	if ((e = etcd_shared(&m->c)) != 0 || (e = esem_keys(m, name)) != 0)
		return e;
	if (value == 0 && (o->flags & O_CREAT))
		return error_set(EINVAL, "a capacity of 0 would never be taken");
	if (value < 0)
		value = 1;
	snprintf(cap, sizeof(cap), "%lld", value);
	/* Without -c, the capacity is read with the keys, in one request. */
	if (!(o->flags & O_CREAT))
		return 0;
	req = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:{s:o, s:o}}], "
	    "s:[{s:{s:o}}]}",
	    "compare", "key", j_str(m->cap_key), "result", "EQUAL", "target",
	    "CREATE", "create_revision", "0",
	    "success", "request_put", "key", j_str(m->cap_key), "value",
	    j_str(cap),
	    "failure", "request_range", "key", j_str(m->cap_key));
	if ((e = etcd_call(m->c, "kv/txn", req, &resp)) != 0)
		return e;
	if (json_is_true(json_object_get(resp, "succeeded")))
		m->capacity = value;
	else if (o->flags & O_EXCL)
		e = EEXIST;
	else {
		e = read_capacity(m, txn_kvs(resp, 0));
	}
	json_decref(resp);
	return e;
}

static void
es_close(struct semobj *s)
{
	struct esem *m = s->priv;

	if (m == NULL)
		return;
	free(m->cap_key);
	free(m->pfx);
	free(m->pfx_end);
	free(m->key);
	memset(m, 0, sizeof(*m));
	s->priv = NULL;
}

/* A range of the keys under the semaphore, by create revision. */
static json_t *
range_keys(const struct esem *m, bool with_values)
{
	return json_pack("{s:{s:o, s:o, s:s, s:s, s:b}}", "request_range",
	    "key", j_str(m->pfx), "range_end", j_str(m->pfx_end), "sort_order",
	    "ASCEND", "sort_target", "CREATE", "keys_only", !with_values);
}

/*
 * The capacity (into m) and the keys under the semaphore, by create
 * revision, read at one revision in one request: *resp is {"kvs": [...]}.
 */
static int
ranked(struct esem *m, bool with_values, json_t **resp)
{
	json_t *req, *txn;
	int e;

	req = json_pack("{s:[{s:{s:o}}, o]}", "success", "request_range",
	    "key", j_str(m->cap_key), range_keys(m, with_values));
	if ((e = etcd_call(m->c, "kv/txn", req, &txn)) != 0)
		return e;
	if ((e = read_capacity(m, txn_kvs(txn, 0))) == 0)
		*resp = json_pack("{s:o}", "kvs", txn_kvs(txn, 1) != NULL ?
		    json_incref(txn_kvs(txn, 1)) : json_array());
	json_decref(txn);
	return e;
}

/* The keys: the first capacity hold a token, the others wait. */
static int
es_info(struct semobj *s, struct sem_info *i)
{
	struct esem *m = s->priv;
	json_t *resp;
	long long n;
	int e;

	memset(i, 0, sizeof(*i));
	if ((e = ranked(m, false, &resp)) != 0)
		return e;
	n = json_array_size(json_object_get(resp, "kvs"));
	json_decref(resp);
	i->capacity = m->capacity;
	i->held = n < m->capacity ? n : m->capacity;
	i->waiting = n - i->held;
	i->value = i->capacity - i->held;
	return 0;
}

static int
es_value(struct semobj *s, int *value)
{
	struct sem_info i;
	int e;

	if ((e = es_info(s, &i)) == 0)
		*value = i.value;
	return e;
}

static void
lease_revoke(struct esem *m, long long *lease)
{
	json_t *resp;

	if (*lease == 0)
		return;
	if (etcd_call(m->c, "lease/revoke", json_pack("{s:o}", "ID",
	    j_int(*lease)), &resp) == 0)
		json_decref(resp);
	*lease = 0;
}

/* Keep our lease alive: 0, or ESTALE where it is gone. */
static int
lease_keepalive(struct esem *m)
{
	double sent = boottime_now();
	json_t *resp;
	int e;

	if ((e = etcd_call(m->c, "lease/keepalive", json_pack("{s:o}", "ID",
	    j_int(m->lease)), &resp)) != 0)
		return e;
	if (j_get_int(resp, "TTL") <= 0)
		e = ESTALE;
	else
		m->renewed = sent;
	json_decref(resp);
	return e;
}

/* This boot's id, from the kernel. */
static void
boot_id(char *buf, size_t len)
{
	FILE *fp;

	buf[0] = '\0';
	if ((fp = fopen("/proc/sys/kernel/random/boot_id", "re")) != NULL) {
		if (fgets(buf, len, fp) == NULL)
			buf[0] = '\0';
		fclose(fp);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* This process's pid namespace: its inode. */
static unsigned long long
pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? st.st_ino : 0;
}

/*
 * Who a key stands for: host, boot id, pid namespace, pid, start,
 * command, since.
 */
static json_t *
who(const struct esem *m, const struct ledger_slot *holder)
{
	char boot[64];
	json_t *j;
	char *text;

	boot_id(boot, sizeof(boot));
	j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:b, s:I, s:I}",
	    "host", etcd_host(m->c), "boot_id", boot, "pidns",
	    (json_int_t)pid_ns(), "pid", (json_int_t)(holder != NULL ?
	    holder->pid : 0), "start", (json_int_t)(holder != NULL ?
	    holder->start : 0), "command", holder != NULL ? holder->command :
	    "", "since", (json_int_t)time(NULL), "run", m->run,
	    /* The process that waits, holder or not (clear_dead_ahead). */
	    "waiter", (json_int_t)getpid(), "waiter_start",
	    (json_int_t)proc_start(getpid()));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	j = j_str(text != NULL ? text : "{}");
	free(text);
	return j;
}

/* Our key's rank among kvs (-1: it is gone). */
static long long
find_rank(const struct esem *m, const json_t *kvs)
{
	long long rank = -1;
	size_t i;
	char *k;

	for (i = 0; i < json_array_size(kvs) && rank == -1; i++) {
		k = j_get_bytes(json_array_get(kvs, i), "key", NULL);
		if (strcmp(k, m->key) == 0)
			rank = i;
		free(k);
	}
	return rank;
}

/*
 * Make our key under our lease -- only if the semaphore exists and the
 * key does not (a lost answer made it already) -- and read back, in the
 * same transaction, the key (its create revision: the fence), the
 * capacity, and the names of the keys: *holds, whether ours ranks among
 * the first capacity, so that a token free at once costs no request more.
 */
static int
make_key(struct esem *m, const struct ledger_slot *holder, bool *holds)
{
	json_t *req, *resp;
	long long rank;
	size_t first;
	int e;

	free(m->key);
	if (asprintf(&m->key, "%s%llx", m->pfx, m->lease) == -1)
		return ENOMEM;
	req = json_pack("{s:[{s:o, s:s, s:s, s:s}, {s:o, s:s, s:s, s:s}], "
	    "s:[{s:{s:o, s:o, s:o}}, {s:{s:o}}, {s:{s:o}}, o], "
	    "s:[{s:{s:o}}, {s:{s:o}}, o]}",
	    "compare", "key", j_str(m->cap_key), "result", "GREATER", "target",
	    "CREATE", "create_revision", "0",
	    "key", j_str(m->key), "result", "EQUAL", "target", "CREATE",
	    "create_revision", "0",
	    "success", "request_put", "key", j_str(m->key), "value",
	    who(m, holder), "lease", j_int(m->lease),
	    "request_range", "key", j_str(m->key),
	    "request_range", "key", j_str(m->cap_key), range_keys(m, false),
	    "failure", "request_range", "key", j_str(m->key),
	    "request_range", "key", j_str(m->cap_key), range_keys(m, false));
	if ((e = etcd_call(m->c, "kv/txn", req, &resp)) != 0)
		return e;
	first = json_is_true(json_object_get(resp, "succeeded")) ? 1 : 0;
	if ((e = read_capacity(m, txn_kvs(resp, first + 1))) == 0) {
		m->fence = j_get_int(json_array_get(txn_kvs(resp, first), 0),
		    "create_revision");
		rank = find_rank(m, txn_kvs(resp, first + 2));
		*holds = rank >= 0 && rank < m->capacity;
		if (m->fence <= 0)
			e = error_set(EPROTO, "etcd: the key made is not there");
		else if (rank == -1)
			e = ESTALE;	/* gone already: queue again */
	}
	json_decref(resp);
	return e;
}

/*
 * What stands ahead of our key, read at one revision (*rev) in one
 * transaction: the capacity (into m), whether our key still stands
 * (ESTALE: it went away), and the capacity keys just ahead of it, nearest
 * first, with their values (*ahead); *more: more keys stand ahead. Each
 * look costs etcd a range of the semaphore's keys, but answers at most
 * capacity of them, however many wait.
 */
static int
look_ahead(struct esem *m, json_t **ahead, bool *more, long long *rev)
{
	json_t *req, *txn;
	int e;

	req = json_pack("{s:[{s:{s:o}}, {s:{s:o, s:b}}, {s:{s:o, s:o, s:o, "
	    "s:s, s:s, s:o}}]}", "success",
	    "request_range", "key", j_str(m->cap_key),
	    "request_range", "key", j_str(m->key), "count_only", 1,
	    "request_range", "key", j_str(m->pfx), "range_end",
	    j_str(m->pfx_end), "max_create_revision", j_int(m->fence - 1),
	    "sort_order", "DESCEND", "sort_target", "CREATE",
	    "limit", j_int(m->capacity));
	if ((e = etcd_call(m->c, "kv/txn", req, &txn)) != 0)
		return e;
	if ((e = read_capacity(m, txn_kvs(txn, 0))) == 0 &&
	    txn_count(txn, 1) <= 0)
		e = ESTALE;
	if (e == 0) {
		*ahead = txn_kvs(txn, 2) != NULL ? json_incref(txn_kvs(txn,
		    2)) : json_array();
		*more = json_is_true(json_object_get(txn_range(txn, 2),
		    "more"));
		*rev = answer_revision(txn);
	}
	json_decref(txn);
	return e;
}

/*
 * Wait, at most ms, for what can change our rank, from revision rev on.
 * Herds are spared: the first waiter (no more keys ahead than the
 * holders) watches deletes under the semaphore (a token freed); each
 * later one watches only the key just ahead of it, which goes away, or
 * is rewritten when it starts holding (wake_next), so a release wakes
 * one waiter, not all of them.
 */
static int
wait_ahead(struct esem *m, const json_t *ahead, bool more, long long rev,
    long long ms)
{
	json_t *req;
	char *key;

	if (!more || (key = j_get_bytes(json_array_get(ahead, 0), "key",
	    NULL)) == NULL)
		req = json_pack("{s:o, s:o, s:o, s:[s]}", "key", j_str(m->pfx),
		    "range_end", j_str(m->pfx_end), "start_revision",
		    j_int(rev + 1), "filters", "NOPUT");
	else {
		req = json_pack("{s:o, s:o}", "key", j_str(key),
		    "start_revision", j_int(rev + 1));
		free(key);
	}
	return etcd_watch(m->c, req, ms);
}

/*
 * We hold, after waiting: rewrite our key (same value, same lease, same
 * create revision) so that the waiter watching it looks again, and
 * becomes the first waiter. (At capacity 1 it need not: the key it
 * watches is the holder's, and its going is what it waits for.)
 */
static void
wake_next(struct esem *m)
{
	json_t *resp;

	if (etcd_call(m->c, "kv/txn", json_pack("{s:[{s:o, s:s, s:s, s:o}], "
	    "s:[{s:{s:o, s:b, s:b}}]}", "compare", "key", j_str(m->key),
	    "result", "EQUAL", "target", "CREATE", "create_revision",
	    j_int(m->fence), "success", "request_put", "key", j_str(m->key),
	    "ignore_value", 1, "ignore_lease", 1), &resp) == 0)
		json_decref(resp);
}

/* Whether key value j names a waiting process of this host that is gone. */
static bool
waiter_gone(const struct esem *m, const json_t *j, const char *boot)
{
	const char *host = json_string_value(json_object_get(j, "host"));
	const char *b = json_string_value(json_object_get(j, "boot_id"));

	return host != NULL && strcmp(host, etcd_host(m->c)) == 0 &&
	    b != NULL && strcmp(b, boot) == 0 &&
	    (unsigned long long)j_get_int(j, "pidns") == pid_ns() &&
	    j_get_int(j, "waiter") > 0 && !proc_alive(j_get_int(j, "waiter"),
	    j_get_int(j, "waiter_start"));
}

/*
 * A dead waiter of this host blocks nobody: a key ahead of us whose value
 * names a process of this host -- same host name, boot and pid namespace
 * -- that is gone has its lease revoked at once, instead of holding the
 * line for its lease's time: an acquire's key still under the lease it is
 * named after (its process died waiting, or before it detached the
 * token; a token detached under --lease is left to its lease), a run's
 * key only while it waits (once it holds, the run's guard, which outlives
 * it, gives its token back when COMMAND's processes are gone). Keys of
 * other hosts go with their leases. Each waiter looks at what look_ahead
 * gave it: the first waiter at the holders (more false), each later one
 * at the waiter just ahead of it, which is all it needs: a dead one
 * revoked, the look after the wake finds the next.
 */
static void
clear_dead_ahead(struct esem *m, const json_t *ahead, bool more)
{
	char boot[64], *v;
	long long lease;
	json_t *kv, *j, *resp;
	size_t i;
	bool own;

	boot_id(boot, sizeof(boot));
	for (i = 0; i < (more ? 1 : json_array_size(ahead)); i++) {
		kv = json_array_get(ahead, i);
		/* Only a key still under the lease it is named after. */
		if ((lease = j_get_int(kv, "lease")) <= 0 ||
		    (v = j_get_bytes(kv, "key", NULL)) == NULL)
			continue;
		own = strtoll(v + strlen(m->pfx), NULL, 16) == lease;
		free(v);
		if (!own || (v = j_get_bytes(kv, "value", NULL)) == NULL)
			continue;
		j = json_loads(v, 0, NULL);
		free(v);
		if ((more || !json_is_true(json_object_get(j, "run"))) &&
		    waiter_gone(m, j, boot) && etcd_call(m->c, "lease/revoke",
		    json_pack("{s:o}", "ID", j_int(lease)), &resp) == 0)
			json_decref(resp);
		json_decref(j);
	}
}

/*
 * How long a wait may be: until the deadline, and until the lease is due
 * for renewal (a third of its time to live after the last).
 */
static long long
renewal_slice_ms(const struct esem *m, const struct deadline *d)
{
	long long ms = etcd_slice_ms(m->ttl, d);
	double due = (m->renewed + m->ttl / 3.0 - boottime_now()) * 1000;

	return due < ms ? (due >= 1 ? (long long)due : 1) : ms;
}

/*
 * Until our key ranks among the first capacity, or the deadline; ESTALE
 * where our key went away while waiting (our lease ended, the cluster
 * out of reach longer than it, or the key was deleted). holds: what
 * making the key read. The lease is renewed while waiting as a third of
 * its time to live passes, not at every wake.
 */
static int
wait_turn(struct esem *m, const struct deadline *d, bool holds)
{
	struct timespec left;
	json_t *ahead;
	long long rev;
	bool more, waited = false;
	int e;

	if (holds)
		return 0;
	if (d->once)
		return EAGAIN;
	for (;;) {
		if ((e = look_ahead(m, &ahead, &more, &rev)) != 0)
			return e;
		if ((long long)json_array_size(ahead) < m->capacity) {
			json_decref(ahead);
			if (waited && m->capacity > 1)
				wake_next(m);
			return 0;
		}
		if (d->once || (!d->forever && !deadline_left(d, &left)))
			e = d->once ? EAGAIN : ETIMEDOUT;
		else if (signal_noted())
			e = EINTR;
		else {
			clear_dead_ahead(m, ahead, more);
			waited = true;
			if ((e = wait_ahead(m, ahead, more, rev,
			    renewal_slice_ms(m, d))) == 0 &&
			    boottime_now() - m->renewed >= m->ttl / 3.0)
				e = lease_keepalive(m);
		}
		json_decref(ahead);
		if (e != 0)
			return e;
	}
}

/* Tries of a request that may have applied: it recognises itself. */
#define RETRIES		3
#define MARK_TTL	60		/* seconds: a release's marks */

/*
 * Delete our key, whatever holds it (its name is our lease's: no other
 * process makes it), through a request of its own kind.
 */
static void
delete_own_key(struct esem *m)
{
	json_t *resp;
	int tries;

	for (tries = 0; tries < RETRIES; tries++)
		if (etcd_call(m->c, "kv/deleterange", json_pack("{s:o}", "key",
		    j_str(m->key)), &resp) == 0) {
			json_decref(resp);
			return;
		}
}

/*
 * Our key is gone, but neither with our lease (it stands) nor with the
 * semaphore (resp, the detach's failure, counts its capacity key): only
 * a release deletes a key of no lease, so a try of ours whose answer was
 * lost had detached it -- libcurl may send a request again by itself --
 * and a release returned it, oldest first, for another token of no
 * process (anonymous), which is ours now.
 */
static bool
returned_for_another(struct esem *m, const json_t *resp)
{
	return txn_count(resp, 0) > 0 && lease_keepalive(m) == 0;
}

/*
 * Detach a held key from its waiting lease: it keeps its create revision
 * and then belongs to no process, until a release returns it -- or, with
 * --lease, to a lease of lease_ms that nobody renews: it comes back by
 * itself at its end. The transaction puts the same thing each time, so
 * a retry after a lost answer does no harm, and its compare reads our
 * key back: gone, the token went away (but see returned_for_another).
 * Where the outcome stays unknown, the key is deleted before giving up:
 * the key may be detached already, and nobody would ever return it.
 */
static int
detach(struct esem *m, long lease_ms, bool anonymous)
{
	long long to = 0;
	json_t *req, *resp;
	char why[1024];
	int e, tries = 0;

	if (lease_ms != 0 && (e = etcd_lease_grant(m->c, (lease_ms + 999) / 1000,
	    &to)) != 0)
		return e;
	do {
		req = json_pack("{s:[{s:o, s:s, s:s, s:o}], s:[{s:{s:o, s:b, "
		    "s:o}}], s:[{s:{s:o, s:b}}]}", "compare", "key",
		    j_str(m->key), "result", "EQUAL", "target", "CREATE",
		    "create_revision", j_int(m->fence),
		    "success", "request_put", "key", j_str(m->key),
		    "ignore_value", 1, "lease", j_int(to),
		    "failure", "request_range", "key", j_str(m->cap_key),
		    "count_only", 1);
		e = etcd_call(m->c, "kv/txn", req, &resp);
	} while (e == E_UNAVAILABLE && etcd_reached(m->c) && ++tries < RETRIES &&
	    !signal_noted());
	if (e == 0) {
		if (!json_is_true(json_object_get(resp, "succeeded")) &&
		    !(anonymous && returned_for_another(m, resp)))
			e = error_set(ENOENT, "the token's key went away");
		json_decref(resp);
	} else if (etcd_reached(m->c) || tries > 0) {
		snprintf(why, sizeof(why), "%s", error_reason(e));
		delete_own_key(m);
		lease_revoke(m, &to);
		e = error_set(e, "%s", why);
	}
	if (e == 0)
		lease_revoke(m, &m->lease);
	return e;
}

/*
 * Before queueing again: 0 after a pause (50 ms, doubling, 1 s at most),
 * or why the wait ends: the deadline, -t 0, a signal.
 */
static int
requeue_pause(const struct deadline *d, int tries)
{
	struct timespec left, pause;
	long ms = 50L << (tries < 5 ? tries - 1 : 4);

	if (d->once)
		return EAGAIN;
	if (!d->forever && !deadline_left(d, &left))
		return ETIMEDOUT;
	if (signal_noted())
		return EINTR;
	if (ms > 1000)
		ms = 1000;
	if (!d->forever && left.tv_sec * 1000 + left.tv_nsec / 1000000 < ms)
		ms = left.tv_sec * 1000 + left.tv_nsec / 1000000 + 1;
	pause.tv_sec = ms / 1000;
	pause.tv_nsec = ms % 1000 * 1000000;
	nanosleep(&pause, NULL);
	return signal_noted() ? EINTR : 0;
}

static int
es_acquire(struct semobj *s, const struct deadline *d,
    const struct ledger_slot *holder, struct token *t)
{
	struct esem *m = s->priv;
	bool keep = t->leased;
	long lease_ms = t->lease_ms;
	bool holds = false;
	int e, tries;

	memset(t, 0, sizeof(*t));
	signals_note(ending_signals, nending_signals, NULL);
	/* run's lease is the one it waits under; acquire's is a waiter's. */
	m->ttl = keep && lease_ms != 0 ? (lease_ms + 999) / 1000 : WAIT_TTL;
	m->run = keep;
	/*
	 * A waiter whose key went away queues again, at the end -- within
	 * the deadline and until a signal, after a pause that grows: a
	 * server whose answers never show our key must not make it spin.
	 */
	for (tries = 0;; tries++) {
		lease_revoke(m, &m->lease);
		if (tries > 0 && (e = requeue_pause(d, tries)) != 0)
			return e;
		m->renewed = boottime_now();
		if ((e = etcd_lease_grant(m->c, m->ttl, &m->lease)) != 0)
			return e;
		if ((e = make_key(m, holder, &holds)) == 0)
			e = wait_turn(m, d, holds);
		if (e != ESTALE)
			break;
	}
	if (e == 0 && !keep)
		e = detach(m, lease_ms, holder == NULL || holder->pid == 0);
	if (e != 0) {
		lease_revoke(m, &m->lease);
		return e;
	}
	t->fence = m->fence;
	t->leased = keep || lease_ms != 0;
	t->id = m->key;
	t->lease = m->lease;
	/* Lost: SIGTERM at half the time to live, SIGKILL at TTL - TTL/5. */
	t->grace_ms = m->ttl * 1000 / 2 - (m->ttl * 200 > 500 ? m->ttl * 200 :
	    500);
	if (holder != NULL) {
		t->pid = holder->pid;
		t->start = holder->start;
	}
	return 0;
}

/*
 * Delete the first n keys of the semaphore that pick accepts (a holding
 * key that belongs to no process, or one of holder pid), oldest first:
 * *done of them. One transaction deletes them, each only if its create
 * revision is the one picked, and puts mark, a key of this release's own
 * under a short lease: tried again after a lost answer, a transaction
 * that fails its compare but finds mark knows an earlier try of its own
 * returned the keys. Without mark, another release took one of them
 * first: EAGAIN, to pick again -- never counting another's as ours.
 */
static int
delete_keys(struct esem *m, long long n, bool (*pick)(const json_t *,
    const struct esem *, pid_t), pid_t pid, const char *mark,
    long long mark_lease, long long *done)
{
	json_t *resp, *kvs, *kv, *left, *cmp, *ops, *req, *r2;
	size_t i;
	int e, tries = 0;

	*done = 0;
	if ((e = ranked(m, true, &resp)) != 0)
		return e;
	kvs = json_object_get(resp, "kvs");
	left = json_array();
	for (i = 0; i < json_array_size(kvs) && (long long)i < m->capacity &&
	    (long long)json_array_size(left) < n &&
	    json_array_size(left) < 60; i++) {
		kv = json_array_get(kvs, i);
		if (pick(kv, m, pid))
			json_array_append(left, kv);
	}
	json_decref(resp);
	if (json_array_size(left) == 0) {
		json_decref(left);
		return 0;
	}
	cmp = json_array();
	ops = json_array();
	for (i = 0; i < json_array_size(left); i++) {
		kv = json_array_get(left, i);
		json_array_append_new(cmp, json_pack("{s:O, s:s, s:s, s:o}",
		    "key", json_object_get(kv, "key"), "result", "EQUAL",
		    "target", "CREATE", "create_revision", j_int(j_get_int(kv,
		    "create_revision"))));
		json_array_append_new(ops, json_pack("{s:{s:O}}",
		    "request_delete_range", "key", json_object_get(kv, "key")));
	}
	json_array_append_new(ops, json_pack("{s:{s:o, s:o, s:o}}",
	    "request_put", "key", j_str(mark), "value", j_str(""), "lease",
	    j_int(mark_lease)));
	req = json_pack("{s:o, s:o, s:[{s:{s:o, s:b}}]}", "compare", cmp,
	    "success", ops, "failure", "request_range", "key", j_str(mark),
	    "keys_only", 1);
	/* Maybe applied: the same transaction again, which says. */
	while ((e = etcd_call(m->c, "kv/txn", json_incref(req), &r2)) ==
	    E_UNAVAILABLE && etcd_reached(m->c) && ++tries < RETRIES &&
	    !signal_noted())
		;
	json_decref(req);
	if (e == 0) {
		if (json_is_true(json_object_get(r2, "succeeded")) ||
		    json_array_size(txn_kvs(r2, 0)) > 0)
			*done = json_array_size(left);
		else
			e = EAGAIN;	/* another was first: pick again */
		json_decref(r2);
	}
	json_decref(left);
	return e;
}

/* What a key's value says of its holder: its pid, 0 for none. */
static pid_t
key_pid(const json_t *kv, const struct esem *m, bool *here)
{
	char *v = j_get_bytes(kv, "value", NULL);
	json_t *j = json_loads(v, 0, NULL);
	pid_t pid = json_integer_value(json_object_get(j, "pid"));
	const char *host = json_string_value(json_object_get(j, "host"));

	*here = host != NULL && strcmp(host, etcd_host(m->c)) == 0;
	json_decref(j);
	free(v);
	return pid;
}

/* A held key of no process: no lease, no holder recorded. */
static bool
pick_anonymous(const json_t *kv, const struct esem *m, pid_t pid)
{
	bool here;

	(void)pid;
	return j_get_int(kv, "lease") == 0 && key_pid(kv, m, &here) == 0;
}

/* A held key recorded as held by pid on this host. */
static bool
pick_holder(const json_t *kv, const struct esem *m, pid_t pid)
{
	bool here;

	return key_pid(kv, m, &here) == pid && here &&
	    j_get_int(kv, "lease") == 0;
}

static int
release_picked(struct semobj *s, long long n, bool (*pick)(const json_t *,
    const struct esem *, pid_t), pid_t pid, long long *done)
{
	struct esem *m = s->priv;
	long long total = 0, d, lease;
	char *mark;
	int e, tries;

	/* This release's marks, PREFIX semrel/NAME/<lease>-<try>. */
	if ((e = etcd_lease_grant(m->c, MARK_TTL, &lease)) != 0)
		return e;
	for (tries = 0; tries < 10 && total < n; tries++) {
		if (asprintf(&mark, "%ssemrel/%s/%llx-%d", etcd_prefix(m->c),
		    m->cap_key + strlen(etcd_prefix(m->c)) + strlen("sem/"),
		    lease, tries) == -1)
			return ENOMEM;
		e = delete_keys(m, n - total, pick, pid, mark, lease, &d);
		free(mark);
		if (e == EAGAIN)
			continue;
		if (e != 0)
			return e;
		total += d;
		if (d == 0)
			break;
	}
	*done = total;
	return 0;
}

/* Return n tokens that belong to no process, oldest first. */
static int
es_release(struct semobj *s, long long n, long long *done)
{
	int e;

	if ((e = release_picked(s, n, pick_anonymous, 0, done)) != 0)
		return e;
	if (*done == 0)
		return error_set(EOVERFLOW, "no token that belongs to no "
		    "process is held");
	if (*done < n)
		return error_set(EOVERFLOW, "returned %lld of %lld: no more "
		    "belong to no process", *done, n);
	return 0;
}

static int
es_release_holder(struct semobj *s, pid_t pid, uint64_t start, int n,
    int *released)
{
	long long done = 0;
	int e;

	(void)start;
	e = release_picked(s, n, pick_holder, pid, &done);
	*released = done;
	return e;
}

/*
 * The end of a run: our key goes with our lease. In run's guard, which
 * was born before the token was taken, the lease is the token's.
 */
static int
es_release_token(struct semobj *s, const struct token *t)
{
	struct esem *m = s->priv;

	/*
	 * The token first, then the keeper: the next holder does not wait
	 * for a thread to end (a renewal meanwhile finds the lease gone,
	 * and says so to nobody).
	 */
	if (m->lease == 0)
		m->lease = t->lease;
	lease_revoke(m, &m->lease);
	keeper_stop(m->keeper);
	m->keeper = NULL;
	return 0;
}

static void	key_holder(struct esem *, const json_t *, struct holder *,
		    const char *, unsigned long long);

/*
 * Whether a key is a token to recover: recorded with --holder (a pid),
 * under no lease, and either of host (a host that is gone), or of this
 * host -- this boot, this pid namespace -- with its holder dead.
 */
static bool
recoverable(struct esem *m, const json_t *kv, const char *host,
    struct holder *h, const char *boot, unsigned long long pidns)
{
	if (j_get_int(kv, "lease") != 0)
		return false;
	key_holder(m, kv, h, boot, pidns);
	if (h->slot.pid <= 0)
		return false;
	if (host != NULL)
		return strcmp(h->host, host) == 0;
	return h->alive == 0;
}

/* Give back the tokens of dead holders, each only if it is unchanged. */
static int
es_recover(struct semobj *s, const char *host,
    void (*report)(const struct ledger_slot *, void *), void *arg, int *n)
{
	struct esem *m = s->priv;
	json_t *resp, *kvs, *kv, *r2;
	struct holder h;
	char boot[64];
	size_t i;
	int e;

	*n = 0;
	if ((e = ranked(m, true, &resp)) != 0)
		return e;
	boot_id(boot, sizeof(boot));
	kvs = json_object_get(resp, "kvs");
	for (i = 0; e == 0 && i < json_array_size(kvs); i++) {
		kv = json_array_get(kvs, i);
		if (!recoverable(m, kv, host, &h, boot, pid_ns()))
			continue;
		e = etcd_call(m->c, "kv/txn", json_pack("{s:[{s:O, s:s, s:s, "
		    "s:o}], s:[{s:{s:O}}]}", "compare", "key",
		    json_object_get(kv, "key"), "result", "EQUAL", "target",
		    "MOD", "mod_revision", j_int(j_get_int(kv,
		    "mod_revision")), "success", "request_delete_range", "key",
		    json_object_get(kv, "key")), &r2);
		if (e == 0 && json_is_true(json_object_get(r2, "succeeded"))) {
			report(&h.slot, arg);
			(*n)++;
		}
		json_decref(r2);
	}
	json_decref(resp);
	return e;
}

/* Seconds lease id has left; -1 where it has none, or is gone. */
static long long
lease_left(struct esem *m, long long id)
{
	json_t *resp;
	long long ttl = -1;

	if (id != 0 && etcd_call(m->c, "lease/timetolive", json_pack("{s:o}",
	    "ID", j_int(id)), &resp) == 0) {
		ttl = j_get_int(resp, "TTL");
		json_decref(resp);
	}
	return ttl >= 0 ? ttl : -1;
}

/*
 * One key as a holder: what its value says (an etcdctl lock's is empty),
 * alive or dead judged only where host, boot id and pid namespace are
 * this one's.
 */
static void
key_holder(struct esem *m, const json_t *kv, struct holder *h,
    const char *boot, unsigned long long pidns)
{
	char *v = j_get_bytes(kv, "value", NULL);
	json_t *j = json_loads(v, 0, NULL);
	const char *host = json_string_value(json_object_get(j, "host"));
	const char *b = json_string_value(json_object_get(j, "boot_id"));
	const char *cmd = json_string_value(json_object_get(j, "command"));

	memset(h, 0, sizeof(*h));
	snprintf(h->host, sizeof(h->host), "%s", host != NULL ? host : "");
	h->slot.pid = j_get_int(j, "pid");
	h->slot.start = j_get_int(j, "start");
	h->slot.since = j_get_int(j, "since");
	snprintf(h->slot.command, sizeof(h->slot.command), "%s", cmd != NULL ?
	    cmd : j == NULL ? "(etcdctl lock)" : "");
	h->alive = -1;
	if (host != NULL && strcmp(host, etcd_host(m->c)) == 0 && b != NULL &&
	    strcmp(b, boot) == 0 && (unsigned long long)j_get_int(j, "pidns")
	    == pidns && h->slot.pid > 0)
		h->alive = holder_alive(&h->slot);
	h->lease = lease_left(m, j_get_int(kv, "lease"));
	json_decref(j);
	free(v);
}

static int
es_holders(struct semobj *s, struct holder **h, uint32_t *n,
    bool *tracked, bool *hosts)
{
	struct esem *m = s->priv;
	json_t *resp, *kvs;
	char boot[64];
	size_t i;
	int e;

	*tracked = *hosts = true;
	if ((e = ranked(m, true, &resp)) != 0)
		return e;
	kvs = json_object_get(resp, "kvs");
	*n = json_array_size(kvs);
	if ((*h = calloc(*n + 1, sizeof(**h))) == NULL) {
		json_decref(resp);
		return ENOMEM;
	}
	boot_id(boot, sizeof(boot));
	for (i = 0; i < *n; i++) {
		key_holder(m, json_array_get(kvs, i), &(*h)[i], boot,
		    pid_ns());
		(*h)[i].waiting = (long long)i >= m->capacity;
	}
	json_decref(resp);
	return 0;
}

/* run: a keeper keeps the lease alive, and says when the token is lost. */
static int
es_lost_fd(struct semobj *s, const struct token *t)
{
	struct esem *m = s->priv;

	(void)t;
	static int lost[2] = { -1, -1 };

	/* The lease's deadline counts from the send of the last renewal. */
	m->keeper = keeper_start(m->lease, m->ttl, m->renewed, m->key);
	if (m->keeper != NULL)
		return keeper_fd(m->keeper);
	/*
	 * No keeper (it could not start, authenticate or reach the
	 * cluster): nothing renews the lease, so the token is lost now, and
	 * COMMAND ended long before the lease can expire.
	 */
	if (lost[0] == -1 && (pipe2(lost, O_CLOEXEC) == -1 ||
	    write(lost[1], "x", 1) != 1))
		return -1;
	return lost[0];
}

static char	*once_key(const struct esem *);

/*
 * Remove the capacity and every key; ENOENT where there was none. The
 * capacity is read first, and the transaction that removes all removes
 * only the semaphore read (its create revision): a retry whose first try
 * applied, or a semaphore another unlink removed meanwhile, is not
 * missing -- it was there when we looked, and is gone.
 */
static int
es_unlink(const char *name)
{
	struct esem m = { 0 };
	json_t *resp, *kvs;
	char *k = NULL;
	long long crev;
	int e, tries = 0;

	if ((e = etcd_shared(&m.c)) != 0 || (e = esem_keys(&m, name)) != 0)
		goto out;
	if ((e = etcd_call(m.c, "kv/range", json_pack("{s:o, s:b}", "key",
	    j_str(m.cap_key), "keys_only", 1), &resp)) != 0)
		goto out;
	kvs = json_object_get(resp, "kvs");
	crev = j_get_int(json_array_get(kvs, 0), "create_revision");
	json_decref(resp);
	if (crev <= 0) {
		e = ENOENT;
		goto out;
	}
	/* The last run goes too: a semaphore made again starts afresh. */
	if ((k = once_key(&m)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	do
		e = etcd_call(m.c, "kv/txn", json_pack("{s:[{s:o, s:s, s:s, "
		    "s:o}], s:[{s:{s:o}}, {s:{s:o, s:o}}, {s:{s:o}}]}",
		    "compare", "key", j_str(m.cap_key), "result", "EQUAL", "target", "CREATE",
		    "create_revision", j_int(crev),
		    "success", "request_delete_range", "key", j_str(m.cap_key),
		    "request_delete_range", "key", j_str(m.pfx), "range_end",
		    j_str(m.pfx_end), "request_delete_range", "key", j_str(k)),
		    &resp);
	while (e == E_UNAVAILABLE && etcd_reached(m.c) && ++tries < RETRIES &&
	    !signal_noted());
	if (e == 0)
		json_decref(resp);
out:
	free(k);
	free(m.cap_key);
	free(m.pfx);
	free(m.pfx_end);
	return e;
}

/*
 * run --once-per and --once-key: the last run is PREFIX semrun/NAME,
 * outside the token range (etcdctl lock on the name still works), a JSON
 * object with the runner's key and its create revision: the run is in
 * hand while that key still stands.
 */
static char *
once_key(const struct esem *m)
{
	char *k;
	size_t plen = strlen(etcd_prefix(m->c));

	/* cap_key is PREFIX "sem/" NAME. */
	if (asprintf(&k, "%ssemrun/%s", etcd_prefix(m->c),
	    m->cap_key + plen + 4) == -1)
		return NULL;
	return k;
}

/* Whether key still stands with create revision rev. */
static int
key_stands(struct esem *m, const char *key, long long rev, bool *stands)
{
	json_t *resp, *kvs;
	int e;

	*stands = false;
	if ((e = etcd_call(m->c, "kv/range", json_pack("{s:o, s:b}", "key",
	    j_str(key), "keys_only", 1), &resp)) != 0)
		return e;
	kvs = json_object_get(resp, "kvs");
	*stands = json_array_size(kvs) == 1 &&
	    j_get_int(json_array_get(kvs, 0), "create_revision") == rev;
	json_decref(resp);
	return 0;
}

static int
es_once_get(struct semobj *s, struct run_record *r)
{
	struct esem *m = s->priv;
	json_t *resp, *kv, *v = NULL;
	char *k, *text = NULL;
	const char *once, *host, *key;
	json_int_t pid, status, rev, start, end, pid_start;
	json_error_t je;
	int e;

	if ((k = once_key(m)) == NULL)
		return ENOMEM;
	e = etcd_call(m->c, "kv/range", json_pack("{s:o}", "key", j_str(k)),
	    &resp);
	free(k);
	if (e != 0)
		return e;
	memset(r, 0, sizeof(*r));
	if ((kv = json_array_get(json_object_get(resp, "kvs"), 0)) == NULL)
		e = ENOENT;
	else if ((text = j_get_bytes(kv, "value", NULL)) == NULL ||
	    (v = json_loads(text, 0, &je)) == NULL ||
	    json_unpack(v, "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I}",
	    "once", &once, "host", &host, "pid", &pid, "start", &start,
	    "end", &end, "status", &status, "pid_start", &pid_start,
	    "key", &key, "key_rev", &rev) != 0)
		e = error_set(E_DAMAGED, "the record of the last run is not "
		    "ipcctl's");
	else {
		snprintf(r->once, sizeof(r->once), "%s", once);
		snprintf(r->host, sizeof(r->host), "%s", host);
		r->pid = pid;
		r->status = status;
		r->start = start;
		r->end = end;
		r->pid_start = pid_start;
		r->rev = j_get_int(kv, "mod_revision");
		if (r->status == RUN_RUNNING)
			e = key_stands(m, key, rev, &r->alive);
	}
	json_decref(v);
	free(text);
	json_decref(resp);
	return e;
}

/*
 * One transaction: the record is put only where it is still the one seen
 * (by its mod revision; none: never made) and our key still stands.
 */
static int
es_once_put(struct semobj *s, const struct token *t,
    struct run_record *r, const struct run_record *seen)
{
	struct esem *m = s->priv;
	json_t *req, *resp, *v;
	char *k, *text;
	int e;

	(void)t;
	if (r->host[0] == '\0')
		snprintf(r->host, sizeof(r->host), "%s", etcd_host(m->c));
	if ((k = once_key(m)) == NULL)
		return ENOMEM;
	v = json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:i, s:s, s:I}",
	    "once", r->once, "host", r->host, "pid", (int)r->pid, "pid_start",
	    (json_int_t)r->pid_start, "start", (json_int_t)r->start, "end",
	    (json_int_t)r->end, "status", (int)r->status, "key",
	    m->key != NULL ? m->key : "", "key_rev", (json_int_t)m->fence);
	text = v != NULL ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	req = text == NULL ? NULL : json_pack("{s:[{s:o, s:s, s:s, s:o}, "
	    "{s:o, s:s, s:s, s:o}], s:[{s:{s:o, s:o}}]}",
	    "compare",
	    "key", j_str(k), "result", "EQUAL", "target", seen != NULL ?
	    "MOD" : "CREATE", seen != NULL ? "mod_revision" :
	    "create_revision", j_int(seen != NULL ? seen->rev : 0),
	    "key", j_str(m->key != NULL ? m->key : ""), "result", "EQUAL",
	    "target", "CREATE", "create_revision", j_int(m->fence),
	    "success", "request_put", "key", j_str(k), "value", j_str(text));
	free(text);
	free(k);
	if (req == NULL)
		return ENOMEM;
	if ((e = etcd_call(m->c, "kv/txn", req, &resp)) != 0)
		return e;
	if (!json_is_true(json_object_get(resp, "succeeded")))
		e = EAGAIN;
	else
		r->rev = answer_revision(resp);
	json_decref(resp);
	return e;
}

const struct sem_ops semops_etcd = {
	.open = es_open,
	.close = es_close,
	.acquire = es_acquire,
	.release = es_release,
	.release_holder = es_release_holder,
	.release_token = es_release_token,
	.recover = es_recover,
	.value = es_value,
	.info = es_info,
	.holders = es_holders,
	.lost_fd = es_lost_fd,
	.once_get = es_once_get,
	.once_put = es_once_put,
	.unlink = es_unlink,
};
