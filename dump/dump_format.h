/* The on-disk crash dump format: the Windows 64-bit header (DUMP_HEADER64, "PAGEDU64",
 * 0x2000 bytes) with Blackbox's own fields in its reserved area, the x64 CONTEXT, the bitmap
 * dump's second header, and the functions that build a header. Portable core: one definition
 * shared by the kernel (compiled freestanding, usable at bugcheck time), userland and tools.
 * Minidump streams: dump/dump_mini.h. Validation and reading: dump/dump_validate.h. */
#ifndef BB_DUMP_FORMAT_H
#define BB_DUMP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bugcheck/bugcheck.h"
#include "lib/reg/crash_control.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "dump fields are little-endian");

/*
 * File layout by DumpType (every offset is a file offset, every integer little-endian):
 *
 *   DUMP_TYPE_FULL (1)    0x0000 header | 0x2000 the pages of run 0, run 1, ... (4 KiB each)
 *                         | the CPU block (dump/dump_cpu.h)
 *   DUMP_TYPE_BITMAP (5)  0x0000 header | 0x2000 struct dump_bitmap_header | 0x2038 bitmap,
 *                         one bit per physical page | FirstPage: the present pages in order
 *                         ("SDMP": a kernel dump's pages; "FDMP": every RAM page, the layout
 *                         of a complete dump whose RAM has more runs than Run[] holds)
 *                         | the CPU block
 *   DUMP_TYPE_SMALL (4)   0x0000 header | 0x2000 Blackbox minidump directory and streams
 *                         (dump/dump_mini.h), at most DUMP_SMALL_MAX bytes in all; the CPU
 *                         block is its DUMP_STREAM_CPUS stream
 *
 * The "data" of a dump is [DUMP_HEADER_SIZE, DUMP_HEADER_SIZE + bb.data_size): it is split in
 * chunks of bb.chunk_size bytes (the last one may be shorter), each with a CRC32C. The CRC
 * table lives inline in the header (bb.crc_inline) when it has at most DUMP_CRC_INLINE_MAX
 * entries, else in the file at bb.crc_table_offset (after the data), protected by
 * bb.crc_table_crc. RequiredDumpSpace is the whole dump: header, data and table.
 */

#define DUMP_HEADER_SIZE      0x2000u
#define DUMP_PAGE_SIZE        4096u
#define DUMP_SIGNATURE        0x45474150u  /* "PAGE" */
#define DUMP_VALID_DUMP64     0x34365544u  /* "DU64" */
#define DUMP_VALID_DUMP32     0x504d5544u  /* "DUMP": a 32-bit header, not supported */
#define DUMP_MAJOR_FREE       0xFu         /* MajorVersion of a free (retail) build */
#define DUMP_MINOR_BUILD      7601u        /* MinorVersion: the build number we claim */
#define DUMP_MACHINE_AMD64    0x8664u      /* MachineImageType */
#define DUMP_PRODUCT_WINNT    1u           /* ProductType VER_NT_WORKSTATION */

/* DumpType values (as kdmp-parser reads them). Blackbox writes FULL, BITMAP and SMALL. */
#define DUMP_TYPE_FULL        1u   /* complete: all RAM runs after the header */
#define DUMP_TYPE_KERNEL      2u   /* old kernel (summary) dump: not written */
#define DUMP_TYPE_HEADER      3u   /* header only: not written */
#define DUMP_TYPE_SMALL       4u   /* minidump / triage: Blackbox's own stream layout */
#define DUMP_TYPE_BITMAP      5u   /* bitmap dump: kernel (SDMP) or full (FDMP) content */
#define DUMP_TYPE_LIVE_BITMAP 6u   /* live kernel bitmap dump: not written */

/* Largest number of runs the 704-byte PhysicalMemoryBlock holds: (704 - 16) / 16. A machine
 * whose RAM has more runs gets NumberOfRuns = the real count, NumberOfPages = all its RAM and
 * Run[] = its first DUMP_MAX_RUNS runs; its complete dump is a bitmap dump with full content
 * ("FDMP", see dump_complete_type), as a full dump's pages could not be placed. */
#define DUMP_MAX_RUNS         43u
/* Largest physical page number + 1 Blackbox accepts (a 52-bit physical address space). */
#define DUMP_MAX_PFN          (1ull << 40)
/* A small dump is never bigger than this (header, directory and streams). */
#define DUMP_SMALL_MAX        (256u * 1024u)

/* ---- Windows structures (the public descriptions: kdmp-parser, QEMU, rizin) ---- */

struct dump_run {
    uint64_t base_page;      /* BasePage: first physical page number of the run */
    uint64_t page_count;     /* PageCount: pages in the run */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_run) == 16, "PHYSICAL_MEMORY_RUN64 is 16 bytes");

