/*
 * Running a command while a token is held: the engine behind sem run.
 *
 * sem run is a simple command to the shell, as flock is: COMMAND runs in
 * the caller's process group, and nothing here touches the terminal. ^C,
 * ^Z and ^\ reach ipcctl, its guard and COMMAND alike, as for any job.
 *
 * A command never outlives its token, nor do the processes it starts:
 *  - The guard, a child of ipcctl born before the token is taken, starts
 *    COMMAND once ipcctl holds the token, and is a child subreaper
 *    (PR_SET_CHILD_SUBREAPER): every process COMMAND starts that is
 *    orphaned -- a double fork, a daemon gone to a session of its own --
 *    becomes the guard's child. When COMMAND ends, the guard ends what
 *    is left of its children (SIGTERM, SIGKILL after a grace time) and
 *    only then tells ipcctl COMMAND's status; ipcctl gives the token back.
 *  - The guard learns of ipcctl's death, by whatever signal, from the end
 *    of the socket between them: it ends COMMAND and the rest the same way
 *    and gives the token back itself -- also where ipcctl died between
 *    taking the token and saying so, which is why the guard is born
 *    first. Giving back is the same call either side makes, and the
 *    backends make it once in effect (the local one goes by the ledger's
 *    entry, etcd by the lease), so both may make it.
 *  - ipcctl is a subreaper too: a guard that dies leaves COMMAND and its
 *    processes to ipcctl, which ends them before the token goes back.
 *  - Before COMMAND is executed, its process tells the backend who guards
 *    it and who it is, so the holders ledger counts the holder alive
 *    while ipcctl, the guard or COMMAND lives.
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "backend.h"

#define GRACE_MS	2000	/* strays: SIGTERM, then SIGKILL after it */
#define NAP_MS		10

/* What ipcctl and its guard tell each other, one packet each. */
enum {
	MSG_RUNNING = 'R',	/* guard: COMMAND was executed */
	MSG_NOEXEC = 'E',	/* guard: it could not be; val: errno */
	MSG_STATUS = 'X',	/* guard: all ended; val: COMMAND's status */
	MSG_SIGNAL = 'S',	/* ipcctl: pass signal val on to COMMAND */
	MSG_LOST = 'L',		/* ipcctl: token lost; val: grace, ms */
	MSG_GO = 'G',		/* ipcctl: the token is taken and stands */
	MSG_DONE = 'D'		/* ipcctl: the token is back, or never was */
};
#define ID_MAX	1024		/* a token's id (a key) that MSG_GO carries */
struct msg {
	int		 type;
	int		 val;
	struct token	 t;	/* MSG_GO: the token, and its id after it */
};
struct go {
	struct msg	 m;
	char		 id[ID_MAX];
};

static int
tell(int fd, int type, int val)
{
	struct msg m = { .type = type, .val = val };

	return send(fd, &m, sizeof(m), MSG_NOSIGNAL) == sizeof(m) ? 0 : -1;
}

/*
 * The next packet into *g (its id, if any, NUL-terminated), or type 0
 * where the other side is gone.
 */
static struct msg
hear_go(int fd, struct go *g)
{
	ssize_t n;

	while ((n = recv(fd, g, sizeof(*g) - 1, 0)) == -1 && errno == EINTR)
		continue;
	if (n < (ssize_t)sizeof(g->m)) {
		g->m.type = 0;
		n = sizeof(g->m);
	}
	((char *)g)[n] = '\0';
	return g->m;
}

static struct msg
hear(int fd)
{
	struct go g;

	return hear_go(fd, &g);
}

