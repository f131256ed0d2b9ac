/* The blue screen: what a bugcheck shows on the VGA console and COM1. Polled output only,
 * no locks, no allocation. */
#ifndef BB_BSOD_H
#define BB_BSOD_H

#include <stdbool.h>
#include <stdint.h>
#include "bugcheck/bugcheck.h"

/* Paint the blue screen for the crash in *d: STOP line, name, description, symbolized RIP,
 * registers (COM1), backtrace, klog tail. */
void bsod_show(const struct bugcheck_data *d);
/* One more status line on both outputs (dump progress, reboot notice). */
void bsod_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Dump progress: rewrite "Dumping physical memory to disk: NN" in place on the screen; on
 * COM1 print it as a line only when `line` is set (so the log gets every tenth). */
void bsod_progress(unsigned pct, bool line);
/* Minimal COM1-only report of a fault inside the bugcheck path. */
void bsod_emergency(uint32_t vector_or_code, uint64_t rip, uint32_t first_code);
/* "name+0xoff" for a code address; return addresses are looked up one byte earlier so a
 * call at the very end of a function is attributed to that function. */
void bsod_symbolize(uint64_t addr, int is_return_address, char *buf, uint64_t size);

#endif