/* PHYSICAL_MEMORY_DESCRIPTOR64, in a 704-byte buffer at 0x088. */
struct dump_phys_desc {
    uint32_t number_of_runs;                 /* NumberOfRuns: never "PAGE" (kdmp-parser);
                                                may exceed DUMP_MAX_RUNS (not in a FULL dump) */
    uint32_t pad;                            /* alignment, zero */
    uint64_t number_of_pages;                /* NumberOfPages: sum of all runs' PageCount */
    struct dump_run run[DUMP_MAX_RUNS];      /* Run[]: ascending, not overlapping; the first
                                                min(NumberOfRuns, DUMP_MAX_RUNS) runs */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_phys_desc) == 704, "PhysicalMemoryBlock is 704 bytes");

struct dump_m128a {
    uint64_t low;            /* Low: bits 0..63 */
    uint64_t high;           /* High: bits 64..127 */
} __attribute__((packed));

/* XMM_SAVE_AREA32: the FXSAVE image, 512 bytes. */
struct dump_xmm_save_area {
    uint16_t control_word;           /* ControlWord: x87 FCW */
    uint16_t status_word;            /* StatusWord: x87 FSW */
    uint8_t tag_word;                /* TagWord: abridged x87 tag */
    uint8_t reserved1;               /* Reserved1 */
    uint16_t error_opcode;           /* ErrorOpcode: FOP */
    uint32_t error_offset;           /* ErrorOffset: FPU IP */
    uint16_t error_selector;         /* ErrorSelector: FPU CS */
    uint16_t reserved2;              /* Reserved2 */
    uint32_t data_offset;            /* DataOffset: FPU DP */
    uint16_t data_selector;          /* DataSelector: FPU DS */
    uint16_t reserved3;              /* Reserved3 */
    uint32_t mx_csr;                 /* MxCsr: must equal CONTEXT.MxCsr (kdmp-parser) */
    uint32_t mx_csr_mask;            /* MxCsr_Mask */
    struct dump_m128a float_registers[8];   /* FloatRegisters: ST0..ST7 */
    struct dump_m128a xmm_registers[16];    /* XmmRegisters: XMM0..XMM15 */
    uint8_t reserved4[96];           /* Reserved4 */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_xmm_save_area) == 512, "XMM_SAVE_AREA32 is 512 bytes");
_Static_assert(offsetof(struct dump_xmm_save_area, mx_csr) == 0x18, "FltSave.MxCsr");

#define DUMP_CONTEXT_AMD64           0x00100000u  /* ContextFlags: CONTEXT_AMD64 */
#define DUMP_CONTEXT_CONTROL         0x00000001u  /* SegSs, Rsp, SegCs, Rip, EFlags valid */
#define DUMP_CONTEXT_INTEGER         0x00000002u  /* Rax..R15 valid */
#define DUMP_CONTEXT_SEGMENTS        0x00000004u  /* SegDs, SegEs, SegFs, SegGs valid */
#define DUMP_CONTEXT_FLOATING_POINT  0x00000008u  /* MxCsr, FltSave valid */
#define DUMP_MXCSR_DEFAULT           0x1F80u      /* MXCSR reset value: all exceptions masked */

/* The x64 CONTEXT as Windows lays it out, 0x4D0 bytes, in a 3000-byte buffer at 0x348. */
struct dump_context {
    uint64_t p1_home, p2_home, p3_home;      /* P1Home..P3Home: register parameter homes */
    uint64_t p4_home, p5_home, p6_home;      /* P4Home..P6Home */
    uint32_t context_flags;                  /* ContextFlags: DUMP_CONTEXT_* */
    uint32_t mx_csr;                         /* MxCsr: equal to flt_save.mx_csr */
    uint16_t seg_cs, seg_ds, seg_es;         /* SegCs, SegDs, SegEs */
    uint16_t seg_fs, seg_gs, seg_ss;         /* SegFs, SegGs, SegSs */
    uint32_t eflags;                         /* EFlags */
    uint64_t dr0, dr1, dr2, dr3, dr6, dr7;   /* Dr0..Dr3, Dr6, Dr7: zero (not captured) */
    uint64_t rax, rcx, rdx, rbx;             /* Rax, Rcx, Rdx, Rbx */
    uint64_t rsp, rbp, rsi, rdi;             /* Rsp, Rbp, Rsi, Rdi */
    uint64_t r8, r9, r10, r11;               /* R8..R11 */
    uint64_t r12, r13, r14, r15;             /* R12..R15 */
    uint64_t rip;                            /* Rip */
    struct dump_xmm_save_area flt_save;      /* FltSave: the FXSAVE area */
    struct dump_m128a vector_register[26];   /* VectorRegister */
    uint64_t vector_control;                 /* VectorControl */
    uint64_t debug_control;                  /* DebugControl */
    uint64_t last_branch_to_rip;             /* LastBranchToRip */
    uint64_t last_branch_from_rip;           /* LastBranchFromRip */
    uint64_t last_exception_to_rip;          /* LastExceptionToRip */
    uint64_t last_exception_from_rip;        /* LastExceptionFromRip */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_context) == 0x4D0, "CONTEXT is 0x4D0 bytes");