/* MSG_GO: the token t, and its id. */
static int
tell_go(int fd, const struct token *t)
{
	struct go g = { .m = { .type = MSG_GO, .t = *t } };
	size_t n = 0;

	if (t->id != NULL && (n = strlen(t->id)) >= sizeof(g.id))
		n = 0;		/* no key is that long */
	if (n != 0)
		memcpy(g.id, t->id, n);
	n += sizeof(g.m);
	return send(fd, &g, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* What COMMAND learns of its token: its fencing number and its key. */
static void
token_env(const struct token *t)
{
	char buf[32];

	if (t->fence != 0) {
		snprintf(buf, sizeof(buf), "%ju", (uintmax_t)t->fence);
		setenv("IPCCTL_FENCE", buf, 1);
	}
	if (t->id != NULL)
		setenv("IPCCTL_TOKEN", t->id, 1);
}

static void
nap(void)
{
	struct timespec ts = { 0, NAP_MS * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Whether /proc/PID/stat names ppid as PID's parent. */
static bool
child_of(long pid, pid_t ppid)
{
	char path[40], buf[512], *p;
	long pp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* comm may hold spaces and ')': count from the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p, ") %*c %ld", &pp) != 1)
		return false;
	return pp == ppid;
}

/* Send sig to each child of ours that /proc shows. */
static void
signal_children(int sig)
{
	char buf[4096];
	struct dirent64 *d;
	long n, off, pid;
	pid_t self = getpid();
	int dfd;

	if ((dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += d->d_reclen) {
			d = (struct dirent64 *)(buf + off);
			if (is_pid(d->d_name, &pid) && child_of(pid, self)) {
				kill(pid, sig);
				if (sig != SIGKILL)
					kill(pid, SIGCONT);
			}
		}
	close(dfd);
}

/*
 * Reap every child that has ended; COMMAND's status into *status. True
 * once no child is left.
 */
static bool
reap(pid_t cmd, int *status)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == cmd)
			*status = st;
	return pid == -1 && errno == ECHILD;
}

/*
 * End every child we have -- COMMAND if it still runs, and the orphans of
 * its processes, which come to us as a subreaper -- with SIGTERM (and
 * SIGCONT, so a stopped one acts on it), then SIGKILL once grace_ms have
 * passed, until none is left. Orphans keep coming while their parents
 * die, so each round signals whoever is a child then. Where none is
 * left, the cost is one waitpid.
 */
static void
end_children(long grace_ms, pid_t cmd, int *status)
{
	long long kill_at = mono_ms() + grace_ms;
	bool term = false;

	while (!reap(cmd, status)) {
		if (mono_ms() >= kill_at)
			signal_children(SIGKILL);
		else if (!term) {
			signal_children(SIGTERM);
			term = true;
		}
		nap();
		/* A new orphan meanwhile: SIGTERM again in the grace time. */
		term = term && mono_ms() < kill_at - grace_ms / 2;
	}
}

/*
 * Start COMMAND from the guard. vfork: the child only execs, and
 * posix_spawn's child would first reset all 64 signal dispositions. Before
 * exec, the child tells the backend who it is (r->note), so no window is
 * left in which COMMAND runs unrecorded; where it cannot (E_UNRECORDED),
 * COMMAND is not executed: with ipcctl and the guard killed meanwhile, the
 * entry may be gone and its token given to another holder already. An
 * exec failure comes back through *e, which the child shares with us.
 */
static pid_t
spawn(const struct runner *r, char *const argv[], const sigset_t *mask,
    uint64_t guard_start, int *e)
{
	volatile int child_errno = 0;
	pid_t pid;

	if ((pid = vfork()) == 0) {
		if (r->note != NULL && r->note(r->note_arg, getppid(),
		    guard_start, getpid(), proc_start(getpid())) != 0) {
			child_errno = E_UNRECORDED;
			_exit(127);
		}
		signals_for_exec();
		sigprocmask(SIG_SETMASK, mask, NULL);
		execvp(argv[0], argv);
		child_errno = errno;
		_exit(127);
	}
	*e = pid == -1 ? errno : child_errno;
	return pid;
}

/*
 * Whether ipcctl died before it said the token is back (what it sent
 * before it heard COMMAND's end is of no use now).
 */
static bool
ipcctl_died(int fd)
{
	struct msg m;

	while ((m = hear(fd)).type != 0)
		if (m.type == MSG_DONE)
			return false;
	return true;
}

/*
 * COMMAND runs: pass on what ipcctl sends, until COMMAND ends, ipcctl says
 * the token is lost, or ipcctl dies (true). sfd: the guard's SIGCHLD.
 */
static bool
guard_watch(int fd, int sfd, pid_t cmd, int *status)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = sfd, .events = POLLIN }
	};
	struct signalfd_siginfo si;
	struct msg m;

	for (;;) {
		if (poll(p, 2, -1) == -1)
			continue;
		if (p[1].revents != 0) {
			while (read(sfd, &si, sizeof(si)) > 0)
				continue;
			if (reap(cmd, status) || waitpid(cmd, NULL, WNOHANG) == -1)
				return false;
			continue;
		}
		m = hear(fd);
		if (m.type == MSG_SIGNAL) {
			kill(cmd, m.val);
			if (m.val != SIGCONT)
				kill(cmd, SIGCONT);
		} else if (m.type == MSG_LOST) {
			end_children(m.val, cmd, status);
			return false;
		} else if (m.type == 0)
			return true;
	}
}

