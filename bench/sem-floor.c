/*
 * The floor for one "ipcctl sem release" or "ipcctl sem acquire": a
 * minimal program making only the same semaphore calls.
 * usage: sem-floor post|wait NAME
 */
#include <fcntl.h>
#include <semaphore.h>
#include <string.h>

int
main(int argc, char *argv[])
{
	sem_t *s;
	int r;

	if (argc != 3 || (s = sem_open(argv[2], 0)) == SEM_FAILED)
		return 66;
	r = strcmp(argv[1], "post") == 0 ? sem_post(s) : sem_wait(s);
	sem_close(s);
	return r == 0 ? 0 : 71;
}
