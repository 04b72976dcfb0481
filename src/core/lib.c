/*
 * Libraries loaded when first needed, not at start (libsmartcols for
 * tables, libbsd for modes and safe text): each one linked costs every
 * call its mapping and relocation, and most calls need neither. One that
 * cannot be loaded, or lacks a function, ends the program where it is
 * needed: exit 69, with dlerror()'s words, which name it.
 */
#include <dlfcn.h>
#include <err.h>

#include "core.h"

void *
lib_open(const char *soname)
{
	void *h;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL)
		errx(EX_UNAVAILABLE, "%s", dlerror());
	return h;
}

void *
lib_sym(void *h, const char *name)
{
	void *f;

	if ((f = dlsym(h, name)) == NULL)
		errx(EX_UNAVAILABLE, "%s", dlerror());
	return f;
}
