/* The hive files on FAT32: reading with the integrity check and the fallbacks, and the
 * crash-safe save whose every step is explained in reg_hive.h. */
#include <string.h>
#include "config/reg_hive.h"
#include "err.h"

static const char *const paths[REG_HIVE_FILES] = {
    REG_HIVE_DIR "\\SYSTEM.REG", REG_HIVE_DIR "\\SYSTEM.NEW", REG_HIVE_DIR "\\SYSTEM.OLD",
};
#define PATH_BAD REG_HIVE_DIR "\\SYSTEM.BAD"

const char *reg_hive_path(enum reg_hive_file f)
{
    return f < REG_HIVE_FILES ? paths[f] : PATH_BAD;
}

/* Read, verify and parse one file into t. */
static int load_one(struct fat_vol *vol, const char *path, struct reg_tree *t,
                    struct reg_hive_status *st)
{
    struct fat_file f;
    int rc = fat_open(vol, path, &f);
    if (rc)
        return rc;
    uint32_t size = fat_file_size(&f);
    if (size > REG_HIVE_MAX)
        return ERR_TOO_BIG;
    char *text = t->env->alloc(t->env->ctx, size ? size : 1);
    if (!text)
        return ERR_NO_MEMORY;
    size_t done = 0;
    rc = fat_read(&f, 0, text, size, &done);
    if (rc == 0 && done != size)
        rc = ERR_IO;
    if (rc == 0 && reg_hive_verify(text, size))
        rc = ERR_CHECKSUM;
    if (rc == 0)
        rc = reg_parse(t, text, size, &st->perr);
    t->env->free(t->env->ctx, text);
    if (rc)
        reg_tree_clear(t);
    return rc;
}

int reg_hive_load(struct reg_hive *h, struct fat_vol *vol, struct reg_tree *t)
{
    bool no_memory = false;
    memset(h, 0, sizeof *h);
    h->vol = vol;
    h->source = -1;
    for (int i = 0; i < REG_HIVE_FILES; i++)
        h->status[i].rc = ERR_NOT_FOUND;
    /* A file too large for this build or for the memory left is not corrupt: go on to the
     * next one, which may be smaller, and leave the file alone (reg_bad stays false). */
    for (int i = 0; i < REG_HIVE_FILES && h->source < 0; i++) {
        int rc = load_one(vol, paths[i], t, &h->status[i]);
        h->status[i].rc = rc;
        no_memory |= rc == ERR_NO_MEMORY;
        if (rc == 0)
            h->source = i;
    }
    int reg = h->status[REG_HIVE_REG].rc;
    h->reg_exists = reg != ERR_NOT_FOUND;
    h->reg_valid = h->source == REG_HIVE_REG;
    h->reg_bad = reg == ERR_CHECKSUM || reg == ERR_CORRUPT;
    if (h->source >= 0)
        return h->source;
    return no_memory ? ERR_NO_MEMORY : ERR_NOT_FOUND;
}

static int unlink_if_there(struct fat_vol *vol, const char *path)
{
    int rc = fat_unlink(vol, path);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* Create path (which must not exist) holding text, and flush it to the disk. */
static int write_file(struct fat_vol *vol, const char *path, const char *text, size_t len)
{
    struct fat_file f;
    size_t done = 0;
    int rc = fat_mkdir(vol, REG_HIVE_DIR);
    if (rc == ERR_EXISTS)
        rc = 0;
    if (rc == 0)
        rc = fat_create(vol, path, &f);
    if (rc == 0)
        rc = fat_write(&f, 0, text, len, &done);
    if (rc == 0 && done != len)
        rc = ERR_IO;
    int sync = fat_sync(vol);
    return rc ? rc : sync;
}

/* SYSTEM.REG was not loaded: set a corrupt one aside, write it directly. One that was not
 * loaded for another reason (out of memory, too big, a read error) may be good: it is kept,
 * and nothing is saved. */
static int save_direct(struct reg_hive *h, const char *text, size_t len)
{
    int rc = 0;
    if (h->reg_exists && !h->reg_bad)
        return ERR_BAD_STATE;
    if (h->reg_exists) {
        rc = unlink_if_there(h->vol, PATH_BAD);
        if (rc == 0)
            rc = fat_rename(h->vol, paths[REG_HIVE_REG], PATH_BAD);
        if (rc)
            return rc;
    }
    h->reg_exists = true;
    h->reg_bad = false;
    rc = write_file(h->vol, paths[REG_HIVE_REG], text, len);
    h->reg_valid = rc == 0;
    return rc;
}

static int save_swap(struct reg_hive *h, const char *text, size_t len)
{
    int rc = unlink_if_there(h->vol, paths[REG_HIVE_NEW]);
    if (rc == 0)
        rc = write_file(h->vol, paths[REG_HIVE_NEW], text, len);
    if (rc == 0)
        rc = unlink_if_there(h->vol, paths[REG_HIVE_OLD]);
    if (rc == 0)
        rc = fat_rename(h->vol, paths[REG_HIVE_REG], paths[REG_HIVE_OLD]);
    if (rc)
        return rc;
    h->reg_exists = h->reg_valid = false;
    rc = fat_rename(h->vol, paths[REG_HIVE_NEW], paths[REG_HIVE_REG]);
    int sync = fat_sync(h->vol);
    if (rc == 0)
        rc = sync;
    if (rc == 0)
        h->reg_exists = h->reg_valid = true;
    return rc;
}

int reg_hive_save(struct reg_hive *h, const struct reg_tree *t)
{
    char *text;
    size_t len;
    int rc = reg_serialize(t, &text, &len);
    if (rc)
        return rc;
    rc = h->reg_valid ? save_swap(h, text, len) : save_direct(h, text, len);
    t->env->free(t->env->ctx, text);
    return rc;
}
