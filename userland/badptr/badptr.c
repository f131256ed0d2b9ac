/* badptr: passes invalid pointers and lengths to every system call and checks each is
 * refused with the expected ERR_* code (never a kernel fault). Prints one line per failed
 * check and a summary; the exit code is the number of failed checks. */
#include "bb.h"

#define KEY "HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl"

static int checks, failed;

static void expect(const char *what, long got, long want)
{
    checks++;
    if (got != want) {
        failed++;
        printf("badptr: FAIL %s: got %ld (%s), want %ld (%s)\n", what, got, err_str((int)got),
               want, err_str((int)want));
    }
}

int main(int argc, char **argv)
{
    static const uintptr_t bad[] = {
        0x0,                      /* NULL */
        0x1,                      /* inside the never-mapped first page */
        0x100000000000ull,        /* user half, nothing mapped there */
        0x7ffffffff000ull,        /* the last user page: never mapped */
        0x0000800000000000ull,    /* non-canonical */
        0xffff800000100000ull,    /* the kernel's direct map */
        0xffffffff80100000ull,    /* the kernel image */
    };
    char buf[64], name[64];
    const char *ro = (const char *)(uintptr_t)main;    /* mapped, user, read-only */
    char *top = argv[argc - 1] + strlen(argv[argc - 1]) + 1;  /* end of the stack */
    memset(top - 16, 'A', 16);                         /* no NUL before the unmapped page */
    char *unterminated = top - 16;
    static char longname[SYS_PATH_MAX + 16];
    memset(longname, 'a', sizeof longname - 1);
    static char longmsg[SYS_EVENT_MESSAGE_MAX + 16];
    memset(longmsg, 'm', sizeof longmsg - 1);

    int fd = open("C:\\BADPTR.TMP", SYS_O_READ | SYS_O_WRITE | SYS_O_CREATE | SYS_O_TRUNC);
    expect("open the scratch file", fd >= 3, 1);
    write(fd, "0123456789", 10);
    seek(fd, 0, SYS_SEEK_SET);
    int dfd = opendir("C:\\");
    expect("opendir C:\\", dfd >= 3, 1);

    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *p = (void *)bad[i];
        snprintf(name, sizeof name, "pointer %#lx", (unsigned long)bad[i]);
        char what[96];
#define CHECK(call, want) do { snprintf(what, sizeof what, "%s: %s", name, #call); \
                               expect(what, (long)(call), (want)); } while (0)
        CHECK(write(1, p, 8), ERR_ACCESS);
        CHECK(write(fd, p, 8), ERR_ACCESS);
        CHECK(read(fd, p, 8), ERR_ACCESS);
        CHECK(open(p, SYS_O_READ), ERR_ACCESS);
        CHECK(stat(p, (struct sys_stat *)buf), ERR_ACCESS);
        CHECK(stat("C:\\", p), ERR_ACCESS);
        CHECK(unlink(p), ERR_ACCESS);
        CHECK(rename(p, "C:\\X"), ERR_ACCESS);
        CHECK(rename("C:\\BADPTR.TMP", p), ERR_ACCESS);
        CHECK(mkdir(p), ERR_ACCESS);
        CHECK(rmdir(p), ERR_ACCESS);
        CHECK(opendir(p), ERR_ACCESS);
        CHECK(readdir(dfd, p), ERR_ACCESS);
        CHECK(time_now(p), ERR_ACCESS);
        CHECK(reg_get_dword(p, "AutoReboot", (uint32_t *)buf), ERR_ACCESS);
        CHECK(reg_get_dword(KEY, p, (uint32_t *)buf), ERR_ACCESS);
        CHECK(reg_get_dword(KEY, "AutoReboot", p), ERR_ACCESS);
        CHECK(reg_set_dword(p, "X", 1), ERR_ACCESS);
        CHECK(reg_get_sz(KEY, "DumpFile", p, sizeof buf), ERR_ACCESS);
        CHECK(reg_set_sz(KEY, "BadPtr", p), ERR_ACCESS);
        CHECK(reg_delete_value(p, "X"), ERR_ACCESS);
        CHECK(reg_create_volatile_key(p), ERR_ACCESS);
        CHECK(event_write(p, 1, 4, "badptr"), ERR_ACCESS);
        CHECK(event_write("badptr", 1, 4, p), ERR_ACCESS);
        CHECK(com2_write(p, 8), ERR_ACCESS);
        CHECK(com2_read(p, 8, 0), ERR_ACCESS);