_Static_assert(offsetof(struct dump_context, context_flags) == 0x30, "ContextFlags");
_Static_assert(offsetof(struct dump_context, mx_csr) == 0x34, "MxCsr");
_Static_assert(offsetof(struct dump_context, seg_cs) == 0x38, "SegCs");
_Static_assert(offsetof(struct dump_context, seg_ss) == 0x42, "SegSs");
_Static_assert(offsetof(struct dump_context, eflags) == 0x44, "EFlags");
_Static_assert(offsetof(struct dump_context, dr0) == 0x48, "Dr0");
_Static_assert(offsetof(struct dump_context, dr7) == 0x70, "Dr7");
_Static_assert(offsetof(struct dump_context, rax) == 0x78, "Rax");
_Static_assert(offsetof(struct dump_context, rsp) == 0x98, "Rsp");
_Static_assert(offsetof(struct dump_context, rbp) == 0xA0, "Rbp");
_Static_assert(offsetof(struct dump_context, r8) == 0xB8, "R8");
_Static_assert(offsetof(struct dump_context, r15) == 0xF0, "R15");
_Static_assert(offsetof(struct dump_context, rip) == 0xF8, "Rip");
_Static_assert(offsetof(struct dump_context, flt_save) == 0x100, "FltSave");
_Static_assert(offsetof(struct dump_context, vector_register) == 0x300, "VectorRegister");
_Static_assert(offsetof(struct dump_context, vector_control) == 0x4A0, "VectorControl");
_Static_assert(offsetof(struct dump_context, debug_control) == 0x4A8, "DebugControl");

/* NTSTATUS exception codes Blackbox puts in the exception record. */
#define DUMP_STATUS_ACCESS_VIOLATION     0xC0000005u  /* #PF, #GP */
#define DUMP_STATUS_INTEGER_DIVIDE_BY_ZERO 0xC0000094u  /* #DE */
#define DUMP_STATUS_ILLEGAL_INSTRUCTION  0xC000001Du  /* #UD */
#define DUMP_STATUS_BREAKPOINT           0x80000003u  /* #BP */
#define DUMP_STATUS_SINGLE_STEP          0x80000004u  /* #DB */
#define DUMP_STATUS_STACK_OVERFLOW       0xC00000FDu  /* #SS, #DF */
#define DUMP_STATUS_NONCONTINUABLE       0xC0000025u  /* #MC and other vectors */

struct dump_exception_record {
    uint32_t exception_code;             /* ExceptionCode: NTSTATUS, 0 for a called bugcheck */
    uint32_t exception_flags;            /* ExceptionFlags: 1 = noncontinuable */
    uint64_t exception_record;           /* ExceptionRecord: chained record, 0 */
    uint64_t exception_address;          /* ExceptionAddress: the faulting RIP */
    uint32_t number_parameters;          /* NumberParameters: used entries below */
    uint32_t unused_alignment;           /* __unusedAlignment */
    uint64_t exception_information[15];  /* ExceptionInformation: #PF: [0] 0 read/1 write/
                                            8 execute, [1] the address (CR2) */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_exception_record) == 0x98, "EXCEPTION_RECORD64 is 0x98");

/* ---- Blackbox's fields, at 0x1058 in the header's reserved area ---- */

#define DUMP_BB_MAGIC       "BBXDUMP\0"  /* bb.magic: 8 bytes */
#define DUMP_BB_VERSION     2u   /* 2: NumberProcessors CPU records (dump/dump_cpu.h) */
#define DUMP_BUILD_ID_MAX   20u          /* a GNU build-id (sha1) */
#define DUMP_CRC_INLINE_MAX 900u         /* CRC entries that fit in the header */
#define DUMP_CHUNK_SMALL    4096u        /* default chunk of a small dump */
#define DUMP_CHUNK_DEFAULT  (1u << 20)   /* default chunk of a full or bitmap dump */

