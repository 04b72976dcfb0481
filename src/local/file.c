/*
 * The files behind objects. /dev/shm is writable by anyone, so whatever
 * stands at an object's name is opened without following a link or
 * blocking on a FIFO, and checked on the open descriptor: a damaged
 * object is an error that says what is wrong, never a hang or a crash.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>

#include "local/local.h"

/* "a FIFO": what a file of this mode is, for a diagnostic. */
static const char *
file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

/*
 * 0 if fd is a regular file of at least min bytes (its status in *st),
 * else E_DAMAGED saying why it cannot be what (e.g. "a semaphore").
 */
int
file_check(int fd, const char *what, off_t min, struct stat *st)
{
	if (fstat(fd, st) == -1)
		return errno;
	if (!S_ISREG(st->st_mode))
		return error_set(E_DAMAGED, "is %s, not %s",
		    file_kind(st->st_mode), what);
	if (st->st_size < min)
		return error_set(E_DAMAGED, "is %jd byte%s, not %s",
		    (intmax_t)st->st_size, st->st_size == 1 ? "" : "s", what);
	return 0;
}

/* An open that failed with e: a directory is a damaged object too. */
int
file_open_error(int e, const char *what)
{
	if (e == EISDIR)
		return error_set(E_DAMAGED, "is a directory, not %s", what);
	return e;
}
