/*
 * ipcctl shm: shared memory segments.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcctl.h"
#include "local/local.h"

enum { OPT_GROW = OPT_LONG_ONLY + 0x10, OPT_TRUNCATE };

struct shm_opts {
	struct verb_opts	 v;
	const char		*file;		/* write: FILE operand */
	uint64_t		 size, offset, length;
	bool			 sized, lengthed, grow, truncate;
	struct out_opts		 out;
};

static void
ho_init(struct shm_opts *ho, int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	memset(ho, 0, sizeof(*ho));
	verb_opts_init(&ho->v, argc, argv, obj, verb);
}

/* A size, offset or length: what fits in an off_t. */
static uint64_t
ho_size(struct shm_opts *ho, const char *what, const char *arg)
{
	const char *errstr;
	uint64_t v;

	if ((errstr = parse_size(arg, &v)) == NULL && v > INT64_MAX)
		errstr = "too large";
	if (errstr != NULL)
		usage_error(ho->v.args.obj, ho->v.args.verb, "%s %s: %s", what, arg,
		    errstr);
	return v;
}

/* Read every option and operand; operands past NAME go to *extra. */
static void
ho_parse(struct shm_opts *ho, const char **extra)
{
	struct args *a = &ho->v.args;
	const char *arg;
	int ch;

	while ((ch = args_next(a, &arg)) != -1) {
		if (verb_opt(&ho->v, ch, arg, IPC_SHM) ||
		    output_opt(ch, &ho->out))
			continue;
		switch (ch) {
		case 1:
			if (extra != NULL && *extra == NULL)
				*extra = arg;
			else
				usage_error(a->obj, a->verb,
				    "unexpected operand: %s", arg);
			break;
		case 'l':
			ho->length = ho_size(ho, "length", arg);
			ho->lengthed = true;
			break;
		case 'o':
			ho->offset = ho_size(ho, "offset", arg);
			break;
		case 's':
			ho->size = ho_size(ho, "size", arg);
			ho->sized = true;
			break;
		case OPT_GROW:
			ho->grow = true;
			break;
		case OPT_TRUNCATE:
			ho->truncate = true;
			break;
		default:
			args_bad(a, '?');
		}
	}
}

static int
ho_open(struct shm_opts *ho, int access)
{
	bool created;
	int fd, e;

	verb_need_name(&ho->v);
	if ((e = pshm_open(ho->v.name, &ho->v.open, access, &fd, &created)) != 0)
		die(e, ho->v.name);
	return fd;
}

static void
ho_fstat(struct shm_opts *ho, int fd, struct stat *st)
{
	if (fstat(fd, st) == -1)
		die(errno, ho->v.name);
}

/*
 * Remove a segment this call created and could not finish -- if the name
 * still stands for it, not for one made since by someone else.
 */
static void
undo_create(const char *name, int fd)
{
	char path[sizeof(SHM_DIR) + IPC_NAME_BUF];
	struct stat ours, now;

	snprintf(path, sizeof(path), SHM_DIR "%s", name);
	if (fstat(fd, &ours) == 0 && lstat(path, &now) == 0 &&
	    ours.st_ino == now.st_ino && ours.st_dev == now.st_dev)
		shm_unlink(name);
}

static int
ho_try_create(const char *name, void *arg)
{
	struct shm_opts *ho = arg;
	bool created;
	int fd, e;

	if ((e = pshm_open(name, &ho->v.open, O_RDWR, &fd, &created)) != 0) {
		errno = e;
		return -1;
	}
	if (ftruncate(fd, ho->size) == -1) {
		e = errno;
		if (created)
			undo_create(name, fd);
		die(e, name);
	}
	close(fd);
	return 0;
}

static int
cmd_shm_create(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct shm_opts ho;
	int e;

	ho_init(&ho, argc, argv, obj, verb);
	ho_parse(&ho, NULL);
	if (!ho.sized)
		usage_error(obj, verb, "missing --size");
	ho.v.open.flags |= O_CREAT | (ho.truncate ? O_TRUNC : 0);
	if (!ho.v.named) {
		ho.v.open.flags |= O_EXCL;
		if ((e = name_fresh(ho.v.name, ho_try_create, shm_unlink,
		    &ho)) != 0)
			die(e, e == E_OUTPUT ? NULL : ho.v.name);
		return 0;
	}
	if (ho_try_create(ho.v.name, &ho) == -1)
		die(errno, ho.v.name);
	return 0;
}

/*
 * An error while copying: the side that failed (the segment, or the file,
 * stdin or stdout) decides the status and the words.
 */
