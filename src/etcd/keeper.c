/*
 * While "sem run" holds a token in etcd, a thread keeps its lease alive:
 * a keepalive every third of the lease's time to live, on a connection of
 * its own. The lease's deadline is the send time of the last keepalive
 * that returned a time to live, plus that time, on CLOCK_BOOTTIME (the
 * monotonic clock stops in a suspend; the cluster's does not). Where the
 * lease is gone, the key is gone, or half the time to live passed with no
 * renewal, the thread writes a byte to a pipe that the run engine polls
 * beside COMMAND: the token is lost, and COMMAND's group is ended before
 * the lease can expire on the cluster.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "etcd/etcd.h"

struct keeper {
	pthread_t	 thread;
	struct etcd	*c;
	long long	 lease, ttl;		/* seconds */
	double		 since;			/* sent the last renewal */
	char		*key;
	int		 lost[2];		/* the thread writes [1] */
	int		 stop[2];		/* keeper_stop writes [1] */
	bool		 running;		/* the thread was started */
};

static double
boottime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The token is lost: say so on the pipe, with what is left before SIGKILL:
 * TTL - max(0.5 s, TTL/5) from the last renewal sent (last_ok), however
 * late the loss was seen (an answer that came late).
 */
static void
say_lost(struct keeper *k, double last_ok, long long granted)
{
	double wait = last_ok + granted - (granted / 5.0 > 0.5 ?
	    granted / 5.0 : 0.5) - boottime();
	int32_t left = wait > 0 ? (int32_t)(wait * 1000) : 0;

	if (write(k->lost[1], &left, sizeof(left)) == -1)
		abort();
}

/*
 * One keepalive, bounded by ms: the time to live it returned in *ttl, 0
 * if the lease is gone.
 */
static int
renew(struct keeper *k, long long ms, long long *ttl)
{
	json_t *resp;
	int e;

	if ((e = etcd_call_ms(k->c, "lease/keepalive", json_pack("{s:o}",
	    "ID", j_int(k->lease)), &resp, ms)) != 0)
		return e;
	*ttl = j_get_int(resp, "TTL");
	json_decref(resp);
	return 0;
}

/* Whether our key still stands (an unlink takes it away), within ms. */
static bool
key_stands(struct keeper *k, long long ms)
{
	json_t *resp;
	bool stands = true;

	if (etcd_call_ms(k->c, "kv/range", json_pack("{s:o, s:b}", "key",
	    j_str(k->key), "count_only", 1), &resp, ms) == 0) {
		stands = j_get_int(resp, "count") > 0;
		json_decref(resp);
	}
	return stands;
}

/*
 * Renew every third of the time to live; the token is lost once half of
 * it passed since the send of the last renewal that returned one, and
 * no request may outlast that point.
 */
static void *
keep(void *arg)
{
	struct keeper *k = arg;
	struct pollfd p = { .fd = k->stop[0], .events = POLLIN };
	double last_ok = k->since, last_try = last_ok, lost_at, next, wait;
	double now;
	long long ttl, granted = k->ttl;

	for (;;) {
		/* The time to live the cluster returned last, if shorter. */
		lost_at = last_ok + granted / 2.0;
		next = last_try + k->ttl / 3.0;
		/* Past already (a renewal took its time): look at once. */
		if ((wait = (next < lost_at ? next : lost_at) - boottime()) < 0)
			wait = 0;
		if (poll(&p, 1, (int)(wait * 1000) + 1) != 0 && p.revents != 0)
			return NULL;		/* COMMAND ended: stop */
		if ((now = boottime()) >= lost_at)
			break;			/* no renewal for half the time */
		last_try = now;
		if (renew(k, (lost_at - now) * 1000, &ttl) == 0) {
			if (ttl <= 0 || (k->key != NULL &&
			    !key_stands(k, (lost_at - boottime()) * 1000)))
				break;		/* lease or key gone */
			last_ok = now;
			granted = ttl < k->ttl ? ttl : k->ttl;
		}
	}
	say_lost(k, last_ok, granted);
	return NULL;
}

/* Close both ends of a pipe that was made. */
static void
close_pipe(int fd[2])
{
	if (fd[0] != -1)
		close(fd[0]);
	if (fd[1] != -1)
		close(fd[1]);
}

/*
 * Keep lease (ttl seconds) alive, as renewed last by a request sent at
 * since (CLOCK_BOOTTIME seconds: the grant's, or the last keepalive's
 * that returned a time to live) -- never from now: an answer that took
 * its time must not make the token outlive its lease. key: the one that
 * must stand too, or NULL (a receiver's lease alone).
 */
struct keeper *
keeper_start(long long lease, long long ttl, double since, const char *key)
{
	struct keeper *k;
	int e;

	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (key != NULL && (k->key = strdup(key)) == NULL))
		die(ENOMEM, NULL);
	k->lost[0] = k->lost[1] = k->stop[0] = k->stop[1] = -1;
	k->lease = lease;
	k->ttl = ttl;
	k->since = since;
	/* Its own connection: authenticating may fail, and says why. */
	if ((e = etcd_connect(&k->c)) != 0 ||
	    (pipe2(k->lost, O_CLOEXEC) == -1 && (e = errno) != 0) ||
	    (pipe2(k->stop, O_CLOEXEC) == -1 && (e = errno) != 0))
		goto fail;
	/* Half the time to live gone already: lost before it starts. */
	if (boottime() >= since + ttl / 2.0) {
		say_lost(k, since, ttl);
		return k;
	}
	if ((e = pthread_create(&k->thread, NULL, keep, k)) == 0) {
		k->running = true;
		return k;
	}
fail:
	warn_errno(e, "etcd lease keeper");
	etcd_disconnect(k->c);
	close_pipe(k->lost);
	close_pipe(k->stop);
	free(k->key);
	free(k);
	return NULL;
}

int
keeper_fd(const struct keeper *k)
{
	return k->lost[0];
}

void
keeper_stop(struct keeper *k)
{
	if (k == NULL)
		return;
	if (k->running && write(k->stop[1], "x", 1) != -1)
		pthread_join(k->thread, NULL);
	etcd_disconnect(k->c);
	close(k->lost[0]);
	close(k->lost[1]);
	close(k->stop[0]);
	close(k->stop[1]);
	free(k->key);
	free(k);
}
