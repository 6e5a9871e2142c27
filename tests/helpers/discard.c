/*
 * discard — the fastest possible core handler, for the capture benchmark:
 * enlarges its stdin pipe as gzcoredump does, reads everything, keeps nothing.
 */
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	static char buf[1 << 20];
	fcntl(STDIN_FILENO, F_SETPIPE_SZ, 1 << 20);
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0)
			return n < 0;
	}
}