static void __dead
copy_failed(struct shm_opts *ho, int e, enum copy_side side,
    const char *file)
{
	if (side == SIDE_FILE) {
		warn_errno(e, file);
		exit(EX_IOERR);
	}
	if (e == EFAULT)
		errx(EX_OSERR, "%s: the segment shrank while it was copied",
		    ho->v.name);
	if (e == EINVAL)	/* an offset the file system cannot hold */
		errx(EX_DATAERR, "%s: data at offset %ju pass the largest "
		    "segment possible", ho->v.name, (uintmax_t)ho->offset);
	die(e, ho->v.name);
}

static int
cmd_shm_read(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct shm_opts ho;
	struct stat st;
	enum copy_side side;
	int fd, e;

	ho_init(&ho, argc, argv, obj, verb);
	ho_parse(&ho, NULL);
	fd = ho_open(&ho, O_RDONLY);
	ho_fstat(&ho, fd, &st);
	if (ho.offset > (uint64_t)st.st_size)
		errx(EX_DATAERR, "%s: offset %ju is past the end (%jd bytes)",
		    ho.v.name, (uintmax_t)ho.offset, (intmax_t)st.st_size);
	if (!ho.lengthed)
		ho.length = st.st_size - ho.offset;
	else if (ho.length > (uint64_t)st.st_size - ho.offset)
		errx(EX_DATAERR, "%s: %ju bytes at offset %ju pass the end "
		    "(%jd bytes)", ho.v.name, (uintmax_t)ho.length,
		    (uintmax_t)ho.offset, (intmax_t)st.st_size);
	if ((e = segment_to_fd(fd, ho.offset, ho.length, STDOUT_FILENO,
	    &side)) != 0)
		copy_failed(&ho, e, side, "stdout");
	return 0;
}

/*
 * A file says how long it is: check that it fits (or grow the segment to
 * hold it, with --grow), then copy. 0 or an errno, *side as copy.c says.
 */
static int
write_sized(struct shm_opts *ho, int in, int fd, const struct stat *st,
    uint64_t len, enum copy_side *side)
{
	if (len > (uint64_t)INT64_MAX - ho->offset)
		errx(EX_DATAERR, "%s: %ju bytes at offset %ju pass the largest "
		    "segment possible: nothing written", ho->v.name,
		    (uintmax_t)len, (uintmax_t)ho->offset);
	if (ho->offset + len > (uint64_t)st->st_size) {
		if (!ho->grow)
			errx(EX_DATAERR, "%s: %ju bytes at offset %ju pass the "
			    "end (%jd bytes): nothing written", ho->v.name,
			    (uintmax_t)len, (uintmax_t)ho->offset,
			    (intmax_t)st->st_size);
		if (ftruncate(fd, ho->offset + len) == -1)
			die(errno, ho->v.name);
	}
	return fd_to_segment(in, fd, ho->offset, len, side);
}

static int
cmd_shm_write(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct shm_opts ho;
	struct stat st, ist;
	const char *input = "stdin";
	uint64_t room;
	off_t pos;
	enum copy_side side;
	bool fits;
	int fd, in = STDIN_FILENO, e;

	ho_init(&ho, argc, argv, obj, verb);
	ho_parse(&ho, &ho.file);
	if (ho.file != NULL && strcmp(ho.file, "-") != 0) {
		input = ho.file;
		if ((in = open(input, O_RDONLY | O_CLOEXEC)) == -1)
			die(errno, input);
	}
	fd = ho_open(&ho, O_RDWR);
	ho_fstat(&ho, fd, &st);
	if (fstat(in, &ist) == -1)
		copy_failed(&ho, errno, SIDE_FILE, input);
	room = ho.offset > (uint64_t)st.st_size ? 0 :
	    (uint64_t)st.st_size - ho.offset;
	if (S_ISREG(ist.st_mode) && (pos = lseek(in, 0, SEEK_CUR)) != -1)
		e = write_sized(&ho, in, fd, &st, ist.st_size > pos ?
		    (uint64_t)(ist.st_size - pos) : 0, &side);
	else if (ho.grow)
		e = fd_to_segment(in, fd, ho.offset, (size_t)-1, &side);
	else if ((e = fd_to_segment_bounded(in, fd, ho.offset, room, &fits,
	    &side)) == 0 && !fits)
		errx(EX_DATAERR, "%s: the data is longer than the %ju bytes "
		    "from offset %ju to the end: nothing written", ho.v.name,
		    (uintmax_t)room, (uintmax_t)ho.offset);
	if (e != 0)
		copy_failed(&ho, e, side, input);
	return 0;
}

static int
cmd_shm_resize(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct shm_opts ho;
	const char *size = NULL;
	int fd;

	ho_init(&ho, argc, argv, obj, verb);
	ho_parse(&ho, &size);
	if (size == NULL)
		usage_error(obj, verb, "missing SIZE");
	ho.size = ho_size(&ho, "size", size);
	fd = ho_open(&ho, O_RDWR);
	if (ftruncate(fd, ho.size) == -1)
		die(errno, ho.v.name);
	return 0;
}

