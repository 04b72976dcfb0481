/*
 * Usage and help texts, from the dispatch table: what "--help" and a
 * usage error print.
 */
#include <stdio.h>

#include "core.h"

void
print_usage(FILE *fp, const struct object *obj, const struct verb *verb)
{
	const char *sep = obj->name[0] != '\0' ? " " : "";

	if (verb != NULL)
		fprintf(fp, "usage: ipcctl %s%s%s %s\n", obj->name, sep,
		    verb->name, verb->usage);
	else
		fprintf(fp, "usage: ipcctl %s%sVERB [OPTIONS] [NAME] [ARGS]\n",
		    obj->name, sep);
}

void
print_help(const struct object *obj, const struct verb *verb)
{
	const struct verb *v;

	print_usage(stdout, obj, verb);
	if (verb != NULL) {
		if (verb->alias != NULL)
			printf("alias: %s\n", verb->alias);
		fputs(verb->help, stdout);
		return;
	}
	printf("%s\n\nverbs:\n", obj->summary);
	for (v = obj->verbs; v->name != NULL; v++)
		printf("  %-9s %s\n", v->name, v->usage);
	printf("\n'ipcctl %s VERB --help' describes one verb\n", obj->name);
}
