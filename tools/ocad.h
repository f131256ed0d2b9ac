/* ocad, the crash-report collector: shared declarations of the server (ocad.c: the UNIX
 * socket QEMU connects COM2 to, frames, symbols, ACKs) and the store (ocad_db.c: SQLite,
 * buckets, `ocad report`). */
#ifndef BB_TOOLS_OCAD_H
#define BB_TOOLS_OCAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>
#include "dump/recovery/dump_report.h"

/* One received report as stored. */
struct ocad_row {
    const struct dump_report_info *info;  /* decoded report (its minidump included) */
    const char *function;                 /* faulting function, or NULL (no matching ELF) */
    uint64_t fault_addr;                  /* its address, 0 when function is NULL */
    const char *bucket;                   /* "0x50_crash_null" */
};

/* Opens (create: creating it and its schema if missing; else read-only) the database.
 * Returns NULL after printing a one-line error. */
sqlite3 *ocad_db_open(const char *path, bool create);
void ocad_db_close(sqlite3 *db);

/* Stores a report and commits. *dup = true when (report id, build-id) was already stored
 * (nothing changes). Returns 0, or 1 after printing the SQLite error. */
int ocad_db_store(sqlite3 *db, const struct ocad_row *r, bool *dup);

/* `ocad report DB`: buckets with counts, first and last seen, and an example report. */
int ocad_db_print(sqlite3 *db, const char *path);

#endif
