/* PS/2 keyboard polling: reads the i8042 output buffer, tracks shift/ctrl and the 0xE0
 * prefix, and turns make codes into characters or console key codes. */
#include <stdbool.h>
#include "console/kbd.h"
#include "console/console.h"
#include "arch/cpu.h"

#define I8042_DATA   0x60
#define I8042_STATUS 0x64
#define I8042_OUT_FULL 0x01  /* a byte is waiting in the output buffer */
#define I8042_AUX_DATA 0x20  /* that byte comes from the mouse */
#define SC_RELEASE 0x80      /* set-1 break code bit */
#define SC_EXTENDED 0xE0     /* prefix of extended keys */
#define SC_LSHIFT 0x2A
#define SC_RSHIFT 0x36
#define SC_CTRL   0x1D

static const char sc_plain[0x3A] = {
    0, 27, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', '\t',
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n', 0, 'a', 's',
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v',
    'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ',
};
static const char sc_shift[0x3A] = {
    0, 27, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b', '\t',
    'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n', 0, 'A', 'S',
    'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|', 'Z', 'X', 'C', 'V',
    'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ',
};

static bool shift, ctrl, extended;

static int kbd_extended_key(uint8_t sc)
{
    switch (sc) {
    case 0x48: return KEY_UP;
    case 0x50: return KEY_DOWN;
    case 0x4B: return KEY_LEFT;
    case 0x4D: return KEY_RIGHT;
    case 0x47: return KEY_HOME;
    case 0x4F: return KEY_END;
    case 0x53: return KEY_DELETE;
    case 0x1C: return '\n';
    default: return -1;
    }
}

int kbd_poll(void)
{
    uint8_t st = inb(I8042_STATUS);
    if (!(st & I8042_OUT_FULL))
        return -1;
    uint8_t sc = inb(I8042_DATA);
    if (st & I8042_AUX_DATA)
        return -1;
    if (sc == SC_EXTENDED) {
        extended = true;
        return -1;
    }
    bool release = sc & SC_RELEASE;
    uint8_t code = sc & (uint8_t)~SC_RELEASE;
    if (extended) {
        extended = false;
        if (code == SC_CTRL)
            ctrl = !release;
        return release ? -1 : kbd_extended_key(code);
    }
    if (code == SC_LSHIFT || code == SC_RSHIFT) {
        shift = !release;
        return -1;
    }
    if (code == SC_CTRL) {
        ctrl = !release;
        return -1;
    }
    if (release || code >= sizeof sc_plain)
        return -1;
    char c = shift ? sc_shift[code] : sc_plain[code];
    if (!c)
        return -1;
    if (ctrl && c >= 'a' && c <= 'z')
        return c - 'a' + 1;
    return c;
}
