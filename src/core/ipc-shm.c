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

int
shm_open_opts(const char *name, const struct open_opts *o, int access)
{
	mode_t old;
	int fd;

	if (!(o->flags & O_CREAT))
		return shm_open(name, access, 0);
	old = umask(0);
	fd = shm_open(name, access | o->flags, o->mode);
	umask(old);
	return fd;
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

/*
 * Copy len bytes of the segment at off to out. Returns 0, or an errno with
 * *failed naming the side that failed: 's' the segment (it shrank: EFAULT
 * or an early end), 'f' the output.
 */
int
shm_to_fd(int fd, off_t off, size_t len, int out, int *failed)
{
	off_t pos = off;
	size_t done = 0;
	ssize_t n;
	char *map;

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
		if ((errno == EINVAL || errno == ENOSYS) && done == 0)
			break;
		*failed = 'f';
		return errno;
	}
	if (done == len)
		return 0;

	/*
	 * Output sendfile cannot write to (O_APPEND, some devices): write(2)
	 * straight from a mapping. The kernel reads the mapping, so a segment
	 * shrunk under us is EFAULT, not SIGBUS.
	 */
	if (len == 0)
		return 0;
	map = mmap(NULL, len + off % getpagesize(), PROT_READ, MAP_SHARED,
	    fd, off - off % getpagesize());
	if (map == MAP_FAILED) {
		*failed = 's';
		return errno;
	}
	for (map += off % getpagesize(); done < len; done += n)
		if ((n = write(out, map + done, len - done)) <= 0) {
			if (n == -1 && (errno == EINTR ||
			    wait_ready(out, POLLOUT))) {
				n = 0;
				continue;
			}
			*failed = n == -1 && errno == EFAULT ? 's' : 'f';
			return n == 0 ? EIO : errno;
		}
	return 0;
}

/*
 * Copy from in to the segment at off until in ends, or len bytes when
 * len is not (size_t)-1. Writing past the segment's end grows it: callers
 * check sizes first. Returns 0 or an errno, *failed: 's' the segment, 'f'
 * the input.
 */
int
fd_to_shm(int in, int fd, off_t off, size_t len, int *failed)
{
	char buf[65536];
	off_t pos = off;
	ssize_t n, w;
	size_t done = 0;
	bool kernel = true;

	while (len == (size_t)-1 || done < len) {
		size_t want = len == (size_t)-1 ? CHUNK : len - done;

		if (want > CHUNK)
			want = CHUNK;
		if (kernel) {
			/* splice from a pipe, sendfile from a file: no copy
			 * through user space. */
			n = splice(in, NULL, fd, &pos, want, SPLICE_F_MOVE);
			if (n == -1 && errno == EINVAL) {
				if (lseek(fd, pos, SEEK_SET) == -1) {
					*failed = 's';
					return errno;
				}
				n = sendfile(fd, in, NULL, want);
				pos = lseek(fd, 0, SEEK_CUR);
			}
			if (n == -1 && errno == EINVAL && done == 0) {
				kernel = false;
				continue;
			}
			if (n == -1 && (errno == EINTR ||
			    wait_ready(in, POLLIN)))
				continue;
			if (n == -1) {
				/* A full /dev/shm is the segment's failure. */
				*failed = errno == ENOSPC || errno == EFBIG ?
				    's' : 'f';
				return errno;
			}
		} else {
			if (want > sizeof(buf))
				want = sizeof(buf);
			if ((n = read(in, buf, want)) == -1) {
				if (errno == EINTR || wait_ready(in, POLLIN))
					continue;
				*failed = 'f';
				return errno;
			}
			for (w = 0; w < n; w += n) {
				ssize_t k = pwrite(fd, buf + w, n - w, pos + w);

				if (k == -1) {
					if (errno == EINTR)
						continue;
					*failed = 's';
					return errno;
				}
				w += k - n;	/* the loop adds n */
			}
			pos += n;
		}
		if (n == 0)
			break;
		done += n;
	}
	return 0;
}
