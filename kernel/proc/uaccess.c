/* User-memory checks and copies (uaccess.h): page-table walks through paging_lookup, so a bad
 * pointer is refused before the kernel touches it. */
#include <string.h>
#include "proc/uaccess.h"
#include "proc/process.h"
#include "mm/paging.h"
#include "err.h"

static bool page_ok(uint64_t va, bool write)
{
    const uint64_t *e = paging_lookup(va);
    if (!e)
        return false;
    uint64_t need = PTE_PRESENT | PTE_USER | (write ? PTE_WRITE : 0);
    return (*e & need) == need;
}

int uaccess_check(uint64_t va, size_t len, bool write)
{
    if (len == 0)
        return 0;
    if (va < PROC_USER_LO || va >= PROC_USER_HI || len > PROC_USER_HI - va)
        return ERR_ACCESS;
    for (uint64_t p = va & ~(PAGE_SIZE - 1); p < va + len; p += PAGE_SIZE)
        if (!page_ok(p, write))
            return ERR_ACCESS;
    return 0;
}

int uaccess_copy_out(uint64_t va, const void *src, size_t len)
{
    int rc = uaccess_check(va, len, true);
    if (rc == 0)
        memcpy((void *)va, src, len);
    return rc;
}

int uaccess_copy_str(char *dst, uint64_t va, size_t cap)
{
    for (size_t i = 0; i < cap; i++) {
        if ((i == 0 || ((va + i) & (PAGE_SIZE - 1)) == 0) && uaccess_check(va + i, 1, false))
            return ERR_ACCESS;
        dst[i] = *(const char *)(va + i);
        if (dst[i] == '\0')
            return (int)i;
    }
    return ERR_TOO_BIG;
}
