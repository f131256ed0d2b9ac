/* Multiboot2 information walker: tags are 8-byte aligned {type, size} records ending with
 * type 0. We keep the memory map, the ACPI RSDP, the command line and the loader name. */
#include <stddef.h>
#include <string.h>
#include "arch/multiboot2.h"
#include "mm/layout.h"
#include "err.h"

#define MB2_TAG_END       0   /* terminating tag */
#define MB2_TAG_CMDLINE   1   /* NUL-terminated command line */
#define MB2_TAG_LOADER    2   /* NUL-terminated boot loader name */
#define MB2_TAG_MMAP      6   /* memory map */
#define MB2_TAG_ACPI_OLD 14   /* RSDP, ACPI 1.0 */
#define MB2_TAG_ACPI_NEW 15   /* RSDP, ACPI 2.0+ */
#define MB2_INFO_MAX (1u << 20) /* refuse absurd info sizes */

struct mb2_tag { uint32_t type, size; };
struct mb2_mmap_tag { uint32_t type, size, entry_size, entry_version; };
struct mb2_mmap_entry { uint64_t base, length; uint32_t type, reserved; };
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "multiboot2 mmap entry");

static void copy_str(char *dst, size_t cap, const char *src, size_t max)
{
    size_t n = strnlen(src, max);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

int mb2_parse(uint32_t magic, uint64_t mbi_phys, struct boot_info *bi)
{
    if (magic != MB2_BOOTLOADER_MAGIC)
        return ERR_INVALID_ARGS;
    const uint8_t *mbi = (const uint8_t *)phys_to_virt(mbi_phys);
    uint32_t total = *(const uint32_t *)mbi;
    if (total < 16 || total > MB2_INFO_MAX)
        return ERR_CORRUPT;
    bi->mbi_phys = mbi_phys;
    bi->mbi_size = total;
    for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
        const struct mb2_tag *tag = (const struct mb2_tag *)(mbi + off);
        if (tag->size < sizeof *tag || tag->size > total - off)
            return ERR_CORRUPT;
        const uint8_t *body = (const uint8_t *)(tag + 1);
        uint32_t body_len = tag->size - (uint32_t)sizeof *tag;
        switch (tag->type) {
        case MB2_TAG_END:
            return 0;
        case MB2_TAG_CMDLINE:
            copy_str(bi->cmdline, sizeof bi->cmdline, (const char *)body, body_len);
            break;
        case MB2_TAG_LOADER:
            copy_str(bi->loader, sizeof bi->loader, (const char *)body, body_len);
            break;
        case MB2_TAG_MMAP: {
            const struct mb2_mmap_tag *mt = (const struct mb2_mmap_tag *)tag;
            if (mt->size < sizeof *mt || mt->entry_size < sizeof(struct mb2_mmap_entry))
                return ERR_CORRUPT;
            for (uint32_t e = sizeof *mt; e + mt->entry_size <= mt->size; e += mt->entry_size) {
                const struct mb2_mmap_entry *me = (const void *)((const uint8_t *)mt + e);
                if (bi->mmap_count == BOOT_MMAP_MAX)
                    break;
                bi->mmap[bi->mmap_count++] = (struct boot_mem_range){ me->base, me->length, me->type };
            }
            break;
        }
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            if (bi->rsdp_len == 0 || tag->type == MB2_TAG_ACPI_NEW) {
                bi->rsdp_len = body_len < sizeof bi->rsdp ? body_len : sizeof bi->rsdp;
                memcpy(bi->rsdp, body, bi->rsdp_len);
            }
            break;
        default:
            break;
        }
        off += (tag->size + 7) & ~7u;
    }
    return ERR_CORRUPT;
}
