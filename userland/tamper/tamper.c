/* tamper: tries every change a program can make to a file, to show which the kernel refuses
 * (the armed dump target refuses them all: README, "The armed target is the kernel's").
 * usage: tamper PATH NEWPATH. In order: open PATH for writing, for writing with truncation,
 * for appending; rename it to NEWPATH; delete it. One line each, "ok" or the kernel's error;
 * an attempt that succeeds really changes the file. Exit code: how many succeeded. */
#include "bb.h"

static int try(const char *what, const char *path, int rc)
{
    printf("tamper: %s %s: %s\n", what, path, rc < 0 ? err_str(rc) : "ok");
    return rc >= 0;
}

static int try_open(const char *what, const char *path, unsigned flags)
{
    int fd = open(path, flags);
    if (fd >= 0)
        close(fd);
    return try(what, path, fd);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        dprintf(SYS_FD_CONSOLE_ERR, "usage: tamper PATH NEWPATH\n");
        return 255;
    }
    const char *path = argv[1];
    int done = try_open("open for writing", path, SYS_O_READ | SYS_O_WRITE);
    done += try_open("open truncating", path, SYS_O_WRITE | SYS_O_TRUNC);
    done += try_open("open appending", path, SYS_O_WRITE | SYS_O_APPEND);
    done += try("rename", path, rename(path, argv[2]));
    done += try("delete", path, unlink(path));
    return done;
}
