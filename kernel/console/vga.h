/* VGA text-mode console (80x25 at physical 0xB8000): scrolling output with colours and the
 * hardware cursor. No locks and no allocation: safe at bugcheck time. */
#ifndef BB_VGA_H
#define BB_VGA_H

#include <stdint.h>

#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR_NORMAL 0x07   /* light grey on black */
#define VGA_ATTR_BLUESCREEN 0x1F /* white on blue */

void vga_init(void);
/* Write one character with the current attribute; handles \n, \r, \b and scrolling. */
void vga_putc(char c);
/* Clear the screen to attribute attr and make it the current attribute. */
void vga_clear(uint8_t attr);

#endif
