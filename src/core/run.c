/*
 * Running a command while a token is held: the engine behind sem run.
 *
 * A command never outlives its token, nor do the processes it starts:
 *  - COMMAND leads a process group of its own. Where ipcctl has a
 *    controlling terminal, that group gets the terminal (when ipcctl had
 *    it), as a shell gives it to a job, so ^C reaches COMMAND and a stop
 *    (^Z) is passed on to ipcctl's own job, and a continue back.
 *  - A sentinel, a small process of its own session, learns COMMAND's
 *    group from COMMAND itself (before exec, so no window is left) and
 *    waits on a pipe from ipcctl. A byte means all is well; the end of the
 *    pipe without one means ipcctl died, by whatever signal, SIGKILL
 *    included: the sentinel then ends the group (SIGTERM, SIGKILL after a
 *    grace time) and lives until none of it runs. The holders ledger
 *    counts a holder alive while its sentinel lives, so no token is
 *    recovered while the command's processes still run.
 * Processes that leave the group (setsid, daemons) are not followed.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

#define GRACE_TICKS	200	/* of 10 ms: SIGTERM, then SIGKILL */
#define SENTINEL_STACK	(64 * 1024)
#if defined(__SANITIZE_ADDRESS__)
#define SHARED_SENTINEL_OK	0
#elif defined(HAVE_VALGRIND_VALGRIND_H)
#include <valgrind/valgrind.h>
#define SHARED_SENTINEL_OK	(!RUNNING_ON_VALGRIND)
#else
#define SHARED_SENTINEL_OK	1
#endif

/*
 * The sentinel shares ipcctl's memory (see run_prepare), and ipcctl may
 * have died anywhere, in the middle of malloc or stdio: from here on it
 * calls nothing that allocates or locks, only system calls.
 */