/* bb.flags. A header without DUMP_BB_VALID describes a dump being written (or cut short). */
#define DUMP_BB_VALID       0x01u  /* header written last, after all data was flushed */
#define DUMP_BB_COMPLETE    0x02u  /* every page the dump type promises is present */
#define DUMP_BB_CLEARED     0x04u  /* recovered by smss: the file may be reused */
#define DUMP_BB_FALLBACK    0x08u  /* written type differs from the configured one */
#define DUMP_BB_CONVERTED   0x10u  /* a small dump made on a later boot from the big dump
                                      (dump/recovery/dump_convert.h), not at the crash */
#define DUMP_BB_ABANDONED   0x20u  /* never VALID: the dead-man stopped this dump at the crash
                                      (it ran past its time limit); data may be partial */
#define DUMP_BB_FLAGS_KNOWN 0x3Fu

/* bb.fallback_reason */
#define DUMP_FALLBACK_NONE       0u  /* the configured type was written */
#define DUMP_FALLBACK_TOO_SMALL  1u  /* target too small for the configured type */
#define DUMP_FALLBACK_TOO_MANY_RUNS 2u /* RAM has more runs than the header holds */
#define DUMP_FALLBACK_NO_BITMAP  3u  /* no memory for the bitmap of a kernel dump */

/* bb.config_type: CrashDumpEnabled as the registry says (DUMP_CONFIG_*, lib/reg/crash_control.h).
 * bb.written_type is the header's DumpType. */

struct dump_bb_fields {
    uint8_t magic[8];            /* DUMP_BB_MAGIC */
    uint32_t version;            /* DUMP_BB_VERSION */
    uint32_t flags;              /* DUMP_BB_*; VALID and COMPLETE set in the last write */
    uint32_t header_crc;         /* CRC32C of the 0x2000-byte header, this field as zero */
    uint32_t size;               /* sizeof(struct dump_bb_fields) */
    uint64_t sequence;           /* dump sequence number, one more than the last dump */
    uint8_t build_id_len;        /* bytes used in build_id (0..DUMP_BUILD_ID_MAX) */
    uint8_t build_id[DUMP_BUILD_ID_MAX]; /* GNU build-id of the crashed kernel */
    uint8_t config_type;         /* CrashDumpEnabled configured (DUMP_CONFIG_*) */
    uint8_t written_type;        /* DumpType written: equal to the header's DumpType */
    uint8_t fallback_reason;     /* DUMP_FALLBACK_* */
    uint32_t bugcheck_vector;    /* CPU exception vector, 0xFFFFFFFF for a called bugcheck */
    uint32_t reserved;           /* zero */
    uint64_t dump_time_ns;       /* nanoseconds since boot (TSC) when the dump started */
    uint64_t ram_bytes;          /* usable RAM of the machine */
    uint64_t klog_phys;          /* physical address of the klog ring area (0: none) */
    uint64_t klog_size;          /* bytes of the klog ring area */
    uint64_t direct_map_base;    /* virtual = direct_map_base + physical */
    uint64_t kernel_phys_base;   /* physical address of the kernel image */
    uint64_t kernel_vma;         /* kernel image: virtual = kernel_vma + physical */
    uint64_t cr0, cr2, cr4;      /* control registers at the crash (CR3: DirectoryTableBase) */
    uint64_t error_code;         /* CPU error code of the exception, or 0 */
    uint64_t data_size;          /* bytes of data after the header (the chunked range) */
    uint32_t chunk_size;         /* bytes per CRC chunk: power of two, 512 .. 1 GiB */
    uint32_t crc_inline_count;   /* entries in crc_inline (0 when the table is external) */
    uint64_t chunk_count;        /* chunks = ceil(data_size / chunk_size) */
    uint64_t crc_table_offset;   /* file offset of the external table, 0 when inline */
    uint32_t crc_table_crc;      /* CRC32C of the external table, 0 when inline */
} __attribute__((packed));
/* The header's reserved area holds, from 0x1058: struct dump_bb_fields (0xBC bytes), then
 * the inline CRC table (DUMP_CRC_INLINE_MAX u32, entry i = CRC32C of chunk i; entries past
 * crc_inline_count are zero), then "PAGE" up to 0x2000. */
#define DUMP_BB_OFFSET     0x1058u
#define DUMP_CRC_INLINE_OFFSET (DUMP_BB_OFFSET + 0xBCu)
_Static_assert(sizeof(struct dump_bb_fields) == 0xBC, "Blackbox fields are 0xBC bytes");
_Static_assert(offsetof(struct dump_bb_fields, header_crc) == 0x10, "bb.header_crc");
_Static_assert(offsetof(struct dump_bb_fields, dump_time_ns) == 0x40, "bb 8-byte fields aligned");

