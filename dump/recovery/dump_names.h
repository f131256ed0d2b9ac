/* Names of recovered dumps: minidumps in C:\Minidump\ ("MMDDYY-NNNNN-NN.dmp": format, parse,
 * pick a free one, choose which to delete to keep the newest MinidumpsCount) and the
 * DUMPxxxx.TMP name of a dump not yet moved to its final place. Portable core (userland and
 * host tools); callers give the buffers, nothing is allocated. */
#ifndef BB_DUMP_NAMES_H
#define BB_DUMP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * "MMDDYY-NNNNN-NN.dmp":
 *   MMDDYY  the date of the crash's recovery, from the RTC: month, day, year modulo 100.
 *   NNNNN   the dump's sequence number (bb.sequence, one more per dump, also in the event
 *           log and the report) modulo 100000, zero-padded: it ties the minidump to its
 *           MEMORY.DMP and report, and orders the minidumps of one day.
 *   NN      01..99: the first that gives a name not already in the folder.
 * The suffix ".dmp" is written in lower case and accepted in any case (FAT keeps the case of
 * long names but compares without it).
 *
 * Century: a name holds two digits of the year. Parsing maps them to the latest year that is
 * not after ref_year + 1 (the caller's current year from the RTC; +1 allows for a clock that
 * is a little behind): with ref_year 2026, "99" is 1999, "27" 2027, "28" 1928.
 */
#define DUMP_MINI_NAME_LEN   19u       /* characters, without the NUL */
#define DUMP_MINI_NUMBER_MOD 100000u   /* NNNNN */
#define DUMP_MINI_DUP_MAX    99u       /* NN */

struct dump_mini_name {
    unsigned year;       /* full year, 1..9999 (only year % 100 is in the name) */
    unsigned month;      /* 1..12 */
    unsigned day;        /* 1..days of that month (29 February only in a leap year) */
    uint32_t number;     /* NNNNN: 0..99999 */
    unsigned dup;        /* NN: 1..99 */
};

/* NNNNN for a dump sequence number. */
static inline uint32_t dump_mini_name_number(uint64_t sequence)
{
    return (uint32_t)(sequence % DUMP_MINI_NUMBER_MOD);
}

/* Writes the name of *n and a NUL into buf. Returns DUMP_MINI_NAME_LEN, ERR_INVALID_ARGS (a
 * field out of range, NULL), or ERR_RANGE (size < DUMP_MINI_NAME_LEN + 1). */
int dump_mini_name_format(const struct dump_mini_name *n, char *buf, size_t size);

/* Parses a name (the whole string; no path). Returns 0 with *out filled, or ERR_NOT_FOUND for
 * anything that is not exactly a minidump name with a real date and NN in 01..99, or
 * ERR_INVALID_ARGS (NULL, ref_year outside 1..9998). */
int dump_mini_name_parse(const char *name, unsigned ref_year, struct dump_mini_name *out);

/* Tells whether a file of that name exists in the folder: 1 yes, 0 no, or a negative ERR_*. */
typedef int (*dump_name_exists_fn)(void *ctx, const char *name);

/* Picks the first NN from n->dup (1 if 0) to 99 whose name does not exist, sets n->dup and
 * writes the name into buf. Returns DUMP_MINI_NAME_LEN, ERR_EXISTS (all taken), the
 * callback's error, or dump_mini_name_format's. */
int dump_mini_name_pick(struct dump_mini_name *n, dump_name_exists_fn exists, void *ctx,
                        char *buf, size_t size);

/* Which minidumps to delete so that the newest `keep` (MinidumpsCount) remain. names[0..n)
 * are the folder's entries; those that do not parse (other files, "." entries) are ignored.
 * Newest means the latest (date, NNNNN, NN), compared as numbers after century mapping with
 * ref_year (never as strings). order[] (n entries, caller's) receives indices into names:
 * first *del_count entries to delete, oldest first, then the *kept_count kept, oldest first.
 * keep 0 deletes every minidump. Returns 0, or ERR_INVALID_ARGS (NULL with n > 0, bad
 * ref_year). Time O(n log n), no allocation. */
int dump_mini_names_prune(const char *const *names, size_t n, uint32_t keep, unsigned ref_year,
                          size_t *order, size_t *del_count, size_t *kept_count);

/* "DUMPxxxx.TMP": four upper-case hex digits of `number`. */
#define DUMP_TMP_NAME_LEN 12u

/* Writes the DUMPxxxx.TMP name of `number` and a NUL. Returns DUMP_TMP_NAME_LEN, or ERR_RANGE
 * (size < DUMP_TMP_NAME_LEN + 1), ERR_INVALID_ARGS (buf NULL). */
int dump_tmp_name_format(uint16_t number, char *buf, size_t size);

/* Parses "DUMPxxxx.TMP" (any case). Returns 0 with *number set, or ERR_NOT_FOUND, or
 * ERR_INVALID_ARGS (NULL). */
int dump_tmp_name_parse(const char *name, uint16_t *number);

#endif
