/*
 * Message queues in etcd. A queue is its sizes, at PREFIX mq/NAME, and
 * one key per message under PREFIX mq/NAME/, named
 * "<32767 - priority, 5 digits>/<sender>-<n>": key order puts the highest
 * priority first, and within a priority messages are taken by create
 * revision, first in, first out, across all senders.
 *
 * Every message is delivered once, across lost answers and leader
 * changes, through claims. Taking messages is one transaction: each
 * message unchanged since it was read is deleted, and a claim put at
 * PREFIX mqclaim/NAME/<receiver>/<n> holding its key and bytes; the
 * receiver is named by a lease it keeps alive. Once written out, the
 * claims are deleted (acknowledge); when the write failed, each goes back
 * in one transaction (put back). Claims whose receiver's lease is gone
 * are put back by the next receive. A lost answer is resolved by reading
 * back what the request made: a send's key, a take's first claim.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "etcd/etcd.h"

#define MQ_TTL		10		/* seconds: a receiver's lease */
#define SEQ_TTL		60		/* seconds: a sender's */
#define MQ_PRIO_TOP	32767		/* the kernel's MQ_PRIO_MAX - 1 */
#define BATCH_MAX	64		/* two operations each: 128 a txn */
#define CLAIMS_SEEN	1000		/* claims looked at for dead owners */

struct claim {
	char		*key;		/* the claim's */
	char		*msgkey;	/* the message's, to put it back at */
	long long	 rev;		/* the claim's mod revision */
	char		*data;		/* the message; NULL once handed out */
	size_t		 len;
	unsigned	 prio;
};

struct emq {
	struct etcd	*c;
	char		*size_key;		/* PREFIX mq/NAME */
	char		*pfx, *pfx_end;		/* PREFIX mq/NAME/ and after */
	char		*cl, *cl_end;		/* PREFIX mqclaim/NAME/ ... */
	long		 maxmsg, msgsize;
	long long	 qrev;			/* create revision of size_key */
	long long	 count, rev;		/* send: messages at revision */
	char		 sender[17];		/* send: ours, in hex */
	unsigned long long n;			/* keys made by us */
	char		*seq, *seq_end;		/* PREFIX mqseq/NAME/ ... */
	char		*seq_key;		/* send: ... <sender> */
	long long	 seq_lease;		/* send: its lease */
	time_t		 seq_renewed;		/* sent the last that renewed */
	unsigned long long sent;		/* messages it counts */
	long long	 lease;			/* receive: ours, once taken */
	struct keeper	*keeper;		/* keeps it alive */
	time_t		 swept;			/* dead receivers' claims, at */
	int		 level;			/* MQ_PRIO_TOP - last priority */
	struct claim	*claims;		/* in hand, oldest first */
	size_t		 nclaims, cap, given;
};

static void
emq_free(struct emq *m)
{
	size_t i;

	for (i = 0; i < m->nclaims; i++) {
		free(m->claims[i].key);
		free(m->claims[i].msgkey);
		free(m->claims[i].data);
	}
	free(m->claims);
	free(m->size_key);
	free(m->pfx);
	free(m->pfx_end);
	free(m->cl);
	free(m->cl_end);
	free(m->seq);
	free(m->seq_end);
	free(m->seq_key);
	free(m);
}

/* The keys of queue name ("etcd:/NAME"). */
static int
emq_keys(struct emq *m, const char *name)
{
	const char *base = name + strlen(ETCD_SCHEME) + 1;
	const char *prefix = etcd_prefix(m->c);

	if (asprintf(&m->size_key, "%smq/%s", prefix, base) == -1 ||
	    asprintf(&m->pfx, "%smq/%s/", prefix, base) == -1 ||
	    asprintf(&m->cl, "%smqclaim/%s/", prefix, base) == -1 ||
	    asprintf(&m->seq, "%smqseq/%s/", prefix, base) == -1)
		return ENOMEM;
	m->pfx_end = range_end(m->pfx);
	m->cl_end = range_end(m->cl);
	m->seq_end = range_end(m->seq);
	return 0;
}

/* A queue's sizes, as its key holds them. */
int
mq_sizes_parse(const char *v, long *maxmsg, long *msgsize)
{
	if (sscanf(v, "max_messages=%ld message_size=%ld", maxmsg,
	    msgsize) != 2 || *maxmsg < 1 || *msgsize < 1)
		return E_DAMAGED;
	return 0;
}

/*
 * The largest message a cluster that takes requests of max bytes takes:
 * a send, a take or a put back carries it once, base64, with its keys.
 */
long
mq_message_max(long long max)
{
	return (max - 2048) / 4 * 3;
}

/* Messages one take may claim: a transaction of BATCH_MAX at most. */
static long long
batch_size(const struct emq *m, long long want)
{
	long long fit = etcd_max_request(m->c) / (m->msgsize / 3 * 4 + 1024);

	if (want > BATCH_MAX)
		want = BATCH_MAX;
	if (want > fit)
		want = fit;
	return want > 0 ? want : 1;
}

