/* The one error convention of Blackbox: functions return 0 (or a count) on success and a
 * negative ERR_* code on failure. Used by the kernel, userland and the host tools alike;
 * err_str() gives each a short English name for messages. */
#ifndef BB_ERR_H
#define BB_ERR_H

#define ERR_OK            0
#define ERR_GENERIC      (-1)   /* failure with no better code */
#define ERR_INVALID_ARGS (-2)   /* a caller passed a bad argument */
#define ERR_NO_MEMORY    (-3)   /* allocation failed */
#define ERR_NOT_FOUND    (-4)   /* no such object, key, file or symbol */
#define ERR_TIMED_OUT    (-5)   /* a hardware or protocol wait ran past its limit */
#define ERR_IO           (-6)   /* a device reported an error */
#define ERR_CORRUPT      (-7)   /* on-disk or in-memory data failed validation */
#define ERR_NO_SPACE     (-8)   /* target full or too small */
#define ERR_BUSY         (-9)   /* resource in use */
#define ERR_NOT_SUPPORTED (-10) /* feature or device variant not supported */
#define ERR_EXISTS       (-11)  /* object already exists */
#define ERR_RANGE        (-12)  /* value or address outside the allowed range */
#define ERR_TOO_BIG      (-13)  /* input larger than a fixed limit */
#define ERR_CHECKSUM     (-14)  /* a CRC or checksum did not match */
#define ERR_NOT_DIR      (-15)  /* path component is not a directory */
#define ERR_IS_DIR       (-16)  /* operation needs a file but found a directory */
#define ERR_NOT_EMPTY    (-17)  /* directory not empty */
#define ERR_BAD_STATE    (-18)  /* object is not in a state that allows the call */
#define ERR_ACCESS       (-19)  /* permission or validity check refused the access */
#define ERR_DUMP_TARGET  (-20)  /* the file is the crash-dump target the kernel holds (armed,
                                   or holding a dump not yet recovered): Windows' sharing
                                   violation, "in use by another process" */

/* Short description of an ERR_* code ("timed out"); "unknown error" for anything else.
 * Pure function, safe at bugcheck time. */
static inline const char *err_str(int err)
{
    switch (err) {
    case ERR_OK: return "ok";
    case ERR_GENERIC: return "error";
    case ERR_INVALID_ARGS: return "invalid argument";
    case ERR_NO_MEMORY: return "out of memory";
    case ERR_NOT_FOUND: return "not found";
    case ERR_TIMED_OUT: return "timed out";
    case ERR_IO: return "I/O error";
    case ERR_CORRUPT: return "corrupt data";
    case ERR_NO_SPACE: return "no space";
    case ERR_BUSY: return "busy";
    case ERR_NOT_SUPPORTED: return "not supported";
    case ERR_EXISTS: return "already exists";
    case ERR_RANGE: return "out of range";
    case ERR_TOO_BIG: return "too big";
    case ERR_CHECKSUM: return "checksum mismatch";
    case ERR_NOT_DIR: return "not a directory";
    case ERR_IS_DIR: return "is a directory";
    case ERR_NOT_EMPTY: return "directory not empty";
    case ERR_BAD_STATE: return "bad state";
    case ERR_ACCESS: return "access denied";
    case ERR_DUMP_TARGET: return "in use by the dump stack (the crash-dump target)";
    default: return "unknown error";
    }
}

#endif
