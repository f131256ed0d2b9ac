/* Hexadecimal digits, for the parsers of the portable cores (GPT GUID text, .reg files,
 * reg.exe arguments). Pure; safe anywhere. */
#ifndef BB_LIB_HEX_H
#define BB_LIB_HEX_H

/* The value 0..15 of hex digit c (either case), or -1 if c is not one. */
static inline int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