static json_t *
range_count(const struct emq *m)
{
	return json_pack("{s:{s:o, s:o, s:b}}", "request_range", "key",
	    j_str(m->pfx), "range_end", j_str(m->pfx_end), "count_only", 1);
}

/* The sizes from a range's kvs, and the count and revision after them. */
static int
read_sizes(struct emq *m, const json_t *resp, size_t i)
{
	const json_t *kvs = txn_kvs(resp, i);
	char *v;
	int e;

	if (json_array_size(kvs) == 0)
		return ENOENT;
	v = j_get_bytes(json_array_get(kvs, 0), "value", NULL);
	e = mq_sizes_parse(v, &m->maxmsg, &m->msgsize);
	free(v);
	if (e != 0)
		return error_set(E_DAMAGED, "%s holds no queue sizes",
		    m->size_key);
	m->qrev = j_get_int(json_array_get(kvs, 0), "create_revision");
	m->count = txn_count(resp, i + 1);
	m->rev = answer_revision(resp);
	return 0;
}

/*
 * Open, or with O_CREAT make (sizes attr, 10 and 8192 for none or 0): one
 * transaction that puts the sizes only if the key was never made, and
 * reads them and counts the messages either way.
 */
static int
emq_open(struct emq *m, const char *name, const struct open_opts *o,
    const struct mq_attr *attr)
{
	long maxmsg = attr != NULL && attr->mq_maxmsg != 0 ? attr->mq_maxmsg :
	    MQ_MSG_DEFAULT;
	long msgsize = attr != NULL && attr->mq_msgsize != 0 ?
	    attr->mq_msgsize : MQ_MSGSIZE_DEFAULT;
	json_t *req, *resp, *read;
	uint64_t id;
	char sizes[64];
	int e;

	if ((e = etcd_shared(&m->c)) != 0 || (e = emq_keys(m, name)) != 0)
		return e;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return errno;
	snprintf(m->sender, sizeof(m->sender), "%016" PRIx64, id);
	if ((o->flags & O_CREAT) &&
	    msgsize > mq_message_max(etcd_max_request(m->c)))
		return error_set(E_LIMIT, "message size %ld: more than the "
		    "cluster's largest, %ld (see limits etcd:)", msgsize,
		    mq_message_max(etcd_max_request(m->c)));
	snprintf(sizes, sizeof(sizes), "max_messages=%ld message_size=%ld",
	    maxmsg, msgsize);
	read = json_pack("[{s:{s:o}}, o]", "request_range", "key",
	    j_str(m->size_key), range_count(m));
	/*
	 * A queue made starts empty: what an earlier queue of the name left
	 * (messages a sender put after its unlink, claims, sequences) goes
	 * in the transaction that makes it.
	 */
	if (o->flags & O_CREAT)
		req = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:{s:o, s:o}}, "
		    "{s:{s:o, s:o}}, {s:{s:o, s:o}}, {s:{s:o, s:o}}, O, O], "
		    "s:O}", "compare", "key", j_str(m->size_key), "result",
		    "EQUAL", "target", "CREATE", "create_revision", "0",
		    "success", "request_delete_range", "key", j_str(m->pfx),
		    "range_end", j_str(m->pfx_end),
		    "request_delete_range", "key", j_str(m->cl), "range_end",
		    j_str(m->cl_end),
		    "request_delete_range", "key", j_str(m->seq), "range_end",
		    j_str(m->seq_end),
		    "request_put", "key", j_str(m->size_key),
		    "value", j_bytes(sizes, strlen(sizes)),
		    json_array_get(read, 0), json_array_get(read, 1),
		    "failure", read);
	else
		req = json_pack("{s:O}", "success", read);
	json_decref(read);
	if ((e = etcd_call(m->c, "kv/txn", req, &resp)) != 0)
		return e;
	if ((o->flags & O_CREAT) && json_is_true(json_object_get(resp,
	    "succeeded")))
		e = read_sizes(m, resp, 4);
	else if ((o->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		e = EEXIST;
	else
		e = read_sizes(m, resp, 0);
	json_decref(resp);
	return e;
}

static int
eq_open(struct mqobj *q, const char *name, const struct open_opts *o,
    int access, struct mq_attr *attr)
{
	struct emq *m;
	int e;

	(void)access;
	q->name = name;
	if ((q->priv = m = calloc(1, sizeof(*m))) == NULL)
		return ENOMEM;
	if ((e = emq_open(m, name, o, attr)) != 0) {
		emq_free(m);
		q->priv = NULL;
	}
	return e;
}

static int
eq_open_put_back(struct mqobj *q)
{
	(void)q;
	return 0;		/* etcd's roles say whether it may write */
}

static int
eq_attr(struct mqobj *q, struct mq_attr *attr)
{
	const struct emq *m = q->priv;

	memset(attr, 0, sizeof(*attr));
	attr->mq_maxmsg = m->maxmsg;
	attr->mq_msgsize = m->msgsize;
	attr->mq_curmsgs = m->count;
	return 0;
}

static int
eq_info(struct mqobj *q, struct mq_attr *attr, struct stat *st)
{
	memset(st, 0, sizeof(*st));	/* st_mode 0: no file on this host */
	return eq_attr(q, attr);
}

/* Wait for a change of kind ("NOPUT": deletes; "NODELETE": puts). */
static int
wait_change(struct emq *m, const char *filter, long long ms,
    const sigset_t *mask)
{
	sigset_t old;
	json_t *req;
	int e;

	req = json_pack("{s:o, s:o, s:o, s:[s]}", "key", j_str(m->pfx),
	    "range_end", j_str(m->pfx_end), "start_revision", j_int(m->rev + 1),
	    "filters", filter);
	if (mask != NULL)
		sigprocmask(SIG_SETMASK, mask, &old);
	e = signal_noted() ? EINTR : etcd_watch(m->c, req, ms);
	if (mask != NULL)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return e;
}

/*
 * Whether a loop that reads again may go on, at its tries-th turn: 0, or
 * EINTR, ETIMEDOUT, or EAGAIN for -t 0 after many turns; after a few
 * turns, a pause that grows to 100 ms, so that a server whose answers
 * never let a request through cannot make it spin.
 */
static int
again(const struct deadline *d, int tries)
{
	struct timespec left;
	long ms;

	if (signal_noted())
		return EINTR;
	if (d->once && tries >= 100)
		return EAGAIN;
	if (!d->once && !d->forever && !deadline_left(d, &left))
		return ETIMEDOUT;
	if (tries > 8) {
		ms = tries > 18 ? 100 : 1L << (tries - 9);
		nanosleep(&(struct timespec){ 0, ms * 1000000 }, NULL);
	}
	return 0;
}

/* Whether a wait may go on: 0, or EAGAIN, ETIMEDOUT, EINTR. */
static int
may_wait(const struct deadline *d)
{
	struct timespec left;

	if (d->once)
		return EAGAIN;
	if (!d->forever && !deadline_left(d, &left))
		return ETIMEDOUT;
	return signal_noted() ? EINTR : 0;
}

/*
 * Whether kvs, a range of the sizes key, shows the queue opened: 0, or
 * ENOENT where it was removed (and maybe made again) meanwhile.
 */
static int
same_queue(const struct emq *m, const json_t *kvs)
{
	if (json_array_size(kvs) == 0 || j_get_int(json_array_get(kvs, 0),
	    "create_revision") != m->qrev)
		return error_set(ENOENT, "the queue was removed");
	return 0;
}

/* The compare that the queue is the one opened. */
static json_t *
cmp_queue(const struct emq *m)
{
	return json_pack("{s:o, s:s, s:s, s:o}", "key", j_str(m->size_key),
	    "result", "EQUAL", "target", "CREATE", "create_revision",
	    j_int(m->qrev));
}

/* Count the messages now: m->count at m->rev. */
static int
count(struct emq *m)
{
	json_t *resp;
	int e;

	if ((e = etcd_call(m->c, "kv/txn", json_pack("{s:[{s:{s:o}}, o]}",
	    "success", "request_range", "key", j_str(m->size_key),
	    range_count(m)), &resp)) != 0)
		return e;
	e = same_queue(m, txn_kvs(resp, 0));
	m->count = txn_count(resp, 1);
	m->rev = answer_revision(resp);
	json_decref(resp);
	return e;
}

static time_t
boottime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec;
}

