/*
 * The local semaphore backend: POSIX named semaphores (ipc-sem.c), with
 * the holders ledger in the same file (ledger.c). The sem verbs reach a
 * semaphore only through a struct sem_ops; this is its one
 * implementation today, and a semaphore kept elsewhere is another.
 *
 * Order, wherever a token and a ledger entry go together: the token is
 * taken before its entry is written (a failed write gives it back), and
 * an entry goes before its token is given back, so that a crash in
 * between can lose a token but never give one twice.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local/local.h"

/*
 * The semaphore a semobj stands for. One is open at a time in a process
 * (create's retries open one name after another), and it stays reachable
 * for the process's life.
 */
static struct psem one_psem;

static struct psem *
ps(struct semobj *s)
{
	return s->priv;
}

static int
local_open(struct semobj *s, const char *name, const struct open_opts *o,
    long long value, int access)
{
	s->priv = &one_psem;
	s->name = name;
	return psem_open(ps(s), name, o, value < 0 ? 0 : value, access);
}

static void
local_close(struct semobj *s)
{
	psem_close(ps(s));
}

static int	local_release_holder(struct semobj *, pid_t, uint64_t, int,
		    int *);

/*
 * Take a token, waiting until the deadline; with holder, record it, and
 * give the token back where that fails: the semaphore is left as it was.
 * A holder that is this process (sem run) is recorded before the wait,
 * as waiting, and the record then says it holds the token with one write
 * (ledger_took): a SIGKILL between the kernel giving a token and the
 * ledger saying so loses it, and that way the window is two system calls
 * long, not a wait for the ledger's lock. A holder named by --holder
 * does not wait itself: it is recorded once the token is taken.
 */
static int
local_acquire(struct semobj *s, const struct deadline *d,
    const struct ledger_slot *holder, struct token *t)
{
	struct ledger_slot w;
	off_t at;
	int e, n;

	memset(t, 0, sizeof(*t));
	if (holder != NULL && holder->pid == getpid()) {
		w = *holder;
		w.waiting = 1;
		if ((e = ledger_add(ps(s)->fd, &w, &at)) != 0)
			return e;
		if ((e = psem_wait(ps(s), d)) == 0 &&
		    (e = ledger_took(ps(s)->fd, at)) != 0)
			psem_post(ps(s));
		if (e != 0) {
			local_release_holder(s, w.pid, w.start, 1, &n);
			return e;
		}
	} else if ((e = psem_wait(ps(s), d)) != 0 || holder == NULL)
		return e;
	else if ((e = ledger_add(ps(s)->fd, holder, NULL)) != 0) {
		psem_post(ps(s));
		return e;
	}
	t->pid = holder->pid;
	t->start = holder->start;
	return 0;
}

/* Give n tokens back; *done of them went back (EOVERFLOW past the max). */
static int
local_release(struct semobj *s, long long n, long long *done)
{
	int e;

	for (*done = 0; *done < n; (*done)++)
		if ((e = psem_post(ps(s))) == EOVERFLOW)
			return error_set(e, "released %lld of %lld: the value "
			    "would pass SEM_VALUE_MAX (%d)", *done, n,
			    SEM_VALUE_MAX);
		else if (e != 0)
			return e;
	return 0;
}

struct pick {
	struct semobj	*s;
	pid_t		 pid;		/* whose entries; 0: the dead ones */
	uint64_t	 start;		/* which process of that pid; 0: any */
	void		(*report)(const struct ledger_slot *, void *);
	void		*arg;
	int		 failed;	/* a give-back that failed */
	int		 given;		/* tokens given back */
};

/*
 * Whether an entry is one to remove. A waiting entry is its waiter's
 * alone while it lives: only the dead, or that very process, are picked.
 */
static bool
picked(const struct ledger_slot *sl, void *arg)
{
	const struct pick *p = arg;

	if (p->pid == 0)
		return !holder_alive(sl);
	return sl->pid == p->pid && (p->start == 0 ? !sl->waiting :
	    sl->start == p->start);
}

/* An entry is gone from the ledger: its token, if it held one, goes back. */
static void
give_back(const struct ledger_slot *sl, void *arg)
{
	struct pick *p = arg;
	int e;

	if (sl->waiting)
		return;
	if ((e = psem_post(ps(p->s))) != 0)
		p->failed = e;
	else {
		p->given++;
		if (p->report != NULL)
			p->report(sl, p->arg);
	}
}