/* DUMP_HEADER64 */
struct dump_header {
    uint32_t signature;                  /* Signature: "PAGE" */
    uint32_t valid_dump;                 /* ValidDump: "DU64" */
    uint32_t major_version;              /* MajorVersion: 0xF free build */
    uint32_t minor_version;              /* MinorVersion: build number */
    uint64_t directory_table_base;       /* DirectoryTableBase: CR3 */
    uint64_t pfn_data_base;              /* PfnDataBase: virtual address of the PFN array */
    uint64_t ps_loaded_module_list;      /* PsLoadedModuleList: 0 (no NT module list) */
    uint64_t ps_active_process_head;     /* PsActiveProcessHead: 0 */
    uint32_t machine_image_type;         /* MachineImageType: 0x8664 */
    uint32_t number_processors;          /* NumberProcessors */
    uint32_t bug_check_code;             /* BugCheckCode */
    uint32_t bug_check_code_pad;         /* padding, zero */
    uint64_t bug_check_parameter[4];     /* BugCheckParameter1..4 */
    uint8_t version_user[32];            /* VersionUser: "PAGE" */
    uint64_t kd_debugger_data_block;     /* KdDebuggerDataBlock: 0 (no KDDEBUGGER_DATA64) */
    union {
        struct dump_phys_desc physical_memory_block;  /* PhysicalMemoryBlock */
        uint8_t physical_memory_block_buffer[704];
    };
    union {
        struct dump_context context;                  /* ContextRecord: the x64 CONTEXT */
        uint8_t context_record_buffer[3000];
    };
    struct dump_exception_record exception;  /* Exception */
    uint32_t dump_type;                  /* DumpType: DUMP_TYPE_* */
    uint32_t dump_type_pad;              /* padding, zero */
    uint64_t required_dump_space;        /* RequiredDumpSpace: bytes of the whole dump */
    uint64_t system_time;                /* SystemTime: FILETIME, 100 ns since 1601, 0 unknown */
    uint8_t comment[128];                /* Comment: NUL-terminated text */
    uint64_t system_up_time;             /* SystemUpTime: 100 ns units since boot */
    uint32_t mini_dump_fields;           /* MiniDumpFields: 0 */
    uint32_t secondary_data_state;       /* SecondaryDataState: 0 */
    uint32_t product_type;               /* ProductType: 1 WinNT */
    uint32_t suite_mask;                 /* SuiteMask: 0 */
    uint32_t writer_status;              /* WriterStatus: 0 */
    uint8_t unused1;                     /* Unused1 */
    uint8_t kd_secondary_version;        /* KdSecondaryVersion: 0 */
    uint8_t unused2[2];                  /* Unused */
    uint32_t attributes;                 /* Attributes: 0 */
    uint32_t boot_id;                    /* BootId: low 32 bits of the sequence number */
    struct dump_bb_fields bb;            /* reserved area: Blackbox's fields */
    uint32_t crc_inline[DUMP_CRC_INLINE_MAX];  /* reserved area: inline chunk CRC table */
    uint8_t reserved_tail[DUMP_HEADER_SIZE - DUMP_CRC_INLINE_OFFSET - 4 * DUMP_CRC_INLINE_MAX];
                                         /* rest of the reserved area: "PAGE" */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_header) == DUMP_HEADER_SIZE, "DUMP_HEADER64 is 0x2000");