/*
 * The sender's lease, under which its sequence key lives: granted at the
 * first send, renewed when a third of its time went by since the send of
 * the last request that renewed it. Gone (the cluster out of reach for
 * its whole time), a new one, and the sequence starts again -- only
 * where unsure is false: no send is in doubt that the old key would have
 * told about.
 */
static int
sender_lease(struct emq *m, bool unsure)
{
	time_t now = boottime();
	json_t *resp;
	int e;

	if (m->seq_lease != 0 && now - m->seq_renewed < SEQ_TTL / 3)
		return 0;
	if (m->seq_lease != 0) {
		if ((e = etcd_call(m->c, "lease/keepalive", json_pack("{s:o}",
		    "ID", j_int(m->seq_lease)), &resp)) != 0)
			return e;
		e = j_get_int(resp, "TTL") > 0 ? 0 : ESTALE;
		json_decref(resp);
		if (e == 0) {
			m->seq_renewed = now;
			return 0;
		}
		if (unsure)
			return error_set(E_UNAVAILABLE, "the sender's lease "
			    "ended with a message in doubt: it may have been "
			    "sent");
	}
	if ((e = etcd_lease_grant(m->c, SEQ_TTL, &m->seq_lease)) != 0)
		return e;
	m->seq_renewed = now;
	m->sent = 0;
	free(m->seq_key);
	if (asprintf(&m->seq_key, "%s%s-%llx", m->seq, m->sender,
	    m->seq_lease) == -1)
		return ENOMEM;
	return 0;
}

