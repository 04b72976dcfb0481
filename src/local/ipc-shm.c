/*
 * Shared memory segments: open or create with exactly the mode asked for,
 * knowing whether this call made it; whatever stands at the name must be
 * a regular file.
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

#include "local/local.h"

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