#undef CHECK
    }

    /* Outputs into read-only memory, ranges running off the mapped area, strings without
     * an end, bad descriptors, flags and numbers. */
    expect("read into code", read(fd, (void *)ro, 4), ERR_ACCESS);
    expect("stat into code", stat("C:\\", (struct sys_stat *)ro), ERR_ACCESS);
    expect("time into code", time_now((struct sys_time *)ro), ERR_ACCESS);
    expect("readdir into code", readdir(dfd, (struct sys_dirent *)ro), ERR_ACCESS);
    expect("reg_get_dword into code", reg_get_dword(KEY, "AutoReboot", (uint32_t *)ro), ERR_ACCESS);
    expect("com2_read into code", com2_read((void *)ro, 4, 0), ERR_ACCESS);
    expect("com2_write past the stack", com2_write(buf, 1u << 20), ERR_ACCESS);
    expect("console write past the stack", write(1, buf, (size_t)-1), ERR_ACCESS);
    expect("file write past the stack", write(fd, buf, 1u << 20), ERR_ACCESS);
    expect("read past the stack", read(fd, buf, 1u << 20), ERR_ACCESS);
    expect("write wrapping around", bb_syscall(SYS_WRITE, 1, (long)buf, -(long)(uintptr_t)buf + 16, 0), ERR_ACCESS);
    expect("path running into unmapped memory", open(unterminated, SYS_O_READ), ERR_ACCESS);
    expect("path longer than SYS_PATH_MAX", open(longname, SYS_O_READ), ERR_TOO_BIG);
    expect("registry key longer than the limit", reg_create_volatile_key(longname), ERR_TOO_BIG);
    expect("event source running into unmapped memory",
           event_write(unterminated, 1, 4, "badptr"), ERR_ACCESS);
    expect("event message running into unmapped memory",
           event_write("badptr", 1, 4, unterminated), ERR_ACCESS);
    expect("event source longer than the limit", event_write(longname, 1, 4, "x"), ERR_TOO_BIG);
    expect("event message longer than the limit", event_write("badptr", 1, 4, longmsg),
           ERR_TOO_BIG);
    expect("event level 0", event_write("badptr", 1, 0, "x"), ERR_INVALID_ARGS);
    expect("event level 2^32 + 4", bb_syscall(SYS_EVENT_WRITE, (long)"badptr", 1, 0x100000004l,
                                              (long)"x"), ERR_INVALID_ARGS);
    expect("reg_get_sz with cap 0", reg_get_sz(KEY, "DumpFile", buf, 0), ERR_INVALID_ARGS);
    expect("read on fd 99", read(99, buf, 4), ERR_INVALID_ARGS);
    expect("write on fd -1", write(-1, buf, 4), ERR_INVALID_ARGS);
    expect("read on the console", read(1, buf, 4), ERR_INVALID_ARGS);
    expect("close the console", close(1), ERR_INVALID_ARGS);
    expect("readdir on a file", readdir(fd, (struct sys_dirent *)buf), ERR_INVALID_ARGS);
    expect("seek with a bad whence", seek(fd, 0, 7), ERR_INVALID_ARGS);
    expect("seek before the start", seek(fd, -1, SYS_SEEK_SET), ERR_RANGE);
    expect("seek by INT64_MIN from the end", seek(fd, INT64_MIN, SYS_SEEK_END), ERR_RANGE);
    expect("seek by INT64_MIN from here", seek(fd, INT64_MIN, SYS_SEEK_CUR), ERR_RANGE);
    expect("seek to INT64_MAX", seek(fd, INT64_MAX, SYS_SEEK_SET), ERR_RANGE);
    expect("seek past 4 GiB - 1", seek(fd, 0xFFFFFFFFll - 9, SYS_SEEK_END), ERR_RANGE);
    expect("seek back to the start from the end", seek(fd, -10, SYS_SEEK_END), 0);
    expect("open with unknown flags", open("C:\\BADPTR.TMP", 0x100), ERR_INVALID_ARGS);
    expect("open with no access", open("C:\\BADPTR.TMP", 0), ERR_INVALID_ARGS);
    expect("unknown system call", bb_syscall(999, 0, 0, 0, 0), ERR_NOT_SUPPORTED);

    /* The scratch file still reads back: nothing above disturbed it. */
    seek(fd, 0, SYS_SEEK_SET);
    expect("scratch file intact", read(fd, buf, sizeof buf), 10);
    expect("close the scratch file", close(fd), 0);
    expect("close the directory", close(dfd), 0);
    expect("delete the scratch file", unlink("C:\\BADPTR.TMP"), 0);
    printf("badptr: %d checks, %d failed\n", checks, failed);
    return failed;
}
