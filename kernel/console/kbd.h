/* PS/2 keyboard, polled: scancode set 1 (as the firmware leaves the i8042 translating) to
 * console key codes. */
#ifndef BB_KBD_H
#define BB_KBD_H

/* Returns a console key code (see console.h) if a key was pressed, else -1. Never blocks. */
int kbd_poll(void);

#endif
