// SPDX-License-Identifier: GPL-2.0
/*
 * Write argv[1] to QEMU's isa-debug-exit port (iobase 0xf4): QEMU exits
 * with status (value << 1) | 1, so 0 becomes 1 and 1 becomes 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	int value = argc > 1 ? atoi(argv[1]) : 1;

	if (ioperm(0xf4, 4, 1)) {
		perror("ioperm");
		return 1;
	}
	outb(value, 0xf4);
	return 1;	/* not reached: QEMU has exited */
}