_Static_assert(offsetof(struct dump_header, valid_dump) == 0x004, "ValidDump");
_Static_assert(offsetof(struct dump_header, major_version) == 0x008, "MajorVersion");
_Static_assert(offsetof(struct dump_header, minor_version) == 0x00C, "MinorVersion");
_Static_assert(offsetof(struct dump_header, directory_table_base) == 0x010, "DTB");
_Static_assert(offsetof(struct dump_header, pfn_data_base) == 0x018, "PfnDataBase");
_Static_assert(offsetof(struct dump_header, ps_loaded_module_list) == 0x020, "PsLML");
_Static_assert(offsetof(struct dump_header, ps_active_process_head) == 0x028, "PsAPH");
_Static_assert(offsetof(struct dump_header, machine_image_type) == 0x030, "MachineImageType");
_Static_assert(offsetof(struct dump_header, number_processors) == 0x034, "NumberProcessors");
_Static_assert(offsetof(struct dump_header, bug_check_code) == 0x038, "BugCheckCode");
_Static_assert(offsetof(struct dump_header, bug_check_parameter) == 0x040, "BugCheckParameter");
_Static_assert(offsetof(struct dump_header, version_user) == 0x060, "VersionUser");
_Static_assert(offsetof(struct dump_header, kd_debugger_data_block) == 0x080, "KdDebuggerData");
_Static_assert(offsetof(struct dump_header, physical_memory_block) == 0x088, "PhysMemBlock");
_Static_assert(offsetof(struct dump_header, context) == 0x348, "ContextRecord");
_Static_assert(offsetof(struct dump_header, exception) == 0xF00, "Exception");
_Static_assert(offsetof(struct dump_header, dump_type) == 0xF98, "DumpType");
_Static_assert(offsetof(struct dump_header, required_dump_space) == 0xFA0, "RequiredDumpSpace");
_Static_assert(offsetof(struct dump_header, system_time) == 0xFA8, "SystemTime");
_Static_assert(offsetof(struct dump_header, comment) == 0xFB0, "Comment");
_Static_assert(offsetof(struct dump_header, system_up_time) == 0x1030, "SystemUpTime");
_Static_assert(offsetof(struct dump_header, mini_dump_fields) == 0x1038, "MiniDumpFields");
_Static_assert(offsetof(struct dump_header, secondary_data_state) == 0x103C, "SecondaryData");
_Static_assert(offsetof(struct dump_header, product_type) == 0x1040, "ProductType");
_Static_assert(offsetof(struct dump_header, suite_mask) == 0x1044, "SuiteMask");
_Static_assert(offsetof(struct dump_header, writer_status) == 0x1048, "WriterStatus");
_Static_assert(offsetof(struct dump_header, kd_secondary_version) == 0x104D, "KdSecondary");
_Static_assert(offsetof(struct dump_header, attributes) == 0x1050, "Attributes");
_Static_assert(offsetof(struct dump_header, boot_id) == 0x1054, "BootId");
_Static_assert(offsetof(struct dump_header, bb) == DUMP_BB_OFFSET, "Blackbox fields");
_Static_assert(offsetof(struct dump_header, crc_inline) == DUMP_CRC_INLINE_OFFSET, "CRC table");

/* ---- Bitmap dump second header, at 0x2000 ---- */

#define DUMP_BMP_SDMP   0x504d4453u  /* "SDMP": kernel (summary) content */
#define DUMP_BMP_FDMP   0x504d4446u  /* "FDMP": full content */
#define DUMP_BMP_DUMP   0x504d5544u  /* "DUMP" */
#define DUMP_BMP_OFFSET DUMP_HEADER_SIZE
#define DUMP_BMP_BITMAP_OFFSET (DUMP_BMP_OFFSET + 0x38u)

struct dump_bitmap_header {
    uint32_t signature;          /* Signature: "SDMP" or "FDMP" */
    uint32_t valid_dump;         /* ValidDump: "DUMP" */
    uint8_t padding[0x18];       /* padding, "PAGE" */
    uint64_t first_page;         /* FirstPage: file offset of the first present page */
    uint64_t total_present_pages;/* TotalPresentPages: bits set in the bitmap */
    uint64_t pages;              /* Pages: bits in the bitmap = physical pages covered */
} __attribute__((packed));
_Static_assert(sizeof(struct dump_bitmap_header) == 0x38, "BMP_HEADER64 before the bitmap");
_Static_assert(offsetof(struct dump_bitmap_header, first_page) == 0x20, "FirstPage");
_Static_assert(offsetof(struct dump_bitmap_header, pages) == 0x30, "Pages");

/* ---- Building a header ---- */

/* Plain inputs of dump_header_build: the kernel passes everything, nothing is global. */
struct dump_params {
    uint32_t dump_type;                  /* DUMP_TYPE_FULL, _BITMAP or _SMALL */
    uint32_t bugcheck_code;              /* STOP code */
    uint64_t bugcheck_params[4];         /* its four parameters */
    const struct bugcheck_context *ctx;  /* registers at the crash (required) */
    const struct dump_run *runs;         /* the machine's RAM runs, ascending: the first
                                            min(run_count, DUMP_MAX_RUNS) are read */
    uint32_t run_count;                  /* runs the machine has: FULL 1..DUMP_MAX_RUNS,
                                            BITMAP and SMALL any from 1 */
    uint64_t ram_pages;                  /* pages of all runs; 0: the sum of `runs` (only
                                            when run_count <= DUMP_MAX_RUNS) */
    uint32_t processors;                 /* NumberProcessors (0 means 1), at most
                                            DUMP_CPU_MAX: the CPU block's records */
    uint64_t data_size;                  /* bytes after the header: FULL: ignored (the runs'
                                            pages and the CPU block); BITMAP: ignored (from
                                            bitmap_*, then the CPU block);
                                            SMALL: directory + streams (dump_mini_size) */
    uint64_t bitmap_pages;               /* BITMAP: bits in the bitmap */
    uint64_t bitmap_present;             /* BITMAP: bits set */
    bool bitmap_full_content;            /* BITMAP: "FDMP" rather than "SDMP": every RAM
                                            page present (bitmap_present == the RAM pages) */
    uint32_t chunk_size;                 /* 0: DUMP_CHUNK_SMALL / DUMP_CHUNK_DEFAULT */
    uint64_t sequence;                   /* dump sequence number */
    const uint8_t *build_id;             /* GNU build-id bytes (may be NULL) */
    size_t build_id_len;                 /* truncated to DUMP_BUILD_ID_MAX */
    uint32_t config_type;                /* DUMP_CONFIG_* (CrashDumpEnabled) */
    uint32_t fallback_reason;            /* DUMP_FALLBACK_* */
    uint64_t dump_time_ns;               /* ns since boot */
    uint64_t system_time;                /* FILETIME, 0 if unknown */
    uint64_t ram_bytes;                  /* usable RAM */
    uint64_t klog_phys, klog_size;       /* klog ring area */
    uint64_t direct_map_base;            /* DIRECT_MAP_BASE */
    uint64_t kernel_phys_base;           /* physical load address of the kernel */
    uint64_t kernel_vma;                 /* KERNEL_VMA */
    uint64_t pfn_database;               /* virtual address of the PFN database, or 0 */
    const char *comment;                 /* NUL-terminated, up to 127 bytes kept; or NULL */
};