/* A sequence number as its key holds it: text that sorts as numbers. */
static json_t *
seq_text(unsigned long long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%016llx", n);
	return j_str(buf);
}

/*
 * The transaction of eq_send for message msg, key, this sender's n-th;
 * where it fails, it reads the size, our sequence and the count.
 */
static json_t *
send_txn(struct emq *m, const char *key, const char *msg, size_t len,
    unsigned long long n)
{
	json_t *seqcmp;

	seqcmp = n == 1 ? json_pack("{s:o, s:s, s:s, s:s}", "key",
	    j_str(m->seq_key), "result", "EQUAL", "target", "CREATE",
	    "create_revision", "0") : json_pack("{s:o, s:s, s:s, s:o}",
	    "key", j_str(m->seq_key), "result", "LESS", "target",
	    "VALUE", "value", seq_text(n));
	return json_pack("{s:[o, o, {s:o, s:s, s:s, s:s}, {s:o, s:o, "
	    "s:s, s:s, s:o}], s:[{s:{s:o, s:o}}, {s:{s:o, s:o, s:o}}], "
	    "s:[{s:{s:o}}, {s:{s:o}}, o]}",
	    "compare", cmp_queue(m), seqcmp,
	    "key", j_str(key), "result", "EQUAL", "target",
	    "CREATE", "create_revision", "0",
	    "key", j_str(m->pfx), "range_end", j_str(m->pfx_end),
	    "result", "LESS", "target", "MOD", "mod_revision",
	    j_int(m->rev + 1),
	    "success", "request_put", "key", j_str(key), "value",
	    j_bytes(msg, len),
	    "request_put", "key", j_str(m->seq_key), "value",
	    seq_text(n), "lease", j_int(m->seq_lease),
	    "failure", "request_range", "key", j_str(m->size_key),
	    "request_range", "key", j_str(m->seq_key), range_count(m));
}

/* Whether our sequence read (kvs) is at n: a lost answer's try sent it. */
static bool
sent_already(const json_t *kvs, unsigned long long n)
{
	char want[32], *v;
	bool made;

	v = json_array_size(kvs) > 0 ? j_get_bytes(json_array_get(kvs, 0),
	    "value", NULL) : NULL;
	snprintf(want, sizeof(want), "%016llx", n);
	made = v != NULL && strcmp(v, want) >= 0;
	free(v);
	return made;
}

/*
 * Send one message: a transaction that makes its key and advances our
 * sequence to n -- only if the queue is the one opened, the key was never
 * made, our sequence is below n, and no message was added since the count
 * that left room. A retry after a lost or cut answer that finds our
 * sequence at n knows its message went in, even if a receiver took it
 * since; so an answer lost on its way is asked again, never put twice.
 */
static int
eq_send(struct mqobj *q, const char *msg, size_t len, unsigned prio,
    const struct deadline *d)
{
	struct emq *m = q->priv;
	unsigned long long n;
	json_t *req, *resp;
	bool made = false, unsure = false;
	char *key;
	int e, retries = 0, tries;

	if (asprintf(&key, "%s%05u/%s-%016llx", m->pfx, MQ_PRIO_TOP - prio,
	    m->sender, m->n++) == -1)
		return ENOMEM;
	for (tries = 0;; tries++) {
		/* Beaten to the room again and again: bounded all the same. */
		if (tries > 0 && !unsure && (e = again(d, tries)) != 0)
			break;
		if ((e = sender_lease(m, unsure)) != 0)
			break;
		n = m->sent + 1;
		if (m->count >= m->maxmsg && !unsure) {
			if ((e = may_wait(d)) != 0 ||
			    (e = wait_change(m, "NOPUT", etcd_slice_ms(MQ_TTL,
			    d), NULL)) != 0 || (e = count(m)) != 0)
				break;
			continue;
		}
		req = send_txn(m, key, msg, len, n);
		if ((e = etcd_call(m->c, "kv/txn", req, &resp)) != 0) {
			/*
			 * The answer lost, or cut: the transaction may have
			 * applied. Asked again, it says which.
			 */
			if (e == E_UNAVAILABLE && etcd_reached(m->c) &&
			    retries++ < 3 && !signal_noted()) {
				unsure = true;
				continue;
			}
			if (unsure && e == E_UNAVAILABLE)
				warnx("%s: the message may have been sent",
				    q->name);
			break;
		}
		m->rev = answer_revision(resp);
		if (json_is_true(json_object_get(resp, "succeeded")))
			made = true;
		else if ((e = same_queue(m, txn_kvs(resp, 0))) == 0) {
			made = sent_already(txn_kvs(resp, 1), n);
			m->count = txn_count(resp, 2);
		}
		json_decref(resp);
		if (made) {
			m->sent = n;
			m->count++;
		}
		if (made || e != 0)
			break;
		unsure = false;
	}
	free(key);
	return e;
}

/*
 * Our lease, granted at the first claim and kept alive by a thread from
 * then on, even while a write to stdout blocks; lost (the cluster out of
 * reach for half its time), a new one, under a new name.
 */
