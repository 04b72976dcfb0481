/*
 * Runs each of several commands N times, interleaved round by round, and
 * prints the median nanoseconds per run of each: one process per call,
 * no shell in the way, so start-up costs are what is measured.
 * usage: spawn ROUNDS N :: CMD1 ARGS... :: CMD2 ARGS... [:: ...]
 */
#include <sys/wait.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	char **cmds[16];
	double *t[16];
	int ncmd = 0, rounds, n, r, c, i, status;
	pid_t pid;

	if (argc < 5)
		return 64;
	rounds = atoi(argv[1]);
	n = atoi(argv[2]);
	for (i = 3; i < argc && ncmd < 16; i++)
		if (strcmp(argv[i], "::") == 0) {
			argv[i] = NULL;
			cmds[ncmd++] = &argv[i + 1];
		}
	for (c = 0; c < ncmd; c++)
		t[c] = calloc(rounds, sizeof(double));
	for (r = 0; r < rounds; r++)
		for (c = 0; c < ncmd; c++) {
			double start = now();

			for (i = 0; i < n; i++) {
				if (posix_spawn(&pid, cmds[c][0], NULL, NULL,
				    cmds[c], environ) != 0 ||
				    waitpid(pid, &status, 0) != pid ||
				    !WIFEXITED(status) ||
				    WEXITSTATUS(status) != 0) {
					fprintf(stderr, "spawn: %s failed\n",
					    cmds[c][0]);
					return 1;
				}
			}
			t[c][r] = (now() - start) / n;
		}
	for (c = 0; c < ncmd; c++) {
		qsort(t[c], rounds, sizeof(double), cmp);
		printf("%.0f\n", t[c][rounds / 2]);
	}
	return 0;
}
