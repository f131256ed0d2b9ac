/* For the fuzz targets that take their input as a dump file: run it as given, then (when it
 * is long enough to hold a header) once more with the header's CRC made right, and the CPU
 * block's CRC too when the dump then validates, so that mutations reach the checks behind
 * both CRCs. */
#ifndef BB_TESTS_FUZZ_DUMPCRC_H
#define BB_TESTS_FUZZ_DUMPCRC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump_format.h"
#include "dump/dump_cpu.h"
#include "dump/dump_validate.h"
#include "lib/crc32c.h"

static inline void fuzz_dump_both_ways(const uint8_t *data, size_t size,
                                       void (*one)(const uint8_t *data, size_t size))
{
    one(data, size);
    if (size < DUMP_HEADER_SIZE)
        return;
    uint8_t *copy = malloc(size);
    if (!copy)
        return;
    memcpy(copy, data, size);
    uint32_t crc = dump_header_crc(copy);
    memcpy(copy + DUMP_BB_OFFSET + offsetof(struct dump_bb_fields, header_crc), &crc, 4);
    struct dump_layout l;
    if (dump_validate(copy, size, size, &l) == 0 && l.cpu_offset <= size &&
        dump_cpu_block_bytes(l.cpu_count) <= size - l.cpu_offset) {
        size_t recs = (size_t)dump_cpu_block_bytes(l.cpu_count) - sizeof(struct dump_cpu_block);
        crc = crc32c(0, copy + l.cpu_offset + sizeof(struct dump_cpu_block), recs);
        memcpy(copy + l.cpu_offset + offsetof(struct dump_cpu_block, crc), &crc, 4);
    }
    one(copy, size);
    free(copy);
}

#endif
