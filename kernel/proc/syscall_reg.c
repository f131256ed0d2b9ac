/* The registry system calls (SYS_REG_*): key and value names copied in from the program,
 * then handed to the registry service (config/registry.h). */
#include <string.h>
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "config/registry.h"
#include "mm/heap.h"
#include "err.h"

#define REG_SZ_MAX 4096u   /* largest string SYS_REG_GET_SZ returns */

/* The registry calls: key and name strings first, then the call's own arguments. */
int64_t sys_registry(uint64_t nr, const struct syscall_args *a)
{
    char key[SYS_PATH_MAX], name[SYS_PATH_MAX];
    int rc = uaccess_copy_str(key, a->rdi, sizeof key);
    if (rc < 0)
        return rc;
    if (nr == SYS_REG_VOLATILE)
        return reg_create_volatile_key(key);
    if (nr == SYS_REG_DELETE_KEY)
        return reg_delete_key(key);
    if ((rc = uaccess_copy_str(name, a->rsi, sizeof name)) < 0)
        return rc;
    switch (nr) {
    case SYS_REG_GET_DWORD: {
        uint32_t val;
        if ((rc = uaccess_check(a->rdx, sizeof val, true)) != 0 ||
            (rc = reg_get_dword(key, name, &val)) != 0)
            return rc;
        return uaccess_copy_out(a->rdx, &val, sizeof val);
    }
    case SYS_REG_SET_DWORD:
        return reg_set_dword(key, name, (uint32_t)a->rdx);
    case SYS_REG_GET_SZ: {
        uint64_t cap = a->r10 > REG_SZ_MAX ? REG_SZ_MAX : a->r10;
        if (cap == 0)
            return ERR_INVALID_ARGS;
        if ((rc = uaccess_check(a->rdx, cap, true)) != 0)
            return rc;
        char *buf = kmalloc(cap);
        if (!buf)
            return ERR_NO_MEMORY;
        rc = reg_get_string(key, name, buf, cap);
        if (rc == 0)
            rc = uaccess_copy_out(a->rdx, buf, strlen(buf) + 1);
        kfree(buf);
        return rc;
    }
    case SYS_REG_SET_SZ: {
        char *val = kmalloc(REG_SZ_MAX);
        if (!val)
            return ERR_NO_MEMORY;
        rc = uaccess_copy_str(val, a->rdx, REG_SZ_MAX);
        if (rc >= 0)
            rc = reg_set_string(key, name, REG_SZ, val);
        kfree(val);
        return rc;
    }
    default:
        return reg_delete_value(key, name);
    }
}
