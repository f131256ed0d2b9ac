/* ocad's store: one SQLite table of reports (time, STOP code and parameters, build-id,
 * faulting function, bucket, the minidump blob), unique by (report id, build-id) so a report
 * re-sent after a lost ACK is counted once; and `ocad report`, which groups it by bucket. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/ocad.h"
#include "lib/bugcodes.h"

#define OCAD_SCHEMA_VERSION 1

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS reports ("
    " id INTEGER PRIMARY KEY,"
    " report_id TEXT NOT NULL,"          /* 16 hex digits */
    " build_id TEXT NOT NULL,"           /* hex */
    " received TEXT NOT NULL,"           /* host UTC, ISO 8601 */
    " crash_time TEXT,"                  /* the dump's SystemTime, UTC; NULL unknown */
    " sequence INTEGER NOT NULL,"
    " code INTEGER NOT NULL,"
    " p1 INTEGER NOT NULL, p2 INTEGER NOT NULL, p3 INTEGER NOT NULL, p4 INTEGER NOT NULL,"
    " function TEXT,"                    /* NULL: no kernel ELF with the build-id */
    " fault_addr INTEGER,"
    " bucket TEXT NOT NULL,"
    " minidump BLOB NOT NULL,"
    " UNIQUE (report_id, build_id));"
    "CREATE INDEX IF NOT EXISTS reports_bucket ON reports (bucket);"
    "PRAGMA user_version = 1;";