/* Whether process pid is in group pgid and not a zombie. */
static bool
member_runs(long pid, pid_t pgid)
{
	char path[32], buf[512], *p, *end = path + sizeof(path) - 1;
	long pg = 0;
	ssize_t n;
	int fd, i;

	/* "/proc/PID/stat", the digits written backwards from the end. */
	*end = '\0';
	memcpy(end -= 5, "/stat", 5);
	do
		*--end = '0' + pid % 10;
	while ((pid /= 10) > 0);
	memcpy(end -= 6, "/proc/", 6);
	if ((fd = open(end, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* comm may hold spaces and ')': count from the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0')
		return false;
	if (p[2] == 'Z' || p[2] == 'X')
		return false;
	/* ") S PPID PGRP": skip the state and the parent. */
	for (p += 3, i = 0; *p != '\0' && i < 2; p++)
		if (*p == ' ')
			i++;
	while (*p >= '0' && *p <= '9')
		pg = pg * 10 + (*p++ - '0');
	return pg == pgid;
}

/* Whether a process of group pgid still runs (zombies do not). */
static bool
group_runs(pid_t pgid)
{
	char buf[4096];
	struct dirent64 *d;
	long n, off, pid;
	bool runs = false;
	int dfd;

	if (kill(-pgid, 0) == -1)
		return false;
	if ((dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return true;
	while (!runs && (n = syscall(SYS_getdents64, dfd, buf,
	    sizeof(buf))) > 0)
		for (off = 0; !runs && off < n; off += d->d_reclen) {
			d = (struct dirent64 *)(buf + off);
			if (is_pid(d->d_name, &pid))
				runs = member_runs(pid, pgid);
		}
	close(dfd);
	return runs;
}

static void
nap(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * End every process of group pgid -- SIGTERM, then SIGKILL after a grace
 * time -- and return once none of them runs.
 */
static void
group_end(pid_t pgid, int grace)
{
	int i;

	if (!group_runs(pgid))
		return;
	kill(-pgid, SIGTERM);
	kill(-pgid, SIGCONT);
	for (i = 0; i < grace && group_runs(pgid); i++)
		nap();
	while (group_runs(pgid)) {
		kill(-pgid, SIGKILL);
		nap();
	}
}

/*
 * The sentinel's whole life; fd is the pipe's read end. It keeps little
 * from ipcctl: its own session (no terminal, no job control, no signal
 * sent to ipcctl's group), every signal blocked (no handler of ipcctl's
 * runs in it), and no descriptor but the pipe -- no stdout that a reader
 * waits on, no lock that would outlive ipcctl.
 */
static int
sentinel(void *arg)
{
	int fd = (int)(intptr_t)arg;
	sigset_t all;
	pid_t pgid;
	char c;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setsid();
	prctl(PR_SET_NAME, "ipcctl-sentinel");
	if (fd > 0)
		close_range_from(0, fd);
	close_range_from(fd + 1, -1);
	/* COMMAND's group (from COMMAND itself), then a byte or the end. */
	if (read(fd, &pgid, sizeof(pgid)) != sizeof(pgid) ||
	    read(fd, &c, 1) == 1)
		_exit(0);	/* no command, or all is well */
	group_end(pgid, GRACE_TICKS);
	_exit(0);
}

/* The controlling terminal on fd 0, 1 or 2, or -1; *fg: ours to give. */
static int
find_tty(bool *fg)
{
	pid_t pg;
	int fd;

	for (fd = 0; fd < 3; fd++)
		if ((pg = tcgetpgrp(fd)) != -1) {
			*fg = pg == getpgrp();
			return fd;
		}
	return -1;
}

/*
 * The sentinel is made with clone(CLONE_VM), as a thread is, but as a
 * process of its own: fork would copy ipcctl's page tables and then pay a
 * fault for each page either side writes, the largest part of what the
 * sentinel would cost every sem run. Where such a clone is not for us
 * (valgrind refuses it; AddressSanitizer knows no stack but a thread's),
 * fork does it. Each sentinel has a stack of its own, never unmapped: an
 * earlier one may still run on its own stack (it ends in its own time),
 * and none outlives ipcctl's memory, which it shares.
 */
static pid_t
start_sentinel(int fd)
{
	char *stack = NULL;
	pid_t pid;

	if (SHARED_SENTINEL_OK) {
		stack = mmap(NULL, SENTINEL_STACK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED)
			stack = NULL;
	}
	if (stack != NULL && (pid = clone(sentinel, stack + SENTINEL_STACK,
	    CLONE_VM | SIGCHLD, (void *)(intptr_t)fd)) != -1)
		return pid;
	if ((pid = fork()) == 0)
		sentinel((void *)(intptr_t)fd);
	return pid;
}

/*
 * Start the sentinel. 0 or an errno; r->sentinel and r->sentinel_start
 * name it, for the holders ledger.
 */
int
run_prepare(struct runner *r)
{
	int fds[2];

	memset(r, 0, sizeof(*r));
	r->pid = -1;
	r->sigfd = -1;
	r->grace_ms = GRACE_TICKS * 10;
	r->tty = find_tty(&r->foreground);
	/*
	 * A socket, not a pipe: a sentinel killed by somebody must not
	 * have SIGPIPE kill ipcctl when it writes (MSG_NOSIGNAL).
	 */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
		return errno;
	if ((r->sentinel = start_sentinel(fds[0])) == -1) {
		close(fds[0]);
		close(fds[1]);
		return errno;
	}
	close(fds[0]);
	r->sentinel_fd = fds[1];
	r->sentinel_start = proc_start(r->sentinel);
	return 0;
}

/*
 * Start COMMAND with the signal mask it should have. vfork: the child only
 * execs, and posix_spawn's child would first reset all 64 signal
 * dispositions, a tenth of a short command's cost. Every signal is
 * blocked around it, so no handler runs in the borrowed memory, and the
 * child may take the terminal while in the background. An exec failure
 * comes back through *e, which the child shares with us.
 */
static pid_t
spawn(struct runner *r, char *const argv[], const sigset_t *mask, int *e)
{
	volatile int child_errno = 0;
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = vfork()) == 0) {
		pid = getpid();
		setpgid(0, 0);
		if (r->tty != -1 && r->foreground)
			tcsetpgrp(r->tty, pid);
		/* Its group, to the sentinel: no window for a SIGKILL. */
		if (send(r->sentinel_fd, &pid, sizeof(pid), MSG_NOSIGNAL) !=
		    sizeof(pid)) {
			child_errno = errno;
			_exit(127);
		}
		signals_for_exec();
		sigprocmask(SIG_SETMASK, mask, NULL);
		execvp(argv[0], argv);
		child_errno = errno;
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	*e = child_errno;
	if (pid != -1 && *e != 0)
		waitpid(pid, NULL, 0);
	return pid;
}

/*
 * 0 once COMMAND runs, else the errno of the exec (ENOENT: not found).
 * The signals of set, which the caller blocked, come to run_wait through
 * a signalfd, beside what the backend watches.
 */
int
run_start(struct runner *r, char *const argv[], const sigset_t *set,
    const sigset_t *mask)
{
	int e;

	if ((r->sigfd = signalfd(-1, set, SFD_CLOEXEC)) == -1)
		return errno;
	/* An inherited SIG_IGN would have the kernel reap COMMAND for us. */
	signal(SIGCHLD, SIG_DFL);
	if ((r->pid = spawn(r, argv, mask, &e)) == -1)
		return errno;
	return e;
}

/* Give the terminal to group pg, if it is ours to give. */
static void
tty_give(const struct runner *r, pid_t pg)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(r->tty, pg);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * COMMAND stopped (^Z, or a background read): stop ipcctl's job the same
 * way, so the shell sees it, and on fg or bg carry on with COMMAND in the
 * foreground where ipcctl is.
 */
static void
stopped(const struct runner *r, int sig)
{
	if (tcgetpgrp(r->tty) == r->pid)
		tty_give(r, getpgrp());
	raise(sig == SIGSTOP ? SIGSTOP : SIGTSTP);
	if (tcgetpgrp(r->tty) == getpgrp())
		tty_give(r, r->pid);
	kill(-r->pid, SIGCONT);
}

/*
 * A signal of the set came: pass it on to COMMAND -- but one the terminal
 * sent while COMMAND's group has it, which reached COMMAND already. True
 * when COMMAND ended; its wait status in *status.
 */
static bool
run_signal(struct runner *r, const struct signalfd_siginfo *si, int *status)
{
	int flags = r->tty != -1 ? WUNTRACED | WNOHANG : WNOHANG;

	if (si->ssi_signo != SIGCHLD) {
		if (si->ssi_code != SI_KERNEL || r->tty == -1 ||
		    tcgetpgrp(r->tty) != r->pid)
			kill(r->pid, si->ssi_signo);
		return false;
	}
	/* Signals merge: one SIGCHLD may stand for a stop and an exit. */
	while (waitpid(r->pid, status, flags) == r->pid) {
		if (!WIFSTOPPED(*status))
			return true;
		stopped(r, WSTOPSIG(*status));
	}
	return false;
}

/*
 * Until COMMAND ends, or lost_fd (the backend's; -1: none) says the token
 * is lost: then COMMAND's group is ended at once and r->lost set. Either
 * way what COMMAND left running in its group is ended too, before the
 * token can go back. Returns COMMAND's wait status.
 */
int
run_wait(struct runner *r, int lost_fd)
{
	struct pollfd p[2] = {
		{ .fd = r->sigfd, .events = POLLIN },
		{ .fd = lost_fd, .events = POLLIN }
	};
	struct signalfd_siginfo si;
	int status;

	for (;;) {
		if (poll(p, 2, -1) == -1)
			continue;	/* EINTR: stopped and continued */
		if (p[1].revents != 0) {
			r->lost = true;
			group_end(r->pid, r->grace_ms / 10);
			waitpid(r->pid, &status, 0);
			break;
		}
		if (read(r->sigfd, &si, sizeof(si)) == sizeof(si) &&
		    run_signal(r, &si, &status))
			break;
	}
	group_end(r->pid, GRACE_TICKS);
	return status;
}

/*
 * COMMAND ended (or never started) and its token is back: take back the
 * terminal and tell the sentinel all is well.
 */
void
run_finish(struct runner *r)
{
	static const char ok = 1;

	if (r->tty != -1 && r->foreground && r->pid > 0)
		tty_give(r, getpgrp());
	if (r->sigfd != -1)
		close(r->sigfd);
	if (r->sentinel > 0) {
		/* A sentinel somebody killed has nothing left to guard. */
		(void)send(r->sentinel_fd, &ok, 1, MSG_NOSIGNAL);
		close(r->sentinel_fd);
	}
}
