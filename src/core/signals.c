/*
 * Signals: noted instead of obeyed where ending at once would leave a
 * token untracked or a message unwritten, and dying by one the way the
 * process ipcctl stands for died.
 */
#include <sys/resource.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

/*
 * End the way the process we stand for ended: by the same signal, so the
 * shell sees 128+N and a parent's WIFSIGNALED holds. No core of our own.
 */
void
die_signal(int sig)
{
	struct rlimit nocore = { 0, 0 };
	sigset_t set;

	fflush(stdout);
	setrlimit(RLIMIT_CORE, &nocore);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/*
 * Signals that would end us where ending would leave a token untracked or
 * a message unwritten: noted instead, so the wait they interrupt returns
 * EINTR and the caller finishes what it must before dying by the signal.
 * A signal that is ignored stays ignored (nohup).
 */
static volatile sig_atomic_t noted;

static void
note(int sig)
{
	if (noted == 0)
		noted = sig;
}

void
signals_note(const int *sigs, size_t n, sigset_t *set)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < n; i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
		if (set != NULL)
			sigaddset(set, sigs[i]);
	}
}

/* Put back the default of each signal in set. */
void
signals_default(const sigset_t *set)
{
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(set, sig) == 1)
			signal(sig, SIG_DFL);
}

int
signal_noted(void)
{
	return noted;
}

/* The signals whose default action ends a process, faults aside. */
const int ending_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
	SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPOLL, SIGPWR
};
const size_t nending_signals = sizeof(ending_signals) /
    sizeof(ending_signals[0]);

/*
 * At start: a write past the file size limit (ulimit -f) fails with EFBIG,
 * which ipcctl reports and recovers from (a message goes back, a created
 * object is removed), instead of killing it with SIGXFSZ midway. A
 * command ipcctl starts gets the disposition ipcctl was given.
 */
static bool xfsz_ignored;

void
signals_init(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGXFSZ, &sa, &old) == 0 && old.sa_handler != SIG_IGN)
		xfsz_ignored = true;
}

/* In a child about to exec a command: what signals_init changed, undone. */
void
signals_for_exec(void)
{
	if (xfsz_ignored)
		signal(SIGXFSZ, SIG_DFL);
}