static int
receiver_lease(struct emq *m)
{
	struct timespec sent;
	char b;
	int e;

	if (m->lease != 0 && read(keeper_fd(m->keeper), &b, 1) != 1)
		return 0;
	keeper_stop(m->keeper);
	m->keeper = NULL;
	clock_gettime(CLOCK_BOOTTIME, &sent);
	if ((e = etcd_lease_grant(m->c, MQ_TTL, &m->lease)) != 0)
		return e;
	if ((m->keeper = keeper_start(m->lease, MQ_TTL, sent.tv_sec +
	    sent.tv_nsec / 1e9, NULL)) == NULL)
		return error_set(E_UNAVAILABLE, "no thread keeps the receiver's "
		    "lease alive");
	fcntl(keeper_fd(m->keeper), F_SETFL, O_NONBLOCK);
	return 0;
}

/* Whether lease id (hex) has ended. */
static bool
lease_gone(struct emq *m, const char *hex)
{
	json_t *resp;
	bool gone;

	if (etcd_call(m->c, "lease/timetolive", json_pack("{s:o}", "ID",
	    j_int(strtoll(hex, NULL, 16))), &resp) != 0)
		return false;
	gone = j_get_int(resp, "TTL") < 0;
	json_decref(resp);
	return gone;
}

/* One transaction: claims kvs[from..to) go back as their messages. */
static int
put_back_kvs(struct emq *m, const json_t *kvs, size_t from, size_t to)
{
	json_t *cmp = json_array(), *ops = json_array(), *resp;
	size_t i, len;
	char *v, *data;
	int e;

	for (i = from; i < to; i++) {
		const json_t *kv = json_array_get(kvs, i);

		v = j_get_bytes(kv, "value", &len);
		data = memchr(v, '\0', len);
		if (data != NULL) {
			json_array_append_new(cmp, json_pack("{s:O, s:s, s:s, "
			    "s:o}", "key", json_object_get(kv, "key"), "result",
			    "EQUAL", "target", "MOD", "mod_revision",
			    j_int(j_get_int(kv, "mod_revision"))));
			json_array_append_new(ops, json_pack("{s:{s:O}}",
			    "request_delete_range", "key",
			    json_object_get(kv, "key")));
			json_array_append_new(ops, json_pack("{s:{s:o, s:o}}",
			    "request_put", "key", j_str(v), "value",
			    j_bytes(data + 1, len - (data + 1 - v))));
		}
		free(v);
	}
	e = etcd_call(m->c, "kv/txn", json_pack("{s:o, s:o}", "compare", cmp,
	    "success", ops), &resp);
	json_decref(resp);
	return e;
}

/* Whether to look for dead receivers' claims: first, then every lease. */
static bool
sweep_due(const struct emq *m)
{
	return m->swept == 0 || boottime() - m->swept >= MQ_TTL;
}

/*
 * The claims of receivers whose lease has ended go back on the queue:
 * looked for at a receive's first take and a lease's time after, in the
 * claims that take's read saw. Whether any went back.
 */
static bool
sweep(struct emq *m, const json_t *seen)
{
	bool back = false;
	char ours[32], rid[32], *pfx, *end;
	const char *key;
	json_t *resp, *kvs;
	size_t i, j, n = strlen(m->cl);

	snprintf(ours, sizeof(ours), "%llx", m->lease);
	rid[0] = '\0';
	for (i = 0; i < json_array_size(seen); i++) {
		char *k = j_get_bytes(json_array_get(seen, i), "key", NULL);

		key = k + n;
		if (strncmp(k, m->cl, n) != 0 || strcspn(key, "/") >= sizeof(rid) ||
		    (strncmp(key, rid, strlen(rid)) == 0 && key[strlen(rid)] ==
		    '/' && rid[0] != '\0')) {
			free(k);
			continue;
		}
		snprintf(rid, sizeof(rid), "%.*s", (int)strcspn(key, "/"), key);
		free(k);
		if (strcmp(rid, ours) == 0 || !lease_gone(m, rid))
			continue;
		if (asprintf(&pfx, "%s%s/", m->cl, rid) == -1)
			continue;
		end = range_end(pfx);
		if (etcd_call(m->c, "kv/range", json_pack("{s:o, s:o}", "key",
		    j_str(pfx), "range_end", j_str(end)), &resp) == 0) {
			kvs = json_object_get(resp, "kvs");
			for (j = 0; j < json_array_size(kvs); j += BATCH_MAX)
				back |= put_back_kvs(m, kvs, j, j + BATCH_MAX <
				    json_array_size(kvs) ? j + BATCH_MAX :
				    json_array_size(kvs)) == 0;
			json_decref(resp);
		}
		free(pfx);
		free(end);
	}
	m->swept = boottime();
	return back;
}

