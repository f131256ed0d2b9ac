/* Reads the GNU build-id note that the linker places at __build_id_note. */
#include "version.h"
#include "lib/fmt.h"

#define NT_GNU_BUILD_ID 3

struct elf_note {
    uint32_t namesz, descsz, type;   /* followed by name (padded to 4) and desc */
};

extern const char __build_id_note[], __rodata_end[];

size_t version_build_id(const uint8_t **id)
{
    const struct elf_note *n = (const struct elf_note *)__build_id_note;
    if ((size_t)(__rodata_end - __build_id_note) < sizeof *n || n->type != NT_GNU_BUILD_ID)
        return 0;
    *id = (const uint8_t *)(n + 1) + ((n->namesz + 3) & ~3u);
    return n->descsz;
}

void version_build_id_hex(char *buf, size_t size)
{
    const uint8_t *id;
    size_t n = version_build_id(&id);
    if (!n) {
        fmt_snprintf(buf, size, "unknown");
        return;
    }
    for (size_t i = 0; i < n && 2 * i + 2 < size; i++)
        fmt_snprintf(buf + 2 * i, size - 2 * i, "%02x", id[i]);
}
