/* For the fuzz targets that take their input as a dump file: run it as given, then (when it
 * is long enough to hold a header) once more with the header's CRC made right, so that
 * mutations reach the checks behind the header CRC. */
#ifndef BB_TESTS_FUZZ_DUMPCRC_H
#define BB_TESTS_FUZZ_DUMPCRC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dump/dump_format.h"

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
    one(copy, size);
    free(copy);
}

#endif