/* The level (MQ_PRIO_TOP - priority) of a message's key; -1: no message's. */
static int
key_level(const struct emq *m, const json_t *kv)
{
	char *k = j_get_bytes(kv, "key", NULL), *end;
	const char *p = k + strlen(m->pfx);
	long level;

	level = strncmp(k, m->pfx, strlen(m->pfx)) == 0 ?
	    strtol(p, &end, 10) : -1;
	if (level < 0 || level > MQ_PRIO_TOP || end != p + 5 || *end != '/')
		level = -1;
	free(k);
	return level;
}

/* Claims for kvs, the messages read, put in hand. */
static void
hold(struct emq *m, const json_t *kvs, char **keys, long long rev)
{
	struct claim *c;
	size_t i;

	for (i = 0; i < json_array_size(kvs); i++) {
		const json_t *kv = json_array_get(kvs, i);

		if (m->nclaims == m->cap) {
			m->cap = m->cap == 0 ? BATCH_MAX : m->cap * 2;
			if ((m->claims = reallocarray(m->claims, m->cap,
			    sizeof(*m->claims))) == NULL)
				die(ENOMEM, NULL);
		}
		c = &m->claims[m->nclaims++];
		c->key = keys[i];
		keys[i] = NULL;
		c->msgkey = j_get_bytes(kv, "key", NULL);
		c->data = j_get_bytes(kv, "value", &c->len);
		c->prio = MQ_PRIO_TOP - key_level(m, kv);
		c->rev = rev;
	}
}

/*
 * Claim kvs, messages read at one revision: one transaction that deletes
 * each, if unchanged, and puts its claim; its failure branch reads the
 * first claim back, which stands if a lost answer's first try made them.
 * 0 (claimed), EAGAIN (another receiver was first), or an error.
 */
static int
claim(struct emq *m, const json_t *kvs)
{
	json_t *cmp = json_array(), *ops = json_array(), *resp;
	size_t i, n = json_array_size(kvs), len;
	char **keys, *v, *key;
	int e;

	if (n == 0)
		return EAGAIN;		/* read again */
	if ((keys = calloc(n, sizeof(*keys))) == NULL)
		die(ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		const json_t *kv = json_array_get(kvs, i);
		char *k = j_get_bytes(kv, "key", NULL);
		char *d = j_get_bytes(kv, "value", &len);

		if (asprintf(&keys[i], "%s%llx/%016llx", m->cl, m->lease,
		    m->n++) == -1 || (v = malloc(strlen(k) + 1 + len)) == NULL)
			die(ENOMEM, NULL);
		memcpy(v, k, strlen(k) + 1);
		memcpy(v + strlen(k) + 1, d, len);
		json_array_append_new(cmp, json_pack("{s:O, s:s, s:s, s:o}",
		    "key", json_object_get(kv, "key"), "result", "EQUAL",
		    "target", "MOD", "mod_revision",
		    j_int(j_get_int(kv, "mod_revision"))));
		json_array_append_new(ops, json_pack("{s:{s:O}}",
		    "request_delete_range", "key", json_object_get(kv, "key")));
		json_array_append_new(ops, json_pack("{s:{s:o, s:o}}",
		    "request_put", "key", j_str(keys[i]), "value",
		    j_bytes(v, strlen(k) + 1 + len)));
		free(k);
		free(d);
		free(v);
	}
	key = keys[0];
	/* Nothing taken from a queue removed since it was opened. */
	json_array_append_new(cmp, cmp_queue(m));
	if ((e = etcd_call(m->c, "kv/txn", json_pack("{s:o, s:o, s:[{s:{s:o, "
	    "s:b}}, {s:{s:o}}]}", "compare", cmp, "success", ops, "failure",
	    "request_range", "key", j_str(key), "keys_only", 1,
	    "request_range", "key", j_str(m->size_key)), &resp)) == 0) {
		/* The claims' revision: this one's, or the first try's. */
		if (json_is_true(json_object_get(resp, "succeeded")))
			hold(m, kvs, keys, answer_revision(resp));
		else if (json_array_size(txn_kvs(resp, 0)) > 0)
			hold(m, kvs, keys, j_get_int(json_array_get(
			    txn_kvs(resp, 0), 0), "mod_revision"));
		else if ((e = same_queue(m, txn_kvs(resp, 1))) == 0)
			e = EAGAIN;
		json_decref(resp);
	}
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return e;
}

/*
 * Read the first messages and claim them: at most want, all of the
 * highest priority there is, oldest first. One transaction reads the
 * first key of the queue (its priority) beside the oldest messages of
 * the priority last seen, and, once per receive, the claims there are.
 * 0 (claimed), or EAGAIN with m->rev where the queue is empty.
 */
