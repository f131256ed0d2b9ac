/* Tests of the CPU block (dump/dump_cpu.h): records filled from registers and sealed, read
 * back field by field, every kind of damage refused by dump_cpu_block_check, the CONTEXT of a
 * record, and the validator placing the block in complete, bitmap and small dumps (and
 * refusing NumberProcessors 0 or too big, and a small dump without its CPU stream). */
#include "dump_util.h"
#include "err.h"
#include "ut.h"

#define BLOCK_MAX (24 + 256 * 8)

static uint8_t blk[BLOCK_MAX];

static void test_encode_decode(void)
{
    struct bugcheck_context ctx;
    dump_test_ctx(&ctx);
    dump_test_cpus(blk, 3, 1, 3, &ctx);
    struct dump_cpu_block h;
    UT_EQ_INT(dump_cpu_block_check(blk, sizeof blk, 3, &h), 0);
    UT_EQ_U64(dump_cpu_block_bytes(3), 24 + 3 * 256);
    UT_ASSERT(memcmp(blk, "BCPU", 4) == 0);
    UT_EQ_U64(h.count, 3);
    UT_EQ_U64(h.crashed, 1);
    UT_EQ_U64(h.record_size, 256);
    struct dump_cpu_record r;
    dump_cpu_record_get(blk, 1, &r);
    UT_EQ_U64(r.index, 1);
    UT_EQ_U64(r.apic_id, 2);
    UT_EQ_U64(r.state, DUMP_CPU_CRASHED);
    UT_EQ_U64(r.running, DUMP_RUN_PROCESS);
    UT_EQ_U64(r.pid, 7);
    UT_EQ_STR(r.process, "werfault");
    UT_EQ_U64(r.rax, ctx.rax);
    UT_EQ_U64(r.r15, ctx.r15);
    UT_EQ_U64(r.rip, ctx.rip);
    UT_EQ_U64(r.rsp, ctx.rsp);
    UT_EQ_U64(r.rflags, ctx.rflags);
    UT_EQ_U64(r.cr0, ctx.cr0);
    UT_EQ_U64(r.cr2, ctx.cr2);
    UT_EQ_U64(r.cr3, ctx.cr3);
    UT_EQ_U64(r.cr4, ctx.cr4);
    UT_EQ_U64(r.vector, 14);
    UT_EQ_U64(r.error_code, 2);
    UT_EQ_U64(r.cs, 0x08);
    UT_EQ_U64(r.ss, 0x10);
    UT_EQ_U64(r.bugcheck_code, 0x50);
    dump_cpu_record_get(blk, 0, &r);
    UT_EQ_U64(r.state, DUMP_CPU_NMI_STOPPED);
    UT_EQ_U64(r.running, DUMP_RUN_IDLE);
    UT_EQ_U64(r.rip, 0xffffffff80100000ull);
    UT_EQ_U64(r.stack_lo, 0xffff8000001ff000ull);
    UT_EQ_U64(r.stack_hi, 0xffff800000201000ull);
    /* the CONTEXT of a record is what the header holds for the same registers */
    struct dump_context a, b;
    dump_cpu_record_get(blk, 1, &r);
    dump_context_from_cpu(&a, &r);
    dump_context_from_regs(&b, &ctx);
    UT_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    UT_EQ_STR(dump_cpu_state_name(DUMP_CPU_PARKED), "parked after its own bugcheck");
    UT_EQ_STR(dump_cpu_state_name(9), "unknown");
}

/* Re-seals the block after a test changed a record on purpose (the damage is then only what
 * the record says, not its CRC). */
static int check_after(uint32_t count, size_t at, uint8_t value)
{
    struct bugcheck_context ctx;
    dump_test_ctx(&ctx);
    dump_test_cpus(blk, count, 0, count, &ctx);
    blk[at] = value;
    struct dump_cpu_block h;
    memcpy(&h, blk, sizeof h);
    dump_cpu_block_seal(blk, count, h.crashed);
    return dump_cpu_block_check(blk, sizeof blk, count, NULL);
}

