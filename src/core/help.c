/*
 * Usage and help texts, from the dispatch table: what "--help" and a
 * usage error print.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"

/*
 * Text of the dispatch table, with each "SCHEME:" written as the schemes
 * the backend table lists objects for ("etcd:", or "a: | b:").
 */
void
print_text(FILE *fp, const char *text)
{
	const struct backend_row *r;
	const char *p;
	size_t i, n, said;

	r = backend_rows(&n);
	while ((p = strstr(text, "SCHEME:")) != NULL) {
		fwrite(text, 1, p - text, fp);
		for (i = said = 0; i < n; i++)
			if (r[i].what != NULL)
				fprintf(fp, "%s%s", said++ ? " | " : "",
				    r[i].scheme);
		text = p + strlen("SCHEME:");
	}
	fputs(text, fp);
}

void
print_usage(FILE *fp, const struct object *obj, const struct verb *verb)
{
	const char *sep = obj->name[0] != '\0' ? " " : "";

	if (verb != NULL) {
		fprintf(fp, "usage: ipcctl %s%s%s ", obj->name, sep,
		    verb->name);
		print_text(fp, verb->usage);
		fputc('\n', fp);
	}
	else
		fprintf(fp, "usage: ipcctl %s%sVERB [OPTIONS] [NAME] [ARGS]\n",
		    obj->name, sep);
}

/* "--name ARG": an option as --help and the man pages write it. */
static int
opt_flag(const struct opt *o, char *buf, size_t len)
{
	return snprintf(buf, len, "--%s%s%s", o->name, o->arg != NULL ? " " :
	    "", o->arg != NULL ? o->arg : "");
}

/*
 * A line for each option, the words in one column: as wide as the
 * longest "--name ARG" up to 20 columns; a longer one has its own line.
 */
static void
print_opts(const struct opt *opts)
{
	const struct opt *o;
	char flag[64];
	int len, width = 12;

	for (o = opts; o != NULL && o->name != NULL; o++)
		if ((len = opt_flag(o, flag, sizeof(flag))) > width &&
		    len <= 20)
			width = len;
	for (o = opts; o != NULL && o->name != NULL; o++) {
		if (o->val < OPT_LONG_ONLY)
			printf("  -%c, ", o->val);
		else
			fputs("      ", stdout);
		if (opt_flag(o, flag, sizeof(flag)) > width)
			printf("%s\n%*s", flag, 6 + width + 3, "");
		else
			printf("%-*s   ", width, flag);
		printf("%s\n", o->help);
	}
}

void
print_help(const struct object *obj, const struct verb *verb)
{
	const struct verb *v;

	print_usage(stdout, obj, verb);
	if (verb != NULL) {
		if (verb->alias != NULL)
			printf("alias: %s\n", verb->alias);
		print_opts(verb->opts);
		if (verb->notes != NULL)
			print_text(stdout, verb->notes);
		return;
	}
	printf("%s\n\nverbs:\n", obj->summary);
	for (v = obj->verbs; v->name != NULL; v++) {
		printf("  %-9s ", v->name);
		print_text(stdout, v->usage);
		putchar('\n');
	}
	printf("\n'ipcctl %s VERB --help' describes one verb\n", obj->name);
}
