/* `mark TEXT [PAGES]`: kernel pages filled with a known pattern, to find in a crash dump. */
#include <string.h>
#include "shell/shell.h"
#include "console/console.h"
#include "mm/pfn.h"
#include "mm/layout.h"
#include "klog.h"
#include "err.h"

/* `mark TEXT [PAGES]`: fill fresh kernel pages with TEXT repeated and say where the first
 * is, so that the page can be found in a crash dump (bbdump read DUMP PHYS LEN) and its
 * bytes checked; many pages make a machine whose memory is mostly data (bench/dump.py). */
int shell_cmd_mark(int argc, char **argv)
{
    uint64_t pages = 1;
    if (argc < 2 || argc > 3 || !argv[1][0] ||
        (argc == 3 && (num_parse(argv[2], UINT32_MAX, &pages) || pages == 0)))
        return ERR_INVALID_ARGS;
    uint64_t first = 0;
    size_t n = strlen(argv[1]);
    for (uint64_t k = 0; k < pages; k++) {
        uint64_t phys = pfn_alloc(PFN_KERNEL);
        if (!phys) {
            kprintf("mark: out of memory after %lu pages\n", (unsigned long)k);
            return ERR_NO_MEMORY;
        }
        uint8_t *page = phys_to_virt(phys);
        if (k == 0) {
            first = phys;
            for (uint64_t i = 0; i < PAGE_SIZE; i++)
                page[i] = (uint8_t)argv[1][i % n];
        } else {
            memcpy(page, phys_to_virt(first), PAGE_SIZE);
        }
    }
    klog(KLOG_INFO, "mark: %lu bytes of '%s', the first page at phys 0x%lx", (unsigned long)(pages * PAGE_SIZE),
         argv[1], (unsigned long)first);
    kprintf("marked %lu bytes in %lu page(s), the first at phys 0x%lx virt %p\n", (unsigned long)(pages * PAGE_SIZE),
            (unsigned long)pages, (unsigned long)first, phys_to_virt(first));
    return 0;
}
