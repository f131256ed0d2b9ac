/* mkksyms: builds the kernel symbol table blob (kernel/lib/ksym.h) from the output of
 * `nm -n --defined-only --print-size kernel.elf` on stdin, written to the file named by
 * argv[1]. Host build tool. Usage: nm -n --defined-only --print-size k.elf | mkksyms out.bin
 * Unit tests include this file with MKKSYMS_NO_MAIN defined and call mkksyms_main(). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ksym.h"

/* One text symbol read from nm. */
struct msym {
    uint64_t addr;
    uint64_t size;     /* 0 when nm printed none */
    int rank;          /* T 3, W 2, t 1, w 0: higher wins among symbols at one address */
    size_t order;      /* input line, to keep the choice stable */
    char *name;        /* malloc'd, non-empty */
};

struct msyms {
    struct msym *v;
    size_t n, cap;
};

static void msyms_free(struct msyms *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].name);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* Parses 1 to 16 hex digits; returns 0 or -1. */
static int parse_hex(const char *s, uint64_t *v)
{
    size_t n = strlen(s);

    if (n == 0 || n > 16)
        return -1;
    *v = 0;
    for (; *s != '\0'; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return -1;
        *v = (*v << 4) | (uint64_t)d;
    }
    return 0;
}

static int type_rank(char type)
{
    switch (type) {
    case 'T': return 3;
    case 'W': return 2;
    case 't': return 1;
    case 'w': return 0;
    default:  return -1;
    }
}

/* Parses one line (newline removed) into *m. Returns 1 for a text symbol (m->name is then
 * malloc'd), 0 for a line to skip (blank, or not a text symbol), -1 if malformed with a
 * reason in *why. */
