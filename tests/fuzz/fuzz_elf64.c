/* libFuzzer target for the program loader's ELF64 checks (lib/elf64.c): the input is the file,
 * checked against the range the kernel loads programs into (PROC_IMAGE_LO/HI) and the whole
 * address space; every segment it accepts must lie inside the file and the range. Seeds:
 * tests/fuzz/seeds/elf64/ (small static executables). */
#include <stdlib.h>

#include "lib/elf64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t range[][2] = { { 0x10000, 0x7f0000000000ull }, { 0, UINT64_MAX } };
    struct elf64_image img;
    for (size_t r = 0; r < 2; r++) {
        if (elf64_parse(data, size, range[r][0], range[r][1], &img) != 0)
            continue;
        for (unsigned i = 0; i < img.nseg; i++) {
            const struct elf64_segment *s = &img.seg[i];
            if (s->offset > size || s->filesz > size - s->offset || s->filesz > s->memsz ||
                s->vaddr < range[r][0] || s->memsz > range[r][1] - s->vaddr)
                abort();
        }
    }
    return 0;
}
