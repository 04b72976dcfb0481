/*
 * Shared memory segments: open or create with exactly the mode asked for,
 * and move bytes between a segment and a file descriptor with as few
 * copies as the kernel allows.
 */
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipcctl.h"

#define CHUNK	(1 << 30)	/* one sendfile/splice call at most */
#define BUF	(1 << 16)	/* a copy through user space */

#define WHAT	"a shared memory segment"

static int
open_segment(const char *name, int flags, mode_t mode)
{
	return shm_open(name, flags | O_NONBLOCK | O_NOCTTY, mode);
}

/*
 * Open segment name into *fdp with access (O_RDONLY or O_RDWR), creating
 * it as o says with exactly o->mode. *created tells whether this call
 * made it, so that a create that cannot be finished removes only what it
 * made. Whatever stands there is opened without blocking (a FIFO) and
 * must be a regular file. 0 or an error code.
 */
int
pshm_open(const char *name, const struct open_opts *o, int access,
    int *fdp, bool *created)
{
	int fd = -1, tries, e;
	struct stat st;
	mode_t old;

	*created = false;
	old = umask(0);
	/* Open it, else create it exclusively: then we know who made it. */
	for (tries = 0; tries < 100; tries++) {
		if (!(o->flags & O_EXCL)) {
			fd = open_segment(name, access | (o->flags & O_TRUNC), 0);
			if (fd != -1 || errno != ENOENT || !(o->flags & O_CREAT))
				break;
		}
		fd = open_segment(name, access | O_CREAT | O_EXCL, o->mode);
		if (fd != -1) {
			*created = true;
			break;
		}
		if (errno != EEXIST || (o->flags & O_EXCL))
			break;
	}
	umask(old);
	if (fd == -1)
		return file_open_error(errno, WHAT);
	if ((e = file_check(fd, WHAT, 0, &st)) != 0) {
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
}

/* A non-blocking descriptor someone handed us: wait until it is ready. */
static bool
wait_ready(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	if (errno != EAGAIN)
		return false;
	while (poll(&p, 1, -1) == -1)
		if (errno != EINTR)
			return false;
	return true;
}

/* Copy len bytes of the segment at off to out through a buffer. */
static int
copy_out(int fd, off_t off, size_t len, int out, int *failed)
{
	char buf[BUF];
	size_t want, got, done = 0;
	int e;

	while (done < len) {
		want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		if ((e = io_read(fd, buf, want, off + done, &got)) != 0 ||
		    got == 0) {
			*failed = 's';
			return e != 0 ? e : EFAULT;
		}
		if ((e = io_write(out, buf, got, -1, NULL)) != 0) {
			*failed = 'f';
			return e;
		}
		done += got;
	}
	return 0;
}

/*
 * Copy len bytes of the segment at off to out. Returns 0, or an errno with
 * *failed naming the side that failed: 's' the segment (it shrank: EFAULT
 * or an early end), 'f' the output.
 */
int
segment_to_fd(int fd, off_t off, size_t len, int out, int *failed)
{
	off_t pos = off;
	size_t done = 0;
	ssize_t n;

	/* sendfile: page cache to output, no copy through user space. */
	while (done < len) {
		n = sendfile(out, fd, &pos, len - done < CHUNK ?
		    len - done : CHUNK);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n == 0) {
			*failed = 's';
			return EFAULT;
		}
		if (errno == EINTR || wait_ready(out, POLLOUT))
			continue;
		if ((errno == EINVAL || errno == ENOSYS ||
		    errno == EOVERFLOW) && done == 0)
			break;
		*failed = 'f';
		return errno;
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
 * Copy from in to the segment at off until in ends, or len bytes when
 * len is not (size_t)-1. Writing past the segment's end grows it: callers
 * check sizes first. Returns 0 or an errno, *failed: 's' the segment, 'f'
 * the input.
 */
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
 * check sizes first. Returns 0 or an errno, *failed: 's' the segment, 'f'
 * the input.
 */
int
fd_to_segment(int in, int fd, off_t off, size_t len, int *failed)
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
			if (errno == EINTR || wait_ready(in, POLLIN))
				continue;
			/* A full /dev/shm is the segment's failure. */
			*failed = errno == ENOSPC || errno == EFBIG ? 's' : 'f';
			return errno;
		}
		if (!kernel) {
			if ((e = io_read(in, buf, want < sizeof(buf) ? want :
			    sizeof(buf), -1, &got)) != 0) {
				*failed = 'f';
				return e;
			}
			if ((e = io_write(fd, buf, got, pos, NULL)) != 0) {
				*failed = 's';
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