static int parse_line(char *line, struct msym *m, const char **why)
{
    char *f[5], *save = NULL;
    int nf = 0;
    char type;

    for (char *tok = strtok_r(line, " \t\r", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\r", &save)) {
        if (nf == 5)
            break;
        f[nf++] = tok;
    }
    if (nf == 0)
        return 0;
    if (nf < 3 || nf > 4) {
        *why = "expected \"ADDR [SIZE] TYPE NAME\"";
        return -1;
    }
    if (parse_hex(f[0], &m->addr) != 0) {
        *why = "address is not 1-16 hex digits";
        return -1;
    }
    m->size = 0;
    if (nf == 4 && parse_hex(f[1], &m->size) != 0) {
        *why = "size is not 1-16 hex digits";
        return -1;
    }
    if (strlen(f[nf - 2]) != 1) {
        *why = "type is not a single character";
        return -1;
    }
    type = f[nf - 2][0];
    m->rank = type_rank(type);
    if (m->rank < 0)
        return 0;
    if (m->size > UINT32_MAX) {
        *why = "symbol size does not fit in 32 bits";
        return -1;
    }
    m->name = strdup(f[nf - 1]);
    if (m->name == NULL) {
        *why = "out of memory";
        return -1;
    }
    return 1;
}

/* Reads all of `in`, keeping the text symbols. Returns 0, or -1 after printing an error. */
static int read_syms(FILE *in, const char *in_name, struct msyms *s)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;

    while ((n = getline(&line, &cap, in)) >= 0) {
        struct msym m;
        const char *why = NULL;
        int kind;

        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (strlen(line) != (size_t)n) {
            fprintf(stderr, "mkksyms: %s:%zu: malformed line: contains a NUL byte\n",
                    in_name, lineno);
            rc = -1;
            break;
        }
        kind = parse_line(line, &m, &why);
        if (kind < 0) {
            fprintf(stderr, "mkksyms: %s:%zu: malformed line: %s\n", in_name, lineno, why);
            rc = -1;
            break;
        }
        if (kind == 0)
            continue;
        if (s->n == s->cap) {
            size_t ncap = s->cap ? 2 * s->cap : 256;
            struct msym *nv = realloc(s->v, ncap * sizeof *nv);
            if (nv == NULL) {
                free(m.name);
                fprintf(stderr, "mkksyms: out of memory\n");
                rc = -1;
                break;
            }
            s->v = nv;
            s->cap = ncap;
        }
        m.order = lineno;
        s->v[s->n++] = m;
    }
    if (rc == 0 && ferror(in)) {
        fprintf(stderr, "mkksyms: %s: read error: %s\n", in_name, strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

/* Address ascending; at one address the preferred symbol first. */
static int msym_cmp(const void *pa, const void *pb)
{
    const struct msym *a = pa, *b = pb;

    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank > b->rank ? -1 : 1;
    if ((a->size != 0) != (b->size != 0))
        return a->size != 0 ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Sorts, keeps one symbol per address (with the largest size any alias has there), and
 * serialises the table into a malloc'd blob. Returns 0, or -1 after printing an error. */
static int build_blob(struct msyms *s, uint8_t **blob_out, size_t *len_out)
{
    size_t kept = 0, strtab = 1;
    struct ksym_hdr h;
    uint8_t *blob;
    size_t len, str_at;

    if (s->n > 0)
        qsort(s->v, s->n, sizeof *s->v, msym_cmp);
    for (size_t i = 0; i < s->n; i++) {
        if (kept > 0 && s->v[kept - 1].addr == s->v[i].addr) {
            if (s->v[i].size > s->v[kept - 1].size)
                s->v[kept - 1].size = s->v[i].size;
            free(s->v[i].name);
            continue;
        }
        s->v[kept++] = s->v[i];
        strtab += strlen(s->v[i].name) + 1;
    }
    s->n = kept;
    if (kept > UINT32_MAX || strtab > UINT32_MAX) {
        fprintf(stderr, "mkksyms: table too large (%zu symbols, %zu bytes of names)\n",
                kept, strtab);
        return -1;
    }
    len = KSYM_BLOB_SIZE(kept, strtab);
    blob = calloc(1, len);
    if (blob == NULL) {
        fprintf(stderr, "mkksyms: out of memory\n");
        return -1;
    }
    memcpy(h.magic, KSYM_MAGIC, KSYM_MAGIC_LEN);
    h.count = (uint32_t)kept;
    h.strtab_size = (uint32_t)strtab;
    memcpy(blob, &h, sizeof h);
    str_at = 1;   /* offset 0 holds an empty string that no entry uses */
    for (size_t i = 0; i < kept; i++) {
        struct ksym_entry e = {
            .addr = s->v[i].addr,
            .size = (uint32_t)s->v[i].size,
            .name_off = (uint32_t)str_at,
        };
        size_t nlen = strlen(s->v[i].name) + 1;
        memcpy(blob + sizeof h + i * sizeof e, &e, sizeof e);
        memcpy(blob + KSYM_BLOB_SIZE(kept, 0) + str_at, s->v[i].name, nlen);
        str_at += nlen;
    }
    if (ksym_validate(blob, len) != (int)kept) {
        fprintf(stderr, "mkksyms: internal error: built table fails ksym_validate\n");
        free(blob);
        return -1;
    }
    *blob_out = blob;
    *len_out = len;
    return 0;
}

static int write_file(const char *path, const uint8_t *blob, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL) {
        fprintf(stderr, "mkksyms: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fwrite(blob, 1, len, f) != len || fflush(f) != 0 || ferror(f)) {
        fprintf(stderr, "mkksyms: %s: write error: %s\n", path, strerror(errno));
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "mkksyms: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The whole tool, reading nm output from `in`. Returns the exit status: 0, 1 on bad input
 * or I/O failure (then no output file is left behind, not even an older one), 2 on bad
 * usage. */
int mkksyms_main(int argc, char **argv, FILE *in);

int mkksyms_main(int argc, char **argv, FILE *in)
{
    struct msyms s = { 0 };
    uint8_t *blob = NULL;
    size_t len = 0;
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: nm -n --defined-only --print-size KERNEL | mkksyms OUT\n");
        return 2;
    }
    if (read_syms(in, "stdin", &s) == 0 && build_blob(&s, &blob, &len) == 0 &&
        write_file(argv[1], blob, len) == 0)
        rc = 0;
    else
        unlink(argv[1]);
    free(blob);
    msyms_free(&s);
    return rc;
}

#ifndef MKKSYMS_NO_MAIN
int main(int argc, char **argv)
{
    return mkksyms_main(argc, argv, stdin);
}
#endif
