/* VGA text-mode output: character cells at 0xB8000 reached through the direct map
 * mapping, CRT controller ports for the cursor. */
#include "console/vga.h"
#include "arch/cpu.h"
#include "mm/layout.h"

#define VGA_TEXT_PHYS 0xB8000
#define CRTC_INDEX 0x3D4
#define CRTC_DATA  0x3D5
#define CRTC_CURSOR_HI 0x0E
#define CRTC_CURSOR_LO 0x0F

#define vga_cells ((volatile uint16_t *)phys_to_virt(VGA_TEXT_PHYS))
static unsigned vga_row, vga_col;
static uint8_t vga_attr = VGA_ATTR_NORMAL;

static void vga_move_cursor(void)
{
    uint16_t pos = (uint16_t)(vga_row * VGA_COLS + vga_col);
    outb(CRTC_INDEX, CRTC_CURSOR_HI);
    outb(CRTC_DATA, (uint8_t)(pos >> 8));
    outb(CRTC_INDEX, CRTC_CURSOR_LO);
    outb(CRTC_DATA, (uint8_t)pos);
}

void vga_clear(uint8_t attr)
{
    vga_attr = attr;
    for (unsigned i = 0; i < VGA_COLS * VGA_ROWS; i++)
        vga_cells[i] = (uint16_t)(attr << 8 | ' ');
    vga_row = vga_col = 0;
    vga_move_cursor();
}

void vga_init(void)
{
    vga_clear(VGA_ATTR_NORMAL);
}

static void vga_scroll(void)
{
    for (unsigned i = 0; i < VGA_COLS * (VGA_ROWS - 1); i++)
        vga_cells[i] = vga_cells[i + VGA_COLS];
    for (unsigned i = 0; i < VGA_COLS; i++)
        vga_cells[VGA_COLS * (VGA_ROWS - 1) + i] = (uint16_t)(vga_attr << 8 | ' ');
    vga_row = VGA_ROWS - 1;
}

void vga_putc(char c)
{
    switch (c) {
    case '\n':
        vga_col = 0;
        vga_row++;
        break;
    case '\r':
        vga_col = 0;
        break;
    case '\b':
        if (vga_col > 0)
            vga_col--;
        break;
    default:
        vga_cells[vga_row * VGA_COLS + vga_col] = (uint16_t)(vga_attr << 8 | (uint8_t)c);
        if (++vga_col == VGA_COLS) {
            vga_col = 0;
            vga_row++;
        }
    }
    if (vga_row == VGA_ROWS)
        vga_scroll();
    vga_move_cursor();
}
