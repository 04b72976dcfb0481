/*
 * libbsd, loaded at the first call that needs it: -m's modes (setmode,
 * getmode), text made safe to print (vis) and fresh names
 * (arc4random_uniform). The calls made most -- sem acquire, release and
 * run, mq send and receive, shm read and write -- need none of them, and
 * mapping libbsd and libmd at every start cost a sem call a sixth of its
 * time (bench/README.md). A library that cannot be loaded is exit 69,
 * naming it, as for libsmartcols (lib_open). Built with
 * --enable-static-libbsd, or -static, the archive's are called directly.
 */
#include <stdlib.h>
#include <unistd.h>
#include <vis.h>

#include "core.h"

#define BSD_FUNCS \
	F(arc4random_uniform) \
	F(getmode) \
	F(setmode) \
	F(vis)

static struct {
#define F(f)	__typeof__(f) *f;
	BSD_FUNCS
#undef F
} bsd;

static void
bsd_load(void)
{
#ifdef BSD_LINKED
#define F(f)	bsd.f = f;
	BSD_FUNCS
#undef F
#else
	void *h;

	if (bsd.vis != NULL)
		return;
	h = lib_open(BSD_SONAME);
#define F(f)	*(void **)&bsd.f = lib_sym(h, #f);
	BSD_FUNCS
#undef F
#endif
}

uint32_t
bsd_arc4random_uniform(uint32_t bound)
{
	bsd_load();
	return bsd.arc4random_uniform(bound);
}

mode_t
bsd_getmode(const void *set, mode_t mode)
{
	bsd_load();
	return bsd.getmode(set, mode);
}

void *
bsd_setmode(const char *s)
{
	bsd_load();
	return bsd.setmode(s);
}

char *
bsd_vis(char *dst, int c, int flags, int next)
{
	bsd_load();
	return bsd.vis(dst, c, flags, next);
}
