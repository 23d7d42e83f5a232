/* The guest of bench/qemu-start: a multiboot image that
 *   1. writes 'S' to the serial port first thing (the bench times QEMU's start up to here),
 *   2. switches to long mode with all of the first 512 GiB identity-mapped by 1G pages,
 *   3. writes one byte into every 4K page of RAM the firmware's memory map lists (above itself),
 *   4. writes 'T' (the bench times the touching up to here) and leaves through isa-debug-exit. */
        .set MB_MAGIC,  0x1badb002
        .set COM1,      0x3f8
        .set DEBUG_EXIT, 0xf4
        .set MAX_ENTRIES, 64

        .text
        .code32
        .globl _start
        .align 4
        .long MB_MAGIC, 0, -MB_MAGIC    /* the multiboot header, first in the image */

_start:
        mov     $COM1, %dx
        mov     $'S', %al
        out     %al, %dx
        mov     %ebx, %esi              /* the multiboot information */

        /* Copy the memory map out of the way: step 3 writes over it. */
        mov     44(%esi), %ecx          /* mmap_length */
        mov     48(%esi), %ebx          /* mmap_addr */
        add     %ebx, %ecx
        mov     $ranges, %edi
        xor     %ebp, %ebp
copy:   cmp     %ecx, %ebx
        jae     paging
        cmpl    $1, 20(%ebx)            /* type 1: RAM */
        jne     next
        cmp     $MAX_ENTRIES, %ebp
        jae     next
        mov     4(%ebx), %eax           /* base, length (64-bit each) */
        mov     %eax, 0(%edi)
        mov     8(%ebx), %eax
        mov     %eax, 4(%edi)
        mov     12(%ebx), %eax
        mov     %eax, 8(%edi)
        mov     16(%ebx), %eax
        mov     %eax, 12(%edi)
        add     $16, %edi
        inc     %ebp
next:   add     (%ebx), %ebx
        add     $4, %ebx
        jmp     copy

paging: /* pdpt[i] = i GiB | present, writable, 1G page; pml4[0] = pdpt */
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $30, %eax
        or      $0x83, %eax
        mov     %eax, pdpt(,%ecx,8)
        mov     %ecx, %eax
        shr     $2, %eax
        mov     %eax, pdpt+4(,%ecx,8)
        inc     %ecx
        cmp     $512, %ecx
        jb      1b
        movl    $pdpt + 3, pml4
        mov     $pml4, %eax
        mov     %eax, %cr3
        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     $0xc0000080, %ecx       /* EFER.LME */
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000001, %eax       /* PG, PE */
        mov     %eax, %cr0
        lgdt    gdt_pointer
        ljmp    $8, $long_mode

        .code64
long_mode:
        mov     $16, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     $ranges, %rsi
        mov     $end_of_image + 4095, %r8
        and     $~4095, %r8             /* nothing below our own end */
range:  test    %ebp, %ebp
        jz      done
        mov     0(%rsi), %rdi           /* base */
        mov     8(%rsi), %rcx
        add     %rdi, %rcx              /* end */
        add     $4095, %rdi
        and     $~4095, %rdi
        cmp     %r8, %rdi
        cmovb   %r8, %rdi
touch:  cmp     %rcx, %rdi
        jae     2f
        movb    $1, (%rdi)
        add     $4096, %rdi
        jmp     touch
2:      add     $16, %rsi
        dec     %ebp
        jmp     range
done:   mov     $COM1, %dx
        mov     $'T', %al
        out     %al, %dx
        mov     $0x21, %eax
        out     %eax, $DEBUG_EXIT
3:      hlt
        jmp     3b

        .align 8
gdt:    .quad   0
        .quad   0x00af9a000000ffff      /* 64-bit code */
        .quad   0x00cf92000000ffff      /* data */
gdt_pointer:
        .word   gdt_pointer - gdt - 1
        .long   gdt

        .bss
        .align 4096
pml4:   .skip   4096
pdpt:   .skip   4096
ranges: .skip   16 * MAX_ENTRIES
end_of_image:
