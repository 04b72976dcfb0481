/*
 * The one verb every object has alike: unlink NAME..., given the
 * object's own unlink call.
 */
#include <errno.h>
#include <string.h>

#include "core.h"

/*
 * "unlink NAME...": every name is checked before the first is removed; a
 * failure is reported and the rest are still tried. The status is the
 * first failure's.
 */
int
unlink_names(int argc, char *argv[], const struct object *obj,
    const struct verb *verb, enum ipc_kind kind, int (*unlink)(const char *))
{
	char name[IPC_NAME_BUF];
	const char *arg;
	struct args a;
	int ch, i, n = 0, status = 0;
	bool dashdash = false;

	args_init(&a, argc, argv, obj, verb);
	while ((ch = args_next(&a, &arg)) != -1) {
		args_name(&a, arg, kind, name);
		n++;
	}
	if (n == 0)
		usage_error(obj, verb, "missing NAME");
	/* Past the checks, argv[1..] holds only names and one "--". */
	for (i = 1; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = true;
			continue;
		}
		name_check(argv[i], kind, name);
		if (unlink(name) == -1) {
			warn_errno(errno, name);
			if (status == 0)
				status = exit_status(errno);
		}
	}
	return status;
}
