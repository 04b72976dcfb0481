/* A minimal TAP producer for the core's unit tests. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

/* cond is evaluated exactly once, so it may call the code under test. */
#define ok(cond, ...) do {						\
	int tap_c_ = (cond) ? 1 : 0;					\
	tap_n++;							\
	if (!tap_c_)							\
		tap_failed++;						\
	printf("%sok %d - ", tap_c_ ? "" : "not ", tap_n);		\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
} while (0)

/* A TAP diagnostic line: "# ...". */
#define diag(...) do {							\
	printf("# ");							\
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
