/*
 * The one write loop and the one read loop: every write of ipcctl's goes
 * through io_write, every read of a known length through io_read, so short
 * counts, EINTR and non-blocking descriptors are handled in one place.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "core.h"

/*
 * What to do after a call on fd failed with e: 0 to try again (EINTR, or
 * a non-blocking descriptor someone handed us that is now ready), or the
 * errno to give up with -- EINTR once a signal was noted (signals_note).
 */
int
io_retry(int fd, int e, short events)
{
	struct pollfd p = { fd, events, 0 };

	if (e == EINTR)
		return signal_noted() ? EINTR : 0;
	if (e != EAGAIN)
		return e;
	while (poll(&p, 1, -1) == -1)
		if (errno != EINTR || signal_noted())
			return errno;
	return 0;
}

/*
 * Write all len bytes of buf, at off (or at the file position where off
 * is -1). Short writes are continued; EINTR is retried unless a signal
 * was noted (signals_note), which the caller must then act on. Returns 0,
 * or an errno; *done (if not NULL) holds the bytes written either way.
 */
int
io_write(int fd, const void *buf, size_t len, off_t off, size_t *done)
{
	const char *p = buf;
	size_t n = 0;
	ssize_t w;
	int e = 0;

	while (n < len) {
		w = off == -1 ? write(fd, p + n, len - n) :
		    pwrite(fd, p + n, len - n, off + n);
		if (w > 0) {
			n += w;
			/* Cut short by a signal that must be acted on. */
			if (n < len && signal_noted()) {
				e = EINTR;
				break;
			}
			continue;
		}
		if (w == 0) {
			e = EIO;	/* nothing written, no error: give up */
			break;
		}
		if ((e = io_retry(fd, errno, POLLOUT)) != 0)
			break;
	}
	if (done != NULL)
		*done = n;
	return e;
}

/*
 * Read up to len bytes into buf, at off (-1: the file position), until
 * len or the end of the file. Returns 0 with *got (the bytes read; fewer
 * than len only at the end), or an errno.
 */
int
io_read(int fd, void *buf, size_t len, off_t off, size_t *got)
{
	char *p = buf;
	size_t n = 0;
	ssize_t r;
	int e;

	while (n < len) {
		r = off == -1 ? read(fd, p + n, len - n) :
		    pread(fd, p + n, len - n, off + n);
		if (r > 0) {
			n += r;
			continue;
		}
		if (r == 0)
			break;
		if ((e = io_retry(fd, errno, POLLIN)) != 0) {
			*got = n;
			return e;
		}
	}
	*got = n;
	return 0;
}

/*
 * Close the descriptors from fd up to (not with) end, -1: all of them
 * (a child that must hold nothing).
 */
void
close_range_from(int fd, int end)
{
	long max = end == -1 ? sysconf(_SC_OPEN_MAX) : end;

#ifdef HAVE_CLOSE_RANGE
	if (close_range(fd, end == -1 ? ~0U : (unsigned)end - 1, 0) == 0)
		return;
#endif
	for (; fd < max; fd++)
		close(fd);
}