/* The entries p picks, up to max, removed; *n: the tokens given back. */
static int
take_entries(struct pick *p, int max, int *n)
{
	int e = ledger_remove(ps(p->s)->fd, picked, give_back, p, max, n);

	*n = p->given;
	return e != 0 ? e : p->failed;
}

/* The tokens pid (started at start, 0: any) holds, up to max. */
static int
local_release_holder(struct semobj *s, pid_t pid, uint64_t start, int max,
    int *n)
{
	struct pick p = { s, pid, start, NULL, NULL, 0, 0 };

	return take_entries(&p, max, n);
}

/*
 * The token t names goes back. No entry: someone released it already
 * (release --holder). An entry that cannot be read or removed: the token
 * goes back all the same, and the error is returned to be told.
 */
static int
local_release_token(struct semobj *s, const struct token *t)
{
	int e, n;

	if ((e = local_release_holder(s, t->pid, t->start, 1, &n)) != 0)
		psem_post(ps(s));
	return e;
}

/* Every dead holder's token goes back; report is told of each. */
static int
local_recover(struct semobj *s, const char *host,
    void (*report)(const struct ledger_slot *, void *), void *arg, int *n)
{
	struct pick p = { s, 0, 0, report, arg, 0, 0 };

	(void)host;	/* one host: this one (the verb refuses --host) */
	return take_entries(&p, INT_MAX, n);
}

static int
local_value(struct semobj *s, int *value)
{
	return psem_value(ps(s), value);
}

static int
local_info(struct semobj *s, struct sem_info *i)
{
	int e;

	i->capacity = i->held = i->waiting = -1;
	i->has_stat = true;
	if ((e = psem_value(ps(s), &i->value)) != 0)
		return e;
	return fstat(ps(s)->fd, &i->st) == -1 ? errno : 0;
}

/* The ledger's entries, each judged alive or dead here. */
static int
local_holders(struct semobj *s, struct holder **h, uint32_t *n,
    bool *tracked, bool *hosts)
{
	struct ledger_slot *sl;
	uint32_t i;
	int e;

	*hosts = false;
	if ((e = ledger_read(ps(s)->fd, &sl, n, tracked)) != 0)
		return e;
	if ((*h = calloc(*n + 1, sizeof(**h))) == NULL) {
		free(sl);
		return ENOMEM;
	}
	for (i = 0; i < *n; i++)
		(*h)[i] = (struct holder){ .slot = sl[i],
		    .alive = holder_alive(&sl[i]), .lease = -1 };
	free(sl);
	return 0;
}

/* A local token is lost only with the host: nothing to watch. */
static int
local_lost_fd(struct semobj *s, const struct token *t)
{
	(void)s;
	(void)t;
	return -1;
}

static int
local_unlink(const char *name)
{
	return sem_unlink(name) == -1 ? errno : 0;
}

/*
 * The ledger's entry of a run gains its guard and COMMAND, so that the
 * holder counts alive while any of the three lives. In COMMAND's process
 * between vfork and exec: system calls only.
 */
static int
local_note_run(struct semobj *s, const struct token *t, pid_t guard,
    uint64_t guard_start, pid_t cmd, uint64_t cmd_start)
{
	return ledger_note(ps(s)->fd, t->pid, t->start, guard, guard_start, cmd,
	    cmd_start);
}

static int
local_once_get(struct semobj *s, struct run_record *r)
{
	return ledger_once_get(ps(s)->fd, r);
}

static int
local_once_put(struct semobj *s, const struct token *t,
    struct run_record *r, const struct run_record *seen)
{
	(void)t;
	if (r->host[0] == '\0' && gethostname(r->host, sizeof(r->host)) == -1)
		r->host[0] = '\0';
	return ledger_once_put(ps(s)->fd, r, seen);
}

const struct sem_ops semops_local = {
	.open = local_open,
	.close = local_close,
	.acquire = local_acquire,
	.release = local_release,
	.release_holder = local_release_holder,
	.release_token = local_release_token,
	.recover = local_recover,
	.value = local_value,
	.info = local_info,
	.holders = local_holders,
	.lost_fd = local_lost_fd,
	.note_run = local_note_run,
	.once_get = local_once_get,
	.once_put = local_once_put,
	.unlink = local_unlink,
};