static int
cmd_shm_info(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct shm_opts ho;
	struct stat st;

	ho_init(&ho, argc, argv, obj, verb);
	ho_parse(&ho, NULL);
	ho_fstat(&ho, ho_open(&ho, O_RDONLY), &st);
	info_print("segments", ho.v.name, &st,
	    &(struct info_num){ "SIZE", st.st_size }, 1, false, NULL, 0,
	    &ho.out);
	return 0;
}

static int
cmd_shm_procs(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	struct shm_opts ho;
	struct stat st;
	int fd;

	ho_init(&ho, argc, argv, obj, verb);
	ho_parse(&ho, NULL);
	ho_fstat(&ho, fd = ho_open(&ho, O_RDONLY), &st);
	close(fd);
	return procs_print(&st, &ho.out);
}

static int
cmd_shm_unlink(int argc, char *argv[], const struct object *obj,
    const struct verb *verb)
{
	return unlink_names(argc, argv, obj, verb, IPC_SHM, shm_unlink);
}

static const struct opt opts_create[] = {
	{ .name = "size", .val = 's', .arg = "SIZE",
	  .help = "set the size (4096, 64K, 1M, 2G)" },
	OPT_EXCLUSIVE("fail (exit 73) if it exists"),
	OPT_MODE,
	{ .name = "truncate", .val = OPT_TRUNCATE,
	  .help = "empty an existing segment first" },
	OPT_CREATE("accepted: create already creates"),
	{ 0 }
};

static const struct opt opts_write[] = {
	{ .name = "offset", .val = 'o', .arg = "OFFSET",
	  .help = "write at OFFSET (default 0)" },
	{ .name = "grow", .val = OPT_GROW,
	  .help = "extend the segment to hold the data" },
	{ 0 }
};

static const struct opt opts_read[] = {
	{ .name = "offset", .val = 'o', .arg = "OFFSET",
	  .help = "start at OFFSET (default 0)" },
	{ .name = "length", .val = 'l', .arg = "LENGTH",
	  .help = "copy LENGTH bytes (default: to the end)" },
	{ 0 }
};

static const struct opt opts_output[] = { OPTS_OUTPUT, { 0 } };
static const struct opt opts_info[] = { OPT_BYTES_DEF, OPTS_OUTPUT, { 0 } };

static const struct verb verbs_shm[] = {
	{ .name = "create", .run = cmd_shm_create,
	  .summary = "create a segment of a size (no NAME: a random one, printed)",
	  .usage = "[NAME] -s SIZE [-x] [-m MODE] [--truncate]",
	  .opts = opts_create, .operands = "name",
	  .notes = "With no NAME, a fresh random name is created and "
	  "printed.\n" },
	{ .name = "write", .run = cmd_shm_write,
	  .summary = "copy a file or stdin into a segment",
	  .usage = "NAME [-o OFFSET] [--grow] [FILE]",
	  .opts = opts_write, .operands = "name file",
	  .notes = "Copies FILE (default stdin) into the segment; data past "
	  "the end\nis refused (exit 65) and nothing is written.\n" },
	{ .name = "read", .run = cmd_shm_read,
	  .summary = "copy bytes of a segment to stdout",
	  .usage = "NAME [-o OFFSET] [-l LENGTH]",
	  .opts = opts_read, .operands = "name" },
	{ .name = "resize", .run = cmd_shm_resize, .usage = "NAME SIZE",
	  .summary = "set the size of a segment",
	  .operands = "name -",
	  .notes = "Sets the segment's size (ftruncate).\n" },
	{ .name = "info", .run = cmd_shm_info,
	  .summary = "print name, size, mode, owner and group",
	  .usage = "NAME [-b] [--json | -r | --pairs]",
	  .opts = opts_info, .operands = "name" },
	{ .name = "procs", .run = cmd_shm_procs,
	  .summary = "list the processes that have it open or mapped",
	  .usage = "NAME [--json | -r | --pairs]",
	  .opts = opts_output, .operands = "name",
	  .notes = "A row per process: PID, USER, COMMAND, HOW (fd, map).\n" },
	{ .name = "unlink", .run = cmd_shm_unlink, .usage = "[-f] NAME...",
	  .summary = "remove segments",
	  .opts = opts_unlink, .operands = "name...",
	  .notes = "Removes each NAME; exit 66 if one was missing, 0 with "
	  "-f.\n" },
	{ 0 }
};

const struct object object_shm = {
	.name = "shm", .link = "ipcshm", .summary = "shared memory segments",
	.kind = IPC_SHM, .verbs = verbs_shm
};
