/* The freestanding subset of <string.h> the kernel provides (kernel/libc/string.c), so that
 * portable cores can include <string.h> in both the kernel and host builds. All functions are
 * reentrant and safe at bugcheck time. */
#ifndef BB_LIBC_STRING_H
#define BB_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