static int
claim_first(struct emq *m, long long want, const struct deadline *d)
{
	char level[16], *lp, *le;
	json_t *req, *resp;
	bool sweep_now;
	int e, first, tries;

	for (tries = 0;; tries++) {
		/*
		 * Read again (another receiver was first, a priority
		 * changed): within the deadline and until a signal, and a
		 * bounded number of times for -t 0.
		 */
		if (tries > 0 && (e = again(d, tries)) != 0)
			return e;
		sweep_now = sweep_due(m);
		snprintf(level, sizeof(level), "%05d/", m->level);
		if (asprintf(&lp, "%s%s", m->pfx, level) == -1)
			return ENOMEM;
		le = range_end(lp);
		req = json_pack("{s:[{s:{s:o, s:o, s:i, s:b}}, {s:{s:o, s:o, "
		    "s:I, s:s, s:s}}]}", "success",
		    "request_range", "key", j_str(m->pfx), "range_end",
		    j_str(m->pfx_end), "limit", 1, "keys_only", 1,
		    "request_range", "key", j_str(lp), "range_end", j_str(le),
		    "limit", (json_int_t)batch_size(m, want), "sort_order",
		    "ASCEND", "sort_target", "CREATE");
		free(lp);
		free(le);
		json_array_append_new(json_object_get(req, "success"),
		    json_pack("{s:{s:o}}", "request_range", "key",
		    j_str(m->size_key)));
		if (sweep_now)
			json_array_append_new(json_object_get(req, "success"),
			    json_pack("{s:{s:o, s:o, s:i, s:b}}", "request_range",
			    "key", j_str(m->cl), "range_end", j_str(m->cl_end),
			    "limit", CLAIMS_SEEN, "keys_only", 1));
		if ((e = etcd_call(m->c, "kv/txn", req, &resp)) != 0)
			return e;
		m->rev = answer_revision(resp);
		/* The queue removed meanwhile: 66. */
		if ((e = same_queue(m, txn_kvs(resp, 2))) != 0) {
			json_decref(resp);
			return e;
		}
		/* Messages put back: read again. */
		if (sweep_now && sweep(m, txn_kvs(resp, 3)))
			e = 0;
		else if (json_array_size(txn_kvs(resp, 0)) == 0)
			e = EAGAIN;
		else if ((first = key_level(m, json_array_get(txn_kvs(resp, 0),
		    0))) == -1)
			e = error_set(E_DAMAGED, "a key under %s is no message's",
			    m->pfx);
		else if (first != m->level)
			m->level = first;	/* read that priority's */
		else if ((e = receiver_lease(m)) == 0 &&
		    (e = claim(m, txn_kvs(resp, 1))) == 0) {
			json_decref(resp);
			return 0;
		} else if (e == EAGAIN)
			e = 0;			/* another was first: again */
		json_decref(resp);
		if (e != 0)
			return e;
	}
}

/*
 * Take one message into buf (cap bytes): one claimed before and not
 * handed out yet, or new claims; where there is none, wait for a send
 * until the deadline, the signals in mask's complement let in.
 */
static int
eq_take(struct mqobj *q, char *buf, size_t cap, size_t *len,
    unsigned *prio, const struct deadline *d, const sigset_t *mask)
{
	struct emq *m = q->priv;
	struct claim *c;
	int e;

	while (m->given == m->nclaims) {
		if ((e = claim_first(m, q->want, d)) == 0)
			break;
		if (e != EAGAIN || (e = may_wait(d)) != 0 ||
		    (e = wait_change(m, "NODELETE", etcd_slice_ms(MQ_TTL, d),
		    mask)) != 0)
			return e;
	}
	c = &m->claims[m->given++];
	if (c->len > cap)
		return error_set(E_DAMAGED, "a message of %zu bytes, more than "
		    "the queue's message size (%zu): left claimed", c->len, cap);
	memcpy(buf, c->data, c->len);
	*len = c->len;
	*prio = c->prio;
	free(c->data);
	c->data = NULL;
	return 0;
}

/* Drop the first n claims in hand. */
static void
drop(struct emq *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m->claims[i].key);
		free(m->claims[i].msgkey);
		free(m->claims[i].data);
	}
	memmove(m->claims, m->claims + n, (m->nclaims - n) *
	    sizeof(*m->claims));
	m->nclaims -= n;
	m->given -= n < m->given ? n : m->given;
}

