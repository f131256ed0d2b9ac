/* Checked access to user memory from system calls. A user range is acceptable when it lies
 * inside [PROC_USER_LO, PROC_USER_HI) without wrapping and every page of it is mapped present
 * and user-accessible in the current address space (and writable, for output). Processes run
 * to completion on one CPU, so a range checked stays valid for the rest of the call. */
#ifndef BB_PROC_UACCESS_H
#define BB_PROC_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 if [va, va + len) may be read (or written, when write) by the kernel for the program;
 * else ERR_ACCESS. len 0 is always fine. */
int uaccess_check(uint64_t va, size_t len, bool write);
/* Copy len bytes out to user address va after uaccess_check: 0 or ERR_ACCESS. */
int uaccess_copy_out(uint64_t va, const void *src, size_t len);
/* Copy the NUL-terminated user string at va into dst (cap bytes with the NUL): its length,
 * ERR_ACCESS (a byte before the NUL is not readable), ERR_TOO_BIG (no NUL within cap). */
int uaccess_copy_str(char *dst, uint64_t va, size_t cap);

#endif
