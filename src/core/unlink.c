/*
 * The one verb every object has alike: unlink NAME..., given the
 * object's own unlink call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

const struct opt opts_unlink[] = {
	{ .name = "force", .val = 'f',
	  .help = "a missing NAME is no error (as rm -f)" },
	{ 0 }
};

/*
 * "unlink [-f] NAME...": every name is checked, and must be kept by one
 * backend, before the first is removed; a failure is reported and the rest are still tried. The status
 * is the first failure's. With -f, as with rm -f, a name that is already
 * gone is what the caller wanted: no message, no failure, and no NAME at
 * all is no error either.
 */
int
unlink_names(int argc, char *argv[], const struct object *obj,
    const struct verb *verb, enum ipc_kind kind, int (*unlink)(const char *))
{
	char name[IPC_NAME_BUF];
	const char *arg, *first;
	struct args a;
	int ch, i, n = 0, *pos, status = 0;
	bool force = false;

	if ((pos = calloc(argc, sizeof(*pos))) == NULL)
		die(ENOMEM, NULL);
	args_init(&a, argc, argv, obj, verb);
	while ((ch = args_next(&a, &arg)) != -1) {
		if (ch == 'f') {
			force = true;
			continue;
		}
		if (ch != 1)
			args_bad(&a, '?');
		args_name(&a, arg, kind, name);
		/* One backend a call: a second may need another program. */
		if (n > 0 && backend_row(name) != backend_row(argv[pos[0]])) {
			first = argv[pos[0]];
			free(pos);
			usage_error(obj, verb, "%s, %s: names kept by two "
			    "backends: unlink them in two calls", first, arg);
		}
		pos[n++] = a.pos;
	}
	if (n == 0 && !force)
		usage_error(obj, verb, "missing NAME");
	for (i = 0; i < n; i++) {
		name_check(argv[pos[i]], kind, name);
		if (unlink(name) == -1 && !(force && errno == ENOENT)) {
			warn_errno(errno, name);
			if (status == 0)
				status = exit_status(errno);
		}
	}
	free(pos);
	return status;
}
