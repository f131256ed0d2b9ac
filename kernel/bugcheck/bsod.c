/* Blue-screen rendering. Everything goes to COM1; the VGA screen (80x25) gets the part that
 * fits: STOP line, name, address, a short backtrace and log tail. */
#include <stdarg.h>
#include "bugcheck/bsod.h"
#include "console/serial.h"
#include "console/vga.h"
#include "arch/gdt.h"
#include "lib/fmt.h"
#include "lib/ksym.h"
#include "lib/klog_ring.h"
#include "klog.h"

#define TO_SERIAL 1u
#define TO_VGA    2u
#define TO_BOTH   (TO_SERIAL | TO_VGA)
#define BT_MAX_SERIAL 16   /* backtrace frames on COM1 */
#define BT_MAX_VGA 6       /* ... and on the screen */
#define LOG_TAIL_SERIAL 8  /* klog records on COM1 */
#define LOG_TAIL_VGA 3     /* ... and on the screen */
#define VGA_LOG_WIDTH 78   /* log lines are cut to fit one screen row */

extern const char __ksyms_start[], __ksyms_end[];

static void out_sink(void *ctx, const char *s, size_t n)
{
    unsigned to = *(unsigned *)ctx;
    for (size_t i = 0; i < n; i++) {
        if (to & TO_SERIAL) {
            if (s[i] == '\n')
                serial_putc(SERIAL_COM1, '\r');
            serial_putc(SERIAL_COM1, s[i]);
        }
        if (to & TO_VGA)
            vga_putc(s[i]);
    }
}

static void __attribute__((format(printf, 2, 3))) out(unsigned to, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vformat(out_sink, &to, fmt, ap);
    va_end(ap);
}

void bsod_symbolize(uint64_t addr, int is_return_address, char *buf, uint64_t size)
{
    size_t len = (size_t)(__ksyms_end - __ksyms_start);
    const char *name;
    uint64_t off;
    uint64_t probe = is_return_address ? addr - 1 : addr;
    if (ksym_lookup(__ksyms_start, len, probe, &name, &off) == 0)
        fmt_snprintf(buf, size, "%s+0x%lx", name, (unsigned long)(off + (addr - probe)));
    else
        fmt_snprintf(buf, size, "0x%016lx", (unsigned long)addr);
}

static void show_registers(const struct bugcheck_context *c)
{
    out(TO_SERIAL, "rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", c->rax, c->rbx, c->rcx, c->rdx);
    out(TO_SERIAL, "rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx\n", c->rsi, c->rdi, c->rbp, c->rsp);
    out(TO_SERIAL, " r8=%016lx  r9=%016lx r10=%016lx r11=%016lx\n", c->r8, c->r9, c->r10, c->r11);
    out(TO_SERIAL, "r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n", c->r12, c->r13, c->r14, c->r15);
    out(TO_SERIAL, "rip=%016lx rflags=%08lx cs=%04x ss=%04x ds=%04x es=%04x fs=%04x gs=%04x\n",
        c->rip, c->rflags, c->cs, c->ss, c->ds, c->es, c->fs, c->gs);
    out(TO_SERIAL, "cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n", c->cr0, c->cr2, c->cr3, c->cr4);
    if (c->vector == BUGCHECK_NO_VECTOR)
        out(TO_SERIAL, "trap: none (bugcheck called)\n");
    else
        out(TO_SERIAL, "trap: vector %u, error code 0x%lx\n", c->vector, c->error_code);
}

static void show_backtrace(const struct bugcheck_context *c)
{
    char sym[96];
    out(TO_BOTH, "Stack (frame pointers):\n");
    bsod_symbolize(c->rip, 0, sym, sizeof sym);
    out(TO_BOTH, "  #0  %016lx %s\n", c->rip, sym);
    uint64_t rbp = c->rbp;
    for (int i = 1; i < BT_MAX_SERIAL; i++) {
        if (!gdt_addr_on_kernel_stack(rbp, 16))
            break;
        const uint64_t *frame = (const uint64_t *)rbp;
        uint64_t ret = frame[1], next = frame[0];
        if (ret == 0)
            break;
        bsod_symbolize(ret, 1, sym, sizeof sym);
        out(i < BT_MAX_VGA ? TO_BOTH : TO_SERIAL, "  #%-2d %016lx %s\n", i, ret, sym);
        if (next <= rbp)
            break;
        rbp = next;
    }
}

struct tail_ctx {
    uint64_t skip_vga;  /* records shown on COM1 only */
};

static void show_log_record(void *ctx, const struct klog_record *r)
{
    struct tail_ctx *t = ctx;
    unsigned to = TO_SERIAL;
    if (t->skip_vga)
        t->skip_vga--;
    else
        to = TO_BOTH;
    char line[160];
    int n = fmt_snprintf(line, sizeof line, "[%5lu.%06lu] %.*s", (unsigned long)(r->ts_ns / 1000000000u),
                         (unsigned long)(r->ts_ns / 1000u % 1000000u), (int)r->len, r->text);
    out(TO_SERIAL, "  %s\n", line);
    if (to & TO_VGA)
        out(TO_VGA, "  %.*s\n", n > VGA_LOG_WIDTH - 2 ? VGA_LOG_WIDTH - 2 : n, line);
}

void bsod_show(const struct bugcheck_data *d)
{
    const char *name = bugcode_name(d->code);
    const char *desc = bugcode_description(d->code);
    char sym[96];
    vga_clear(VGA_ATTR_BLUESCREEN);
    out(TO_SERIAL, "\n\n");
    out(TO_BOTH, "*** STOP: 0x%08X (0x%016lX,0x%016lX,0x%016lX,0x%016lX)\n", d->code,
        d->params[0], d->params[1], d->params[2], d->params[3]);
    out(TO_BOTH, "%s\n\n", name ? name : "UNKNOWN_BUGCHECK");
    if (desc)
        out(TO_BOTH, "%s\n", desc);
    out(TO_BOTH, "A problem has been detected and Blackbox has been shut down to prevent damage.\n\n");
    bsod_symbolize(d->ctx.rip, 0, sym, sizeof sym);
    out(TO_BOTH, "*** RIP: %016lx %s\n", d->ctx.rip, sym);
    if (d->ctx.vector == 14)
        out(TO_BOTH, "*** Faulting address (CR2): %016lx\n", d->ctx.cr2);
    show_registers(&d->ctx);
    show_backtrace(&d->ctx);
    out(TO_BOTH, "Last log records:\n");
    struct tail_ctx t = { LOG_TAIL_SERIAL - LOG_TAIL_VGA };
    klog_tail(LOG_TAIL_SERIAL, show_log_record, &t);
}

void bsod_status(const char *fmt, ...)
{
    unsigned to = TO_BOTH;
    va_list ap;
    va_start(ap, fmt);
    fmt_vformat(out_sink, &to, fmt, ap);
    va_end(ap);
    out(TO_BOTH, "\n");
}

void bsod_progress(unsigned pct, bool line)
{
    out(TO_VGA, "\rDumping physical memory to disk: %3u", pct);
    if (line)
        out(TO_SERIAL, "Dumping physical memory to disk: %3u\n", pct);
    if (pct == 100)
        out(TO_VGA, "\n");
}

void bsod_emergency(uint32_t vector_or_code, uint64_t rip, uint32_t first_code)
{
    out(TO_SERIAL, "\n*** Fault 0x%x at %016lx inside the bugcheck path (handling STOP 0x%08X): resetting\n",
        vector_or_code, rip, first_code);
}
