/* The guest of the QEMU system test: a multiboot image that runs in 32-bit protected mode without
 * paging, so its addresses are offsets into the lease's memfd. It talks to the test only through
 * a mailbox in its RAM (the layout is in mailbox.py):
 *   reads the nonce the test wrote before QEMU started, writes a value derived from it, then the
 *   marker, then counts a heartbeat until the test writes a command: 1 leaves through
 *   isa-debug-exit (QEMU exits with status 0x21 << 1 | 1 = 67), 2 halts with interrupts off. */
        .set MAILBOX,   0x00400000
        .set MB_MAGIC,  0x1badb002

        .section .text
        .code32
        .globl _start
        .align 4
multiboot_header:                       /* first in the image: multiboot wants it in the first 8K */
        .long MB_MAGIC, 0, -MB_MAGIC

_start:
        cli
        mov     $MAILBOX, %ebx
        mov     0(%ebx), %eax           /* nonce, low word */
        mov     4(%ebx), %edx           /* nonce, high word */
        bswap   %eax
        xor     $0x9e3779b9, %eax
        bswap   %edx
        xor     $0x7f4a7c15, %edx
        mov     %eax, 16(%ebx)          /* derived value */
        mov     %edx, 20(%ebx)
        movl    $0x53455547, 24(%ebx)   /* marker "GUESTRAN", after the value */
        movl    $0x4e415254, 28(%ebx)
        movl    $1, 36(%ebx)            /* state: waiting for a command */
wait:
        incl    32(%ebx)                /* heartbeat */
        mov     8(%ebx), %eax           /* command */
        cmp     $1, %eax
        je      leave
        cmp     $2, %eax
        je      halt
        pause
        jmp     wait
leave:
        mov     $0x21, %eax
        out     %eax, $0xf4             /* isa-debug-exit: QEMU exits here */
halt:
        movl    $2, 36(%ebx)            /* state: halted */
1:      hlt
        jmp     1b