/* Layout numbers a built header implies, for the writer. */
struct dump_plan {
    uint64_t data_offset;        /* DUMP_HEADER_SIZE */
    uint64_t pages_offset;       /* file offset of the first page (FULL: 0x2000, BITMAP:
                                    FirstPage, SMALL: 0) */
    uint64_t cpu_offset;         /* FULL, BITMAP: file offset of the CPU block (the data's
                                    last dump_cpu_block_bytes(processors) bytes); SMALL: 0 (the
                                    block is a stream the caller lays out) */
    uint64_t data_end;           /* end of the chunked data */
    uint64_t crc_table_offset;   /* external CRC table, 0 when inline */
    uint64_t crc_table_bytes;    /* its size (chunk_count * 4), 0 when inline */
    uint64_t total;              /* RequiredDumpSpace */
    uint64_t chunk_count;        /* CRC chunks */
    uint32_t chunk_size;         /* bytes per chunk */
};

/* Fills the DUMP_HEADER_SIZE bytes at `hdr` (any alignment) with a header for `p`: Windows
 * fields, CONTEXT, exception record, runs, Blackbox fields with flags 0 (a dump being
 * written: never taken for valid), and for BITMAP the second header at 0x2000 is NOT part of
 * it (see dump_bitmap_header_build). *plan (may be NULL) gets the implied layout. Returns 0,
 * ERR_INVALID_ARGS (bad type, no context, no runs, runs unordered/overlapping, ram_pages
 * below the runs', FDMP present pages not the RAM's, bad chunk size, processors above
 * DUMP_CPU_MAX), ERR_TOO_BIG (FULL with more than DUMP_MAX_RUNS runs, SMALL above
 * DUMP_SMALL_MAX, sizes that overflow). Pure, no allocation: safe at bugcheck time. */
int dump_header_build(void *hdr, const struct dump_params *p, struct dump_plan *plan);

/* The layout of a complete dump of a machine with `run_count` RAM runs: DUMP_TYPE_FULL when
 * Run[] holds them all, else DUMP_TYPE_BITMAP with full content ("FDMP"). */
static inline uint32_t dump_complete_type(uint32_t run_count)
{
    return run_count <= DUMP_MAX_RUNS ? DUMP_TYPE_FULL : DUMP_TYPE_BITMAP;
}

/* RequiredDumpSpace of a complete dump (dump_complete_type's layout) of `ram_pages` pages
 * in `run_count` runs below physical page `frames`, with chunks of `chunk_size` bytes (0:
 * DUMP_CHUNK_DEFAULT), of a machine with `cpus` CPUs (0 means 1): header, bitmap block
 * (FDMP), pages, the CPU block, external CRC table. 0 for arguments no dump can have (no
 * pages, frames, chunk size or CPUs out of range). Safe anywhere. */
uint64_t dump_complete_bytes(uint32_t run_count, uint64_t ram_pages, uint64_t frames,
                             uint32_t chunk_size, uint32_t cpus);

/* Writes the 0x38-byte second header of a bitmap dump for the header built from `p`, at
 * `out` (any alignment). Returns 0 or ERR_INVALID_ARGS. Safe at bugcheck time. */
int dump_bitmap_header_build(void *out, const struct dump_params *p);

/* The last step: sets bb.flags = `flags` (DUMP_BB_VALID | DUMP_BB_COMPLETE for a finished
 * dump, with DUMP_BB_FALLBACK kept from the build), records the external CRC table's CRC
 * (`table_crc`, 0 when inline) and computes bb.header_crc. Returns 0 or ERR_INVALID_ARGS.
 * Safe at bugcheck time. Also used by smss to mark a dump DUMP_BB_CLEARED. */
