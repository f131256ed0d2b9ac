/* `run [-t SECONDS] PROGRAM [ARGS]`: start a user program and wait for it (at most SECONDS,
 * default RUN_TIME_LIMIT_S: then it is killed). PROGRAM is the name of a program
 * embedded in the kernel (`run` alone lists them) or the path of an ELF file on a volume
 * ("C:\BIN\TOOL.ELF"); ARGS become its argv[1..]. Prints how it ended. */
#include <stdint.h>
#include <string.h>
#include "shell/shell.h"
#include "shell/shell_fs.h"
#include "console/console.h"
#include "proc/process.h"
#include "proc/programs.h"
#include "mm/heap.h"
#include "err.h"

#define RUN_FILE_MAX (16u << 20)   /* largest program file loaded from a volume */
#define RUN_TIME_LIMIT_S 600u      /* a program still running after this is killed */

/* Read a whole program file into a kmalloc'd buffer. */
static int load_file(const char *path, void **buf, size_t *len)
{
    struct volume *v;
    const char *inner;
    struct fat_file f;
    int rc = shell_fs_resolve("run", path, &v, &inner);
    if (rc)
        return 0;
    if ((rc = fat_open(v->fat, inner, &f)) != 0)
        return shell_fs_fail("run", path, rc);
    uint32_t size = fat_file_size(&f);
    if (size > RUN_FILE_MAX)
        return shell_fs_fail("run", path, ERR_TOO_BIG);
    *buf = kmalloc(size ? size : 1);
    if (!*buf)
        return shell_fs_fail("run", path, ERR_NO_MEMORY);
    size_t done = 0;
    rc = fat_read(&f, 0, *buf, size, &done);
    if (rc == 0 && done != size)
        rc = ERR_IO;
    if (rc) {
        kfree(*buf);
        *buf = NULL;
        return shell_fs_fail("run", path, rc);
    }
    *len = size;
    return 0;
}

int shell_cmd_run(int argc, char **argv)
{
    if (argc < 2) {
        kprintf("programs:");
        for (const struct proc_program *p = proc_program_table; p->name; p++)
            kprintf(" %s", p->name);
        kprintf("\n");
        return 0;
    }
    uint32_t limit = RUN_TIME_LIMIT_S;
    if (!strcmp(argv[1], "-t")) {
        uint64_t v;
        if (argc < 4 || num_parse(argv[2], 86400, &v) != 0 || v == 0) {
            kprintf("run: -t needs a time limit in seconds, 1..86400, and a program\n");
            return 0;
        }
        limit = (uint32_t)v;
        argc -= 2;
        argv += 2;
    }
    const char *name = argv[1];
    const struct proc_program *prog = proc_program_find(name);
    void *file = NULL;
    const void *image;
    size_t len = 0;
    if (prog) {
        image = prog->start;
        len = (size_t)(prog->end - prog->start);
    } else {
        load_file(name, &file, &len);
        if (!file)
            return 0;
        image = file;
    }
    struct proc_status st;
    int rc = process_run(shell_fs_basename(name), image, len, argc - 1, argv + 1, limit, &st);
    kfree(file);
    if (rc) {
        kprintf("run: %s: cannot start: %s\n", name, err_str(rc));
        return 0;
    }
    if (st.killed)
        kprintf("run: %s (pid %d) killed by %s at rip %p (details in the log)\n", name, st.pid,
                process_vector_name(st.vector), (void *)st.rip);
    else
        kprintf("run: %s (pid %d) exited with code %d\n", name, st.pid, st.exit_code);
    return 0;
}