static int db_error(sqlite3 *db, const char *what)
{
    fprintf(stderr, "ocad: %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

sqlite3 *ocad_db_open(const char *path, bool create)
{
    sqlite3 *db = NULL;
    if (!create && access(path, R_OK) != 0) {
        fprintf(stderr, "ocad: %s: no such database\n", path);
        return NULL;
    }
    int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "ocad: %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0) {
        fprintf(stderr, "ocad: %s: not an SQLite database (%s)\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    if (version != 0 && version != OCAD_SCHEMA_VERSION) {
        fprintf(stderr, "ocad: %s: schema version %d, this ocad knows %d\n", path, version,
                OCAD_SCHEMA_VERSION);
        sqlite3_close(db);
        return NULL;
    }
    if (create && sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        db_error(db, path);
        sqlite3_close(db);
        return NULL;
    }
    if (!create && version == 0) {
        fprintf(stderr, "ocad: %s: not an ocad database (no reports table)\n", path);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

void ocad_db_close(sqlite3 *db)
{
    sqlite3_close(db);
}

static void hex(char *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
}

static void iso_time(char *out, size_t cap, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* FILETIME (100 ns since 1601) to Unix seconds. */
#define FILETIME_UNIX_EPOCH 116444736000000000ull

int ocad_db_store(sqlite3 *db, const struct ocad_row *r, bool *dup)
{
    const struct dump_report_info *in = r->info;
    char id[17], build[2 * DUMP_BUILD_ID_MAX + 1], now[32], crash[32];
    snprintf(id, sizeof id, "%016" PRIx64, in->report_id);
    hex(build, in->build_id, in->build_id_len);
    iso_time(now, sizeof now, time(NULL));
    if (in->crash_time >= FILETIME_UNIX_EPOCH)
        iso_time(crash, sizeof crash,
                 (time_t)((in->crash_time - FILETIME_UNIX_EPOCH) / 10000000u));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
            "INSERT OR IGNORE INTO reports (report_id, build_id, received, crash_time, "
            "sequence, code, p1, p2, p3, p4, function, fault_addr, bucket, minidump) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        return db_error(db, "prepare");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, build, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    if (in->crash_time >= FILETIME_UNIX_EPOCH)
        sqlite3_bind_text(st, 4, crash, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)in->sequence);
    sqlite3_bind_int64(st, 6, in->bugcheck_code);
    for (int i = 0; i < 4; i++)
        sqlite3_bind_int64(st, 7 + i, (sqlite3_int64)in->params[i]);
    if (r->function) {
        sqlite3_bind_text(st, 11, r->function, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 12, (sqlite3_int64)r->fault_addr);
    } else {
        sqlite3_bind_null(st, 11);
        sqlite3_bind_null(st, 12);
    }
    sqlite3_bind_text(st, 13, r->bucket, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob64(st, 14, in->dump, in->dump_size, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_error(db, "insert");
    *dup = sqlite3_changes(db) == 0;
    return 0;
}

/* Prints the newest report of a bucket (the example). */
static int print_example(sqlite3 *db, const char *bucket)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
            "SELECT id, report_id, received, crash_time, sequence, code, p1, p2, p3, p4, "
            "function, fault_addr, build_id, length(minidump) FROM reports WHERE bucket = ? "
            "ORDER BY received DESC, id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return db_error(db, "query");
    sqlite3_bind_text(st, 1, bucket, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        uint32_t code = (uint32_t)sqlite3_column_int64(st, 5);
        const char *name = bugcode_name(code);
        const unsigned char *fn = sqlite3_column_text(st, 10);
        const unsigned char *crash = sqlite3_column_text(st, 3);
        printf("  example:     report %s (row %lld), received %s, crash time %s\n",
               sqlite3_column_text(st, 1), (long long)sqlite3_column_int64(st, 0),
               sqlite3_column_text(st, 2), crash ? (const char *)crash : "unknown");
        printf("               STOP 0x%08X %s (0x%016" PRIx64 ", 0x%016" PRIx64 ", 0x%016"
               PRIx64 ", 0x%016" PRIx64 ")\n", code, name ? name : "(unknown code)",
               (uint64_t)sqlite3_column_int64(st, 6), (uint64_t)sqlite3_column_int64(st, 7),
               (uint64_t)sqlite3_column_int64(st, 8), (uint64_t)sqlite3_column_int64(st, 9));
        if (fn)
            printf("               function %s at 0x%016" PRIx64 "\n", fn,
                   (uint64_t)sqlite3_column_int64(st, 11));
        else
            printf("               function unknown (no kernel ELF with its build-id)\n");
        printf("               build-id %s, sequence %lld, minidump %lld bytes\n",
               sqlite3_column_text(st, 12), (long long)sqlite3_column_int64(st, 4),
               (long long)sqlite3_column_int64(st, 13));
    }
    sqlite3_finalize(st);
    return 0;
}

int ocad_db_print(sqlite3 *db, const char *path)
{
    sqlite3_stmt *st;
    long long reports = 0, buckets = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*), count(DISTINCT bucket) FROM reports", -1, &st,
                           NULL) != SQLITE_OK)
        return db_error(db, path);
    if (sqlite3_step(st) == SQLITE_ROW) {
        reports = sqlite3_column_int64(st, 0);
        buckets = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    printf("%s: %lld report%s in %lld bucket%s\n", path, reports, reports == 1 ? "" : "s",
           buckets, buckets == 1 ? "" : "s");
    if (sqlite3_prepare_v2(db,
            "SELECT bucket, count(*), min(received), max(received) FROM reports "
            "GROUP BY bucket ORDER BY count(*) DESC, max(received) DESC, bucket", -1, &st,
            NULL) != SQLITE_OK)
        return db_error(db, path);
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        char bucket[256];
        snprintf(bucket, sizeof bucket, "%s", (const char *)sqlite3_column_text(st, 0));
        printf("\nBUCKET %s\n", bucket);
        printf("  count:       %lld\n", (long long)sqlite3_column_int64(st, 1));
        printf("  first seen:  %s\n", sqlite3_column_text(st, 2));
        printf("  last seen:   %s\n", sqlite3_column_text(st, 3));
        rc = print_example(db, bucket);
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_error(db, path);
    sqlite3_finalize(st);
    return rc;
}