static void test_damage_refused(void)
{
    struct bugcheck_context ctx;
    dump_test_ctx(&ctx);
    dump_test_cpus(blk, 2, 0, 2, &ctx);
    UT_EQ_INT(dump_cpu_block_check(blk, sizeof blk, 2, NULL), 0);
    UT_EQ_INT(dump_cpu_block_check(NULL, sizeof blk, 2, NULL), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_cpu_block_check(blk, dump_cpu_block_bytes(2) - 1, 2, NULL), ERR_RANGE);
    UT_EQ_INT(dump_cpu_block_check(blk, sizeof blk, 0, NULL), ERR_RANGE);
    UT_EQ_INT(dump_cpu_block_check(blk, SIZE_MAX, DUMP_CPU_MAX + 1, NULL), ERR_RANGE);
    UT_EQ_INT(dump_cpu_block_check(blk, sizeof blk, 3, NULL), ERR_CORRUPT);   /* count */
    /* every byte of the records is under the CRC */
    for (size_t i = 24; i < dump_cpu_block_bytes(2); i += 7) {
        blk[i] ^= 0x40;
        UT_EQ_INT(dump_cpu_block_check(blk, sizeof blk, 2, NULL), ERR_CHECKSUM);
        blk[i] ^= 0x40;
    }
    blk[0] ^= 1;
    UT_EQ_INT(dump_cpu_block_check(blk, sizeof blk, 2, NULL), ERR_NOT_SUPPORTED);  /* magic */
    blk[0] ^= 1;
    blk[4] = 2;
    UT_EQ_INT(dump_cpu_block_check(blk, sizeof blk, 2, NULL), ERR_NOT_SUPPORTED);  /* version */
    blk[4] = 1;
    blk[16] = 2;
    UT_EQ_INT(dump_cpu_block_check(blk, sizeof blk, 2, NULL), ERR_CORRUPT);  /* crashed >= count */
    /* records that lie, with a CRC that matches */
    UT_EQ_INT(check_after(2, 24 + 256 + 0, 5), ERR_CORRUPT);         /* index 5 in place 1 */
    UT_EQ_INT(check_after(2, 24 + 256 + 8, 0), ERR_CORRUPT);         /* state 0 */
    UT_EQ_INT(check_after(2, 24 + 256 + 8, 6), ERR_CORRUPT);         /* unknown state */
    UT_EQ_INT(check_after(2, 24 + 256 + 8, DUMP_CPU_CRASHED), ERR_CORRUPT);  /* two crashed */
    UT_EQ_INT(check_after(2, 24 + 8, DUMP_CPU_PARKED), ERR_CORRUPT);  /* none crashed */
    UT_EQ_INT(check_after(2, 24 + 256 + 12, 3), ERR_CORRUPT);        /* unknown running */
    UT_EQ_INT(check_after(2, 24 + 256 + 8, DUMP_CPU_PARKED), 0);     /* a parked CPU is fine */
    /* sealing refuses what cannot be a block */
    UT_EQ_INT(dump_cpu_block_seal(blk, 0, 0), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_cpu_block_seal(blk, 2, 2), ERR_INVALID_ARGS);
    UT_EQ_INT(dump_cpu_block_seal(blk, DUMP_CPU_MAX + 1, 0), ERR_INVALID_ARGS);
}

static int every_other(uint64_t pg)
{
    return pg & 1;
}

/* The validator places the block where each dump type keeps it. */
static void test_placement(void)
{
    static const struct dump_run runs[] = { { 1, 0x9e }, { 0x100, 0x40 } };
    struct dump_layout l;
    size_t size;
    uint8_t *f = dump_test_full_cpus(runs, 2, 0, 0, &size, 5, 4, 5);
    UT_ASSERT(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_EQ_U64(l.cpu_count, 5);
    UT_EQ_U64(l.cpu_offset, DUMP_HEADER_SIZE + (0x9e + 0x40) * 4096ull);
    UT_EQ_U64(l.data_end, l.cpu_offset + dump_cpu_block_bytes(5));
    UT_EQ_INT(dump_cpu_block_check(f + l.cpu_offset, size - l.cpu_offset, 5, NULL), 0);
    /* NumberProcessors 0, above DUMP_CPU_MAX, or not the block's: refused */
    struct dump_header *h = (struct dump_header *)f;
    h->number_processors = 0;
    dump_test_reseal(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_CPUS);
    h->number_processors = DUMP_CPU_MAX + 1;
    dump_test_reseal(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_CPUS);
    h->number_processors = 4;
    dump_test_reseal(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_DATA_SIZE);
    free(f);

    f = dump_test_bitmap(runs, 2, every_other, &size);
    UT_ASSERT(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_EQ_U64(l.cpu_offset, l.pages_offset + l.present_pages * 4096);
    UT_EQ_INT(dump_cpu_block_check(f + l.cpu_offset, size - l.cpu_offset, 1, NULL), 0);
    free(f);

    f = dump_test_small(&size);
    UT_ASSERT(f);
    UT_EQ_INT(dump_validate(f, size, size, &l), 0);
    UT_EQ_INT(dump_cpu_block_check(f + l.cpu_offset, size - l.cpu_offset, 1, NULL), 0);
    /* the CPU stream renamed: a small dump without its CPU block */
    struct dump_mini_stream s;
    for (uint32_t i = 0; i < l.stream_count; i++) {
        UT_EQ_INT(dump_mini_stream_get(f + DUMP_HEADER_SIZE, l.prefix - DUMP_HEADER_SIZE, i, &s), 0);
        if (s.type == DUMP_STREAM_CPUS) {
            uint32_t t = DUMP_STREAM_MODULES;
            memcpy(f + DUMP_HEADER_SIZE + 16 + 40 * i, &t, 4);
        }
    }
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_CPUS);
    /* and every stream a CPU stream: more than one, and of the wrong size */
    for (uint32_t i = 0; i < 5; i++) {
        uint32_t t = DUMP_STREAM_CPUS;
        memcpy(f + DUMP_HEADER_SIZE + 16 + 40 * i, &t, 4);
    }
    UT_EQ_INT(dump_validate(f, size, size, &l), ERR_CORRUPT);
    UT_EQ_INT(l.problem, DUMP_P_CPUS);
    free(f);
}

static const struct ut_case cases[] = {
    { "encode_decode", test_encode_decode },
    { "damage_refused", test_damage_refused },
    { "placement", test_placement },
};

UT_MAIN(cases)