int dump_header_seal(void *hdr, uint32_t flags, uint32_t table_crc);

/* CRC32C of a 0x2000-byte header with bb.header_crc taken as zero. Safe at bugcheck time. */
uint32_t dump_header_crc(const void *hdr);

/* The Windows CONTEXT for `ctx`: control, integer and segment registers, MxCsr = the reset
 * value in both places (the kernel runs without SSE state), everything else zero. */
void dump_context_from_regs(struct dump_context *out, const struct bugcheck_context *ctx);

/* The exception record for a crash: an NTSTATUS derived from ctx->vector (0 and no
 * parameters for a called bugcheck), ExceptionAddress = RIP, #PF parameters from the error
 * code and CR2. */
void dump_exception_from_regs(struct dump_exception_record *out,
                              const struct bugcheck_context *ctx);

/* ---- Bitmap helpers (bit i = physical page i, LSB first within each byte) ---- */

static inline void dump_bitmap_set(uint8_t *bm, uint64_t page)
{
    bm[page >> 3] |= (uint8_t)(1u << (page & 7));
}

static inline bool dump_bitmap_test(const uint8_t *bm, uint64_t page)
{
    return (bm[page >> 3] >> (page & 7)) & 1u;
}

/* Bytes of a bitmap of `pages` bits. */
static inline uint64_t dump_bitmap_bytes(uint64_t pages)
{
    return (pages + 7) / 8;
}

/* Bits set among bits [0, pages) of `bm`. Linear time, no popcount instruction needed. */
uint64_t dump_bitmap_count(const uint8_t *bm, uint64_t pages);

/* Bits set among bits [from, to) of `bm`. */
uint64_t dump_bitmap_count_range(const uint8_t *bm, uint64_t from, uint64_t to);

/* File offset of physical page `page` in a bitmap dump whose pages start at `first_page`,
 * or 0 when the page is absent (or page >= pages). Linear in page. */
uint64_t dump_bitmap_page_offset(const uint8_t *bm, uint64_t pages, uint64_t first_page,
                                 uint64_t page);

/* ---- Per-chunk CRC32C ---- */

/* Chunks covering data_size bytes. */
static inline uint64_t dump_chunk_count(uint64_t data_size, uint32_t chunk_size)
{
    return chunk_size ? (data_size + chunk_size - 1) / chunk_size : 0;
}

/* Streaming computation of a chunk CRC table: feed the data bytes in file order, in pieces
 * of any size; table[i] receives chunk i's CRC as soon as the chunk is complete. */
struct dump_crc_acc {
    uint32_t *table;         /* chunk_count entries, written by the functions */
    uint64_t chunk_count;
    uint32_t chunk_size;
    uint64_t data_size;      /* bytes expected in all */
    uint64_t pos;            /* bytes fed so far */
    uint32_t crc;            /* running CRC of the current chunk */
    /* the CRC32C implementation: crc32c() after dump_crc_begin; a caller may put a faster
     * one with the same contract (the kernel's SSE4.2 instruction) */
    uint32_t (*crc_fn)(uint32_t crc, const void *data, size_t len);
};

/* Starts an accumulator. `table` must hold dump_chunk_count(data_size, chunk_size) entries.
 * Returns 0 or ERR_INVALID_ARGS. */
int dump_crc_begin(struct dump_crc_acc *a, uint32_t *table, uint64_t data_size,
                   uint32_t chunk_size);
/* Feeds `len` bytes. Returns 0, or ERR_RANGE when more than data_size bytes are fed. */
int dump_crc_update(struct dump_crc_acc *a, const void *data, size_t len);
/* Returns 0 when exactly data_size bytes were fed (the table is complete), else ERR_RANGE. */
int dump_crc_end(const struct dump_crc_acc *a);

/* Where the CRC of chunk `i` is kept for the header at `hdr`: for an inline table, *crc is
 * set from the header and 1 is returned; for an external table, *file_off is set to the
 * entry's file offset and 0 is returned. ERR_RANGE if i >= chunk_count. */
int dump_chunk_crc_ref(const void *hdr, uint64_t i, uint32_t *crc, uint64_t *file_off);

/* File offset and length of chunk `i` of the header at `hdr`. ERR_RANGE if out of range. */
int dump_chunk_range(const void *hdr, uint64_t i, uint64_t *off, uint64_t *len);

/* Little-endian loads from a byte buffer (any alignment). */
static inline uint32_t dump_le32(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t dump_le64(const void *p)
{
    return (uint64_t)dump_le32(p) | (uint64_t)dump_le32((const uint8_t *)p + 4) << 32;
}

#endif