/* Whether our lease's keeper said it is lost (without taking the word). */
static bool
lease_lost(const struct emq *m)
{
	struct pollfd p = { .fd = keeper_fd(m->keeper), .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/*
 * The first n messages handed out are written: delete their claims. A
 * cluster out of reach is waited for while our lease lives, for a lease's
 * time at most: a claim left behind is a message received twice.
 */
static int
eq_acknowledge(struct mqobj *q, size_t n)
{
	struct emq *m = q->priv;
	time_t until = boottime() + MQ_TTL;
	json_t *ops, *resp;
	size_t i, done;
	int e;

	for (done = 0; done < n; done += i) {
		ops = json_array();
		for (i = 0; done + i < n && i < 2 * BATCH_MAX; i++)
			json_array_append_new(ops, json_pack("{s:{s:o}}",
			    "request_delete_range", "key",
			    j_str(m->claims[done + i].key)));
		while ((e = etcd_call(m->c, "kv/txn", json_pack("{s:O}",
		    "success", ops), &resp)) == E_UNAVAILABLE &&
		    boottime() < until && !lease_lost(m))
			nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
		json_decref(ops);
		if (e != 0)
			return e;
		json_decref(resp);
	}
	drop(m, n);
	return 0;
}

/*
 * One claim back on the queue as its message, at its own key (so at the
 * end of its priority): the claim deleted and the message put, if the
 * claim is unchanged -- else a sweep put it back already.
 */
static int
give_back(struct emq *m, const struct claim *c, const char *msg, size_t len)
{
	json_t *resp;
	int e;

	e = etcd_call(m->c, "kv/txn", json_pack("{s:[{s:o, s:s, s:s, s:o}], "
	    "s:[{s:{s:o}}, {s:{s:o, s:o}}]}", "compare", "key", j_str(c->key),
	    "result", "EQUAL", "target", "MOD", "mod_revision", j_int(c->rev),
	    "success", "request_delete_range", "key", j_str(c->key),
	    "request_put", "key", j_str(c->msgkey), "value", j_bytes(msg, len)),
	    &resp);
	json_decref(resp);
	return e;
}

/* The first message handed out and not written goes back. */
static int
eq_put_back(struct mqobj *q, const char *msg, size_t len, unsigned prio)
{
	struct emq *m = q->priv;
	int e;

	(void)prio;
	if (m->given == 0)
		return EINVAL;
	if ((e = give_back(m, &m->claims[0], msg, len)) == 0)
		drop(m, 1);
	return e;
}

/* Claims never handed out go back; the lease ends with its keeper. */
static void
eq_close(struct mqobj *q)
{
	struct emq *m = q->priv;
	json_t *resp;
	size_t i;

	for (i = m->given; i < m->nclaims; i++)
		give_back(m, &m->claims[i], m->claims[i].data,
		    m->claims[i].len);
	keeper_stop(m->keeper);
	/* The sequence is no longer needed: nothing of ours is in doubt. */
	if (m->seq_lease != 0 && etcd_call(m->c, "lease/revoke",
	    json_pack("{s:o}", "ID", j_int(m->seq_lease)), &resp) == 0)
		json_decref(resp);
	emq_free(m);
	q->priv = NULL;
}

/* Wait, taking nothing, until the queue holds a message. */
static int
eq_notify(struct mqobj *q, const struct deadline *d)
{
	struct emq *m = q->priv;
	int e;

	while ((e = count(m)) == 0 && m->count == 0)
		if ((e = may_wait(d)) != 0 || (e = wait_change(m, "NODELETE",
		    etcd_slice_ms(MQ_TTL, d), NULL)) != 0)
			break;
	return e;
}

/*
 * The sizes, the messages, every claim and every sequence, in one
 * transaction -- of the queue read just before (its create revision),
 * so that a retry whose first try applied, or a queue another unlink
 * removed meanwhile, is not missing (66): it was there, and is gone.
 */
static int
eq_unlink(const char *name)
{
	struct emq *m;
	json_t *resp;
	long long crev;
	int e, tries = 0;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ENOMEM;
	if ((e = etcd_shared(&m->c)) != 0 || (e = emq_keys(m, name)) != 0 ||
	    (e = etcd_call(m->c, "kv/range", json_pack("{s:o, s:b}", "key",
	    j_str(m->size_key), "keys_only", 1), &resp)) != 0)
		goto out;
	crev = j_get_int(json_array_get(json_object_get(resp, "kvs"), 0),
	    "create_revision");
	json_decref(resp);
	if (crev <= 0) {
		e = ENOENT;
		goto out;
	}
	do
		e = etcd_call(m->c, "kv/txn", json_pack("{s:[{s:o, s:s, s:s, "
		    "s:o}], s:[{s:{s:o}}, {s:{s:o, s:o}}, {s:{s:o, s:o}}, "
		    "{s:{s:o, s:o}}]}",
		    "compare", "key", j_str(m->size_key), "result", "EQUAL",
		    "target", "CREATE", "create_revision", j_int(crev),
		    "success", "request_delete_range", "key", j_str(m->size_key),
		    "request_delete_range", "key", j_str(m->pfx), "range_end",
		    j_str(m->pfx_end),
		    "request_delete_range", "key", j_str(m->cl), "range_end",
		    j_str(m->cl_end),
		    "request_delete_range", "key", j_str(m->seq), "range_end",
		    j_str(m->seq_end)), &resp);
	while (e == E_UNAVAILABLE && etcd_reached(m->c) && ++tries < 3 &&
	    !signal_noted());
	if (e == 0)
		json_decref(resp);
out:
	emq_free(m);
	return e;
}

const struct mq_ops mqops_etcd = {
	.open = eq_open,
	.open_put_back = eq_open_put_back,
	.close = eq_close,
	.attr = eq_attr,
	.info = eq_info,
	.send = eq_send,
	.take = eq_take,
	.acknowledge = eq_acknowledge,
	.put_back = eq_put_back,
	.notify = eq_notify,
	.unlink = eq_unlink,
};
