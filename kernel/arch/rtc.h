/* The CMOS real-time clock (MC146818-compatible): wall-clock date and time for file
 * timestamps and dump headers. */
#ifndef BB_RTC_H
#define BB_RTC_H

#include <stdint.h>

struct rtc_time {
    uint16_t year;     /* e.g. 2026 */
    uint8_t month;     /* 1..12 */
    uint8_t day;       /* 1..31 */
    uint8_t hour;      /* 0..23 */
    uint8_t minute;    /* 0..59 */
    uint8_t second;    /* 0..59 */
};

/* Read the clock, retrying until two reads agree (no update in between). Returns 0,
 * ERR_TIMED_OUT if the clock never leaves update-in-progress, or ERR_CORRUPT if it holds an
 * impossible date. Safe at bugcheck time. */
int rtc_read(struct rtc_time *t);

#endif
