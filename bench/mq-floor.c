/*
 * The floor for "ipcctl mq send --lines" and "ipcctl mq receive -n": a
 * minimal sender (each stdin line one message) and receiver (COUNT
 * messages to stdout, each followed by a newline), stdio-buffered.
 * usage: mq-floor send NAME | mq-floor receive NAME COUNT
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char *argv[])
{
	struct mq_attr attr;
	char *line = NULL, *buf;
	size_t cap = 0;
	ssize_t n;
	unsigned prio;
	long count;
	mqd_t q;

	if (argc < 3)
		return 64;
	if (strcmp(argv[1], "send") == 0) {
		if ((q = mq_open(argv[2], O_WRONLY)) == (mqd_t)-1)
			return 66;
		while ((n = getline(&line, &cap, stdin)) != -1) {
			if (n > 0 && line[n - 1] == '\n')
				n--;
			if (mq_send(q, line, n, 0) == -1)
				return 71;
		}
		return 0;
	}
	if (argc < 4 || (q = mq_open(argv[2], O_RDONLY)) == (mqd_t)-1 ||
	    mq_getattr(q, &attr) == -1)
		return 66;
	buf = malloc(attr.mq_msgsize);
	for (count = atol(argv[3]); count > 0; count--) {
		if ((n = mq_receive(q, buf, attr.mq_msgsize, &prio)) == -1)
			return 71;
		fwrite(buf, 1, n, stdout);
		putchar('\n');
	}
	return fflush(stdout) == 0 ? 0 : 74;
}
