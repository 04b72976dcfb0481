/*
 * Processes as /proc shows them: who a process is (its pid and its start
 * time, so that a pid used again is not taken for it), whether it still
 * lives, and its command line; what every backend records of a holder.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

/*
 * A process's state letter and start time in clock ticks since boot, from
 * /proc/PID/stat; 0 where it cannot be read.
 */
static int
proc_stat(pid_t pid, uint64_t *start)
{
	char path[32], buf[1024], *p, state;
	unsigned long long ticks;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm (field 2) may hold spaces and ')': count from the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p, ") %c", &state) != 1)
		return 0;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &ticks) != 1)
		return 0;
	*start = ticks;
	return state;
}

/* Whether the NUL-terminated text at s is a pid; its value in *v. */
bool
is_pid(const char *s, long *v)
{
	*v = 0;
	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		*v = *v * 10 + (*s - '0');
	return *s == '\0';
}

/* A live process's start time; 0 if it is gone (or a zombie). */
uint64_t
proc_start(pid_t pid)
{
	uint64_t start;
	int state = proc_stat(pid, &start);

	return state == 0 || state == 'Z' ? 0 : start;
}

/*
 * Dead: no such pid, a zombie (killed, not yet reaped), or a pid whose
 * start time is not the one recorded. A process /proc will not show us
 * (hidepid, another pid namespace) is taken as alive: recovering a live
 * holder's token would break the count.
 */
bool
proc_alive(pid_t pid, uint64_t start)
{
	uint64_t now;
	int state;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return false;
	if ((state = proc_stat(pid, &now)) == 0)
		return true;
	return state != 'Z' && now == start;
}


/* PID's command line, arguments joined by spaces, cut to fit. */
static void
proc_cmdline(pid_t pid, char *out, size_t len)
{
	char path[32];
	ssize_t n, i;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	for (i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

void
command_line(char *const argv[], char *out, size_t len)
{
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; argv[i] != NULL && used + 1 < len; i++)
		used += snprintf(out + used, len - used, "%s%s", i ? " " : "",
		    argv[i]);
}

/*
 * Fill in s for pid, started at start (0: look it up), as holding one
 * token since now; cmd NULL: its command line from /proc. 0, or ESRCH
 * where pid is gone.
 */
int
ledger_slot_init(struct ledger_slot *s, pid_t pid, uint64_t start,
    const char *cmd)
{
	struct timespec now;

	memset(s, 0, sizeof(*s));
	s->pid = pid;
	if ((s->start = start != 0 ? start : proc_start(pid)) == 0)
		return ESRCH;
	clock_gettime(CLOCK_REALTIME, &now);
	s->since = now.tv_sec;
	if (cmd != NULL)
		snprintf(s->command, sizeof(s->command), "%s", cmd);
	else
		proc_cmdline(pid, s->command, sizeof(s->command));
	s->command[utf8_cut(s->command, strlen(s->command))] = '\0';
	return 0;
}

/*
 * A holder is alive while its process lives, or sem run's guard, or
 * COMMAND: killing every ipcctl at once leaves COMMAND running, and its
 * token must not be recovered while it does. (An entry an older ipcctl
 * wrote may have command text where cmd is: a pid with that start time
 * is taken to be gone.)
 */
bool
holder_alive(const struct ledger_slot *s)
{
	return proc_alive(s->pid, s->start) ||
	    (s->guard > 0 && proc_alive(s->guard, s->guard_start)) ||
	    (s->cmd > 0 && proc_alive(s->cmd, s->cmd_start));
}
