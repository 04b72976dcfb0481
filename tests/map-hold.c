/*
 * map-hold FILE: map FILE's first page shared, close the descriptor, say
 * "mapped" on stdout and wait to be killed -- a process that uses an
 * object by a mapping alone, for the procs tests.
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: map-hold FILE\n");
		return 64;
	}
	if ((fd = open(argv[1], O_RDONLY)) == -1 ||
	    mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED) {
		perror(argv[1]);
		return 1;
	}
	close(fd);
	printf("mapped\n");
	fflush(stdout);
	for (;;)
		pause();
}
