/*
 * Timeouts: "2.5", "500ms", "1m", "1h", "1d". A deadline is a point on the
 * monotonic clock, so setting the wall clock neither shortens nor
 * stretches a wait; calls that only take CLOCK_REALTIME get a conversion
 * made just before each call.
 */
#include <sys/time.h>

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core.h"

#define NSEC	1000000000LL

static const struct {
	const char	*suffix;
	long long	 ns;
} units[] = {
	{ "",	NSEC },
	{ "s",	NSEC },
	{ "ms",	NSEC / 1000 },
	{ "m",	60 * NSEC },
	{ "h",	3600 * NSEC },
	{ "d",	86400 * NSEC },
};

const char *
parse_duration(const char *s, struct timespec *out)
{
	unsigned long long whole = 0, frac = 0, scale = 1, unit = 0, ns;
	const char *p = s;
	size_t i;

	if (!isdigit((unsigned char)*p) &&
	    !(*p == '.' && isdigit((unsigned char)p[1])))
		return "not a duration";
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return "too large";
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		/* Beyond nanoseconds of an hour, digits change nothing. */
		for (p++; isdigit((unsigned char)*p); p++)
			if (scale < 100000000000000ULL) {
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].suffix) == 0)
			unit = units[i].ns;
	if (unit == 0)
		return "not a duration (units: ms, s, m, h, d)";
	if (whole > (unsigned long long)INT64_MAX / unit)
		return "too large";
	ns = (unsigned long long)((long double)frac * unit / scale + 0.5L);
	out->tv_sec = whole * unit / NSEC + ns / NSEC;
	out->tv_nsec = whole * unit % NSEC + ns % NSEC;
	if (out->tv_nsec >= NSEC) {
		out->tv_sec++;
		out->tv_nsec -= NSEC;
	}
	return NULL;
}

void
deadline_start(struct deadline *d, const struct timespec *dur)
{
	memset(d, 0, sizeof(*d));
	if (dur == NULL) {
		d->forever = true;
		return;
	}
	if (dur->tv_sec == 0 && dur->tv_nsec == 0) {
		d->once = true;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	timespecadd(&d->at, dur, &d->at);
}

/* The time left before the deadline; false once it has passed. */
bool
deadline_left(const struct deadline *d, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!timespeccmp(&now, &d->at, <)) {
		left->tv_sec = left->tv_nsec = 0;
		return false;
	}
	timespecsub(&d->at, &now, left);
	return true;
}

/*
 * The end of the next slice of a wait, on the monotonic clock, in *at: the
 * deadline, or max_s seconds from now where the deadline is later or there
 * is none. True if *at is the deadline itself.
 */
bool
deadline_slice(const struct deadline *d, time_t max_s, struct timespec *at)
{
	clock_gettime(CLOCK_MONOTONIC, at);
	at->tv_sec += max_s;
	if (d->forever || timespeccmp(at, &d->at, <))
		return false;
	*at = d->at;
	return true;
}

/* Milliseconds on the monotonic clock. */
long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}
