/* CMOS RTC access through ports 0x70/0x71; registers per the MC146818 data sheet. */
#include <stdbool.h>
#include <string.h>
#include "arch/rtc.h"
#include "arch/cpu.h"
#include "err.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71
#define CMOS_NMI_DISABLE 0x80   /* keep NMIs masked while the index is set */
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS   0x04
#define RTC_DAY     0x07
#define RTC_MONTH   0x08
#define RTC_YEAR    0x09
#define RTC_CENTURY 0x32        /* common location; used when it holds 19 or 20 */
#define RTC_STATUS_A 0x0A
#define RTC_STATUS_B 0x0B
#define RTC_A_UIP   0x80        /* update in progress */
#define RTC_B_24H   0x02        /* 24-hour mode */
#define RTC_B_BINARY 0x04       /* binary, not BCD */
#define RTC_HOUR_PM 0x80        /* 12-hour mode: PM flag in the hour register */
#define RTC_SPIN_LIMIT 1000000  /* status polls before giving up */
#define RTC_TRIES 5

static uint8_t cmos(uint8_t reg)
{
    outb(CMOS_INDEX, (uint8_t)(CMOS_NMI_DISABLE | reg));
    return inb(CMOS_DATA);
}

struct raw {
    uint8_t s, m, h, d, mo, y, c;
};

static int read_raw(struct raw *r)
{
    for (unsigned i = 0; cmos(RTC_STATUS_A) & RTC_A_UIP; i++)
        if (i == RTC_SPIN_LIMIT)
            return ERR_TIMED_OUT;
    *r = (struct raw){ cmos(RTC_SECONDS), cmos(RTC_MINUTES), cmos(RTC_HOURS), cmos(RTC_DAY),
                       cmos(RTC_MONTH), cmos(RTC_YEAR), cmos(RTC_CENTURY) };
    return 0;
}

static uint8_t bcd(uint8_t v) { return (uint8_t)((v >> 4) * 10 + (v & 0x0F)); }

int rtc_read(struct rtc_time *t)
{
    struct raw a, b;
    int rc = read_raw(&a);
    for (int i = 0; !rc && i < RTC_TRIES; i++) {
        rc = read_raw(&b);
        if (!rc && memcmp(&a, &b, sizeof a) == 0)
            break;
        a = b;
    }
    outb(CMOS_INDEX, 0);
    if (rc)
        return rc;
    uint8_t status_b = cmos(RTC_STATUS_B);
    outb(CMOS_INDEX, 0);
    bool pm = a.h & RTC_HOUR_PM;
    a.h &= (uint8_t)~RTC_HOUR_PM;
    if (!(status_b & RTC_B_BINARY)) {
        a.s = bcd(a.s); a.m = bcd(a.m); a.h = bcd(a.h);
        a.d = bcd(a.d); a.mo = bcd(a.mo); a.y = bcd(a.y); a.c = bcd(a.c);
    }
    if (!(status_b & RTC_B_24H))
        a.h = (uint8_t)(a.h % 12 + (pm ? 12 : 0));
    unsigned century = (a.c == 19 || a.c == 20) ? a.c : 20;
    *t = (struct rtc_time){ (uint16_t)(century * 100 + a.y), a.mo, a.d, a.h, a.m, a.s };
    if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > 31 || t->hour > 23 ||
        t->minute > 59 || t->second > 59)
        return ERR_CORRUPT;
    return 0;
}