/*
 * The guard's whole life; fd is its end of the socket. Every signal is
 * blocked: those the terminal sends reach COMMAND directly, those sent to
 * ipcctl come as messages, and a stop would leave COMMAND unguarded.
 * COMMAND gets the mask the guard was born with.
 *
 * The guard is born before ipcctl takes its token, so that no moment is
 * left in which ipcctl could die holding a token nobody gives back: it
 * waits for MSG_GO (the token, which still stands), MSG_LOST (it does
 * not), MSG_DONE (none was taken) or ipcctl's death, after which the
 * token ipcctl may hold, as r->t names it from the start, is given back.
 */
static __dead void
guard(const struct runner *r, int fd, char *const argv[])
{
	sigset_t all, mask, chld;
	struct go g;
	struct msg m;
	uint64_t start;
	pid_t cmd;
	int e, sfd, sfd_errno, status = 0;
	bool orphaned, taken;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &mask);
	prctl(PR_SET_NAME, "ipcctl-guard");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* While ipcctl takes its token: what starting COMMAND needs. */
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	sfd_errno = errno;
	start = r->note != NULL ? proc_start(getpid()) : 0;
	if ((m = hear_go(fd, &g)).type == MSG_DONE)
		_exit(0);
	if ((taken = m.type == MSG_GO)) {
		*r->t = m.t;
		r->t->id = g.id[0] != '\0' ? g.id : NULL;
		token_env(r->t);
	}
	if (!taken)
		orphaned = m.type == 0 || tell(fd, MSG_STATUS, 0) != 0 ||
		    ipcctl_died(fd);
	else if (sfd == -1 || (cmd = spawn(r, argv, &mask, start, &e)) == -1 ||
	    e != 0) {
		tell(fd, MSG_NOEXEC, sfd == -1 ? sfd_errno : e);
		orphaned = ipcctl_died(fd);
	} else {
		tell(fd, MSG_RUNNING, cmd);
		orphaned = guard_watch(fd, sfd, cmd, &status);
		end_children(GRACE_MS, cmd, &status);
		/* ipcctl may have died as COMMAND ended: the tell fails. */
		if (!orphaned)
			orphaned = tell(fd, MSG_STATUS, status) != 0 ||
			    ipcctl_died(fd);
	}
	/* ipcctl died: the token is ours to give back. */
	if (orphaned && r->release != NULL)
		r->release(r->release_arg, taken);
	_exit(0);
}

/*
 * Start the guard, before the token is taken; 0 or an errno. r->t names
 * the token ipcctl is to hold as well as it can be named before it is
 * taken (its holder); fill r->note, release and t first.
 */
