/* A minimal TAP producer for the core's unit tests. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	tap_n++;							\
	if (!(cond))							\
		tap_failed++;						\
	printf("%sok %d - ", (cond) ? "" : "not ", tap_n);		\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
