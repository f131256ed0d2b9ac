/* The CPU block: records filled from captured registers and sealed with their CRC at
 * bugcheck time, checked and read back by userland and the tools. See dump_cpu.h. */
#include <string.h>
#include "dump/dump_cpu.h"
#include "lib/crc32c.h"
#include "err.h"

void dump_cpu_from_regs(struct dump_cpu_record *r, const struct bugcheck_context *c)
{
    r->rax = c->rax; r->rbx = c->rbx; r->rcx = c->rcx; r->rdx = c->rdx;
    r->rsi = c->rsi; r->rdi = c->rdi; r->rbp = c->rbp; r->rsp = c->rsp;
    r->r8 = c->r8; r->r9 = c->r9; r->r10 = c->r10; r->r11 = c->r11;
    r->r12 = c->r12; r->r13 = c->r13; r->r14 = c->r14; r->r15 = c->r15;
    r->rip = c->rip;
    r->rflags = c->rflags;
    r->cr0 = c->cr0; r->cr2 = c->cr2; r->cr3 = c->cr3; r->cr4 = c->cr4;
    r->error_code = c->error_code;
    r->vector = c->vector;
    r->cs = c->cs; r->ss = c->ss; r->ds = c->ds; r->es = c->es; r->fs = c->fs; r->gs = c->gs;
}

int dump_cpu_block_seal(void *block, uint32_t count, uint32_t crashed)
{
    if (!block || count == 0 || count > DUMP_CPU_MAX || crashed >= count)
        return ERR_INVALID_ARGS;
    uint8_t *b = (uint8_t *)block;
    struct dump_cpu_block h = {
        .magic = DUMP_CPU_MAGIC, .version = DUMP_CPU_VERSION,
        .record_size = sizeof(struct dump_cpu_record), .count = count, .crashed = crashed,
        .crc = crc32c(0, b + sizeof h, (size_t)(dump_cpu_block_bytes(count) - sizeof h)),
    };
    memcpy(b, &h, sizeof h);
    return 0;
}

void dump_cpu_record_get(const void *block, uint32_t i, struct dump_cpu_record *out)
{
    memcpy(out, (const uint8_t *)block + sizeof(struct dump_cpu_block) +
                (size_t)i * sizeof(*out), sizeof(*out));
}

int dump_cpu_header_check(const struct dump_cpu_block *h, uint32_t count)
{
    if (count == 0 || count > DUMP_CPU_MAX)
        return ERR_RANGE;
    if (h->magic != DUMP_CPU_MAGIC || h->version != DUMP_CPU_VERSION ||
        h->record_size != sizeof(struct dump_cpu_record))
        return ERR_NOT_SUPPORTED;
    return h->count != count || h->crashed >= count ? ERR_CORRUPT : 0;
}

int dump_cpu_record_check(const struct dump_cpu_record *r, uint32_t i, uint32_t crashed)
{
    if (r->index != i || r->state == 0 || r->state > DUMP_CPU_STATE_MAX ||
        r->running > DUMP_RUN_MAX || (r->state == DUMP_CPU_CRASHED) != (i == crashed))
        return ERR_CORRUPT;
    return 0;
}

int dump_cpu_block_check(const void *block, size_t len, uint32_t count,
                         struct dump_cpu_block *out)
{
    struct dump_cpu_block h;
    int rc;

    if (!block)
        return ERR_INVALID_ARGS;
    if (count == 0 || count > DUMP_CPU_MAX || len < dump_cpu_block_bytes(count))
        return ERR_RANGE;
    memcpy(&h, block, sizeof h);
    if ((rc = dump_cpu_header_check(&h, count)) != 0)
        return rc;
    const uint8_t *recs = (const uint8_t *)block + sizeof h;
    if (crc32c(0, recs, (size_t)(dump_cpu_block_bytes(count) - sizeof h)) != h.crc)
        return ERR_CHECKSUM;
    for (uint32_t i = 0; i < count; i++) {
        struct dump_cpu_record r;
        dump_cpu_record_get(block, i, &r);
        if ((rc = dump_cpu_record_check(&r, i, h.crashed)) != 0)
            return rc;
    }
    if (out)
        *out = h;
    return 0;
}

void dump_context_from_cpu(struct dump_context *out, const struct dump_cpu_record *r)
{
    const struct bugcheck_context c = {
        .rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
        .rsi = r->rsi, .rdi = r->rdi, .rbp = r->rbp, .rsp = r->rsp,
        .r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11,
        .r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
        .rip = r->rip, .rflags = r->rflags,
        .cr0 = r->cr0, .cr2 = r->cr2, .cr3 = r->cr3, .cr4 = r->cr4,
        .error_code = r->error_code, .vector = r->vector,
        .cs = r->cs, .ss = r->ss, .ds = r->ds, .es = r->es, .fs = r->fs, .gs = r->gs,
    };
    dump_context_from_regs(out, &c);
}

const char *dump_cpu_state_name(uint32_t state)
{
    switch (state) {
    case DUMP_CPU_CRASHED: return "crashed";
    case DUMP_CPU_NMI_STOPPED: return "stopped by NMI";
    case DUMP_CPU_PARKED: return "parked after its own bugcheck";
    case DUMP_CPU_OFFLINE: return "offline";
    case DUMP_CPU_NO_ANSWER: return "did not answer";
    default: return "unknown";
    }
}