int
run_start(struct runner *r, char *const argv[])
{
	int fds[2];

	r->guard = r->cmd = -1;
	r->fd = r->sigfd = -1;
	/* An inherited SIG_IGN would have the kernel reap children for us. */
	signal(SIGCHLD, SIG_DFL);
	/* A guard that dies leaves its children to us. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == -1)
		return errno;
	if ((r->guard = fork()) == 0) {
		close(fds[0]);
		guard(r, fds[1], argv);
	}
	close(fds[1]);
	if (r->guard == -1) {
		close(fds[0]);
		return errno;
	}
	r->fd = fds[0];
	return 0;
}

/* A signal of the set came to us. True where the guard has ended. */
static bool
run_signal(struct runner *r, const struct signalfd_siginfo *si)
{
	int sig = si->ssi_signo;
	pid_t pid;

	if (sig == SIGCHLD) {
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			if (pid == r->guard)
				return true;
		return false;
	}
	/* What the terminal sent reached COMMAND in our group already. */
	if (si->ssi_code == SI_KERNEL &&
	    (sig == SIGINT || sig == SIGQUIT || sig == SIGHUP))
		return false;
	tell(r->fd, MSG_SIGNAL, sig);
	return false;
}

/*
 * The token *r->t is taken: have the guard start COMMAND, and wait until
 * COMMAND and every process it started have ended. The signals of set,
 * which the caller blocked, are passed on to COMMAND. Where lost_fd (the
 * backend's; -1: none) says the token is lost, they are ended at once,
 * within the milliseconds it wrote (an int32_t) or r->grace_ms, and
 * r->lost set. 0 with COMMAND's wait status in *status; the exec's errno
 * where COMMAND could not start; E_GUARD where the guard died, once what
 * it guarded has ended too; an errno where the signals cannot be had.
 */
int
run_wait(struct runner *r, const sigset_t *set, int lost_fd, int *status)
{
	struct pollfd p[3] = {
		{ .fd = -1, .events = POLLIN },
		{ .fd = r->fd, .events = POLLIN },
		{ .fd = lost_fd, .events = POLLIN }
	};
	struct signalfd_siginfo si;
	struct msg m;
	int32_t left;

	if ((r->sigfd = p[0].fd = signalfd(-1, set, SFD_CLOEXEC)) == -1)
		return errno;
	/* Lost before COMMAND started (an answer came late): never start it. */
	if (lost_fd != -1 && poll(&p[2], 1, 0) == 1) {
		r->lost = true;
		tell(r->fd, MSG_LOST, 0);
		p[2].fd = -1;
	} else
		tell_go(r->fd, r->t);
	for (;;) {
		if (poll(p, 3, -1) == -1)
			continue;	/* EINTR: stopped and continued */
		if (p[1].revents != 0) {
			m = hear(r->fd);
			if (m.type == MSG_RUNNING) {
				r->cmd = m.val;
				continue;
			}
			if (m.type == MSG_STATUS) {
				*status = m.val;
				return 0;
			}
			if (m.type == MSG_NOEXEC)
				return m.val;
			break;		/* the guard is gone */
		}
		if (p[2].revents != 0) {
			/* The backend may say how long is left: 4 bytes. */
			r->lost = true;
			tell(r->fd, MSG_LOST, read(lost_fd, &left, sizeof(left)) ==
			    sizeof(left) && left >= 0 ? left : r->grace_ms);
			p[2].fd = -1;
		}
		if (p[0].revents != 0 &&
		    read(r->sigfd, &si, sizeof(si)) == sizeof(si) &&
		    run_signal(r, &si))
			break;
	}
	/* The guard is gone; what it left is ours now: end it all. */
	end_children(GRACE_MS, r->cmd, status);
	return E_GUARD;
}

/*
 * COMMAND ended (or never started, or no token was taken) and the token
 * is back: tell the guard, which then ends at once, doing nothing more.
 * It is not waited for: a wait would cost every run a wake-up, and what
 * it guarded has ended already.
 */
void
run_finish(struct runner *r)
{
	if (r->fd != -1) {
		tell(r->fd, MSG_DONE, 0);
		close(r->fd);
	}
	if (r->sigfd != -1)
		close(r->sigfd);
}
