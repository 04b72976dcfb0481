/*
 * Copying bytes into and out of a segment with as few copies as the
 * kernel allows: sendfile and splice where they work, a buffer where they
 * do not. A segment is read and written, never mapped, so one shrunk by
 * someone else is an error, never a SIGBUS.
 */
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "local/local.h"

#define CHUNK	(1 << 30)	/* one sendfile/splice call at most */
#define BUF	(1 << 16)	/* a copy through user space */

/* Copy len bytes of the segment at off to out through a buffer. */
static int
copy_out(int fd, off_t off, size_t len, int out, enum copy_side *failed)
{
	char buf[BUF];
	size_t want, got, done = 0;
	int e;

	while (done < len) {
		want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		if ((e = io_read(fd, buf, want, off + done, &got)) != 0 ||
		    got == 0) {
			*failed = SIDE_SEGMENT;
			return e != 0 ? e : EFAULT;
		}
		if ((e = io_write(out, buf, got, -1, NULL)) != 0) {
			*failed = SIDE_FILE;
			return e;
		}
		done += got;
	}
	return 0;
}

/*
 * Copy len bytes of the segment at off to out. Returns 0, or an errno with
 * *failed naming the side that failed: the segment (it shrank: EFAULT or
 * an early end) or the output.
 */
int
segment_to_fd(int fd, off_t off, size_t len, int out, enum copy_side *failed)
{
	off_t pos = off;
	size_t done = 0;
	ssize_t n;
	int e;

	/* sendfile: page cache to output, no copy through user space. */
	while (done < len) {
		n = sendfile(out, fd, &pos, len - done < CHUNK ?
		    len - done : CHUNK);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n == 0) {
			*failed = SIDE_SEGMENT;
			return EFAULT;
		}
		if ((e = io_retry(out, errno, POLLOUT)) == 0)
			continue;
		if ((e == EINVAL || e == ENOSYS || e == EOVERFLOW) && done == 0)
			break;
		*failed = SIDE_FILE;
		return e;
	}
	if (done == len)
		return 0;

	/*
	 * Output sendfile cannot write to (O_APPEND, some devices), or offsets
	 * it will not take: copy through a buffer. The segment is read, never
	 * mapped, so one shrunk under us is an early end, not a SIGBUS.
	 */
	return copy_out(fd, pos, len - done, out, failed);
}

/*
 * One kernel copy of up to want bytes from in to the segment at *pos:
 * splice from a pipe, sendfile from a file. The bytes copied, or -1.
 */
static ssize_t
copy_kernel(int in, int fd, off_t *pos, size_t want)
{
	ssize_t n = splice(in, NULL, fd, pos, want, SPLICE_F_MOVE);

	if (n != -1 || errno != EINVAL)
		return n;
	if (lseek(fd, *pos, SEEK_SET) == -1)
		return -1;
	if ((n = sendfile(fd, in, NULL, want)) > 0)
		*pos += n;
	return n;
}

/*
 * Copy from in to the segment at off until in ends, or len bytes when
 * len is not (size_t)-1. Writing past the segment's end grows it: callers
 * check sizes first. Returns 0 or an errno, *failed: the segment or the
 * input.
 */
int
fd_to_segment(int in, int fd, off_t off, size_t len, enum copy_side *failed)
{
	char buf[BUF];
	off_t pos = off;
	size_t done = 0, want, got;
	ssize_t n;
	bool kernel = true;
	int e;

	while (len == (size_t)-1 || done < len) {
		want = len == (size_t)-1 || len - done > CHUNK ? CHUNK :
		    len - done;
		if (kernel && (n = copy_kernel(in, fd, &pos, want)) == -1) {
			if (errno == EINVAL && done == 0) {
				kernel = false;	/* no kernel copy from in */
				continue;
			}
			if ((e = io_retry(in, errno, POLLIN)) == 0)
				continue;
			/* A full /dev/shm is the segment's failure. */
			*failed = e == ENOSPC || e == EFBIG ? SIDE_SEGMENT :
			    SIDE_FILE;
			return e;
		}
		if (!kernel) {
			if ((e = io_read(in, buf, want < sizeof(buf) ? want :
			    sizeof(buf), -1, &got)) != 0) {
				*failed = SIDE_FILE;
				return e;
			}
			if ((e = io_write(fd, buf, got, pos, NULL)) != 0) {
				*failed = SIDE_SEGMENT;
				return e;
			}
			pos += got;
			n = got;
		}
		if (n == 0)
			break;
		done += n;
	}
	return 0;
}

/*
 * Input of unknown length (a pipe) that must fit in room bytes at off:
 * read whole into memory first, so that data running past the end writes
 * nothing (*fits false). 0 or an errno, *failed as above.
 */
int
fd_to_segment_bounded(int in, int fd, off_t off, uint64_t room,
    bool *fits, enum copy_side *failed)
{
	size_t cap = 0, got = 0, n;
	char *buf = NULL, *more;
	int e = 0;

	/* Grown as the data comes, up to one byte more than there is room. */
	while (got <= room) {
		if (got == cap) {
			cap = cap < BUF ? BUF : cap * 2;
			if (cap > room + 1)
				cap = room + 1;
			if ((more = realloc(buf, cap)) == NULL) {
				e = errno;
				*failed = SIDE_SEGMENT;
				break;
			}
			buf = more;
		}
		if ((e = io_read(in, buf + got, cap - got, -1, &n)) != 0) {
			*failed = SIDE_FILE;
			break;
		}
		if (n == 0)
			break;
		got += n;
	}
	*fits = got <= room;
	if (e == 0 && *fits && (e = io_write(fd, buf, got, off, NULL)) != 0)
		*failed = SIDE_SEGMENT;
	free(buf);
	return e;
}
