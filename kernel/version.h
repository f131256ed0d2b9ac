/* Kernel version and GNU build-id (from the image's .note.gnu.build-id), which ties a dump
 * to the exact ELF it came from. */
#ifndef BB_VERSION_H
#define BB_VERSION_H

#include <stddef.h>
#include <stdint.h>

#define BLACKBOX_VERSION "0.1.0"

/* The build-id bytes; returns their count (0 if the note is missing). */
size_t version_build_id(const uint8_t **id);
/* The build-id as lower-case hex into buf (NUL-terminated; "unknown" if absent). */
void version_build_id_hex(char *buf, size_t size);

#endif
