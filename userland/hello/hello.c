/* hello: the first user program. Prints its pid, argv and the time, writes a file (argv[1],
 * default C:\HELLO.TXT) holding a greeting and its arguments, reads it back and lists the
 * directory it is in. Exit code 0 when every step worked. */
#include "bb.h"

static int fail(const char *what, const char *path, int rc)
{
    dprintf(SYS_FD_CONSOLE_ERR, "hello: %s %s: %s\n", what, path, err_str(rc));
    return 1;
}

int main(int argc, char **argv)
{
    struct sys_time t;
    printf("hello from pid %d, argc %d\n", getpid(), argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = '%s'\n", i, argv[i]);
    if (time_now(&t) == 0)
        printf("time %04u-%02u-%02u %02u:%02u:%02u\n", t.year, t.month, t.day, t.hour,
               t.minute, t.second);

    const char *path = argc > 1 ? argv[1] : "C:\\HELLO.TXT";
    int fd = open(path, SYS_O_WRITE | SYS_O_CREATE | SYS_O_TRUNC);
    if (fd < 0)
        return fail("open", path, fd);
    int rc = dprintf(fd, "Hello from user mode!\n");
    for (int i = 2; rc >= 0 && i < argc; i++)
        rc = dprintf(fd, "%s\n", argv[i]);
    if (rc < 0)
        return fail("write", path, rc);
    if ((rc = close(fd)) < 0)
        return fail("close", path, rc);

    struct sys_stat st;
    if ((rc = stat(path, &st)) < 0)
        return fail("stat", path, rc);
    char buf[128];
    if ((fd = open(path, SYS_O_READ)) < 0)
        return fail("open", path, fd);
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        return fail("read", path, (int)n);
    int line = 0;
    while (line < n && buf[line] != '\n')
        line++;
    printf("wrote %s: %lu bytes, first line: %.*s\n", path, (unsigned long)st.size, line, buf);

    struct sys_dirent e;
    int entries = 0;
    if ((fd = opendir("C:\\")) < 0)
        return fail("opendir", "C:\\", fd);
    while ((rc = readdir(fd, &e)) == 1)
        entries++;
    close(fd);
    if (rc < 0)
        return fail("readdir", "C:\\", rc);
    printf("C:\\ has %d entries\n", entries);
    return 0;
}
