#!/usr/bin/python3
"""make bench: boot time under TCG. Prints, for a few boots of each guest (memory x CPUs), the
time from kernel entry to the shell prompt (the kernel's own TSC timestamp, logged as 'boot:
shell ready N us after kernel entry') and from QEMU start to the prompt (host wall clock):
256 MiB with 1, 2 and 4 CPUs, then 1 GiB and 16 GiB with 2 (the large guest's PFN database and
RAM map). Figures, never pass/fail; about 15 s on the 2-core host."""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "scenarios"))
from machine import Machine  # noqa: E402

RUNS = int(os.environ.get("BB_BENCH_RUNS", "3"))
GOAL_MS = 150
GUESTS = ((256, 1), (256, 2), (256, 4), (1024, 2), (16384, 2))   # (MiB, CPUs)
BOOT_LINE = r"boot: shell ready (\d+) us after kernel entry"


def one_boot(workdir, mem=256, smp=None):
    """Boot a guest to its prompt and quit it: (kernel entry -> prompt ms, QEMU start -> prompt ms)."""
    m = Machine(workdir, mem=mem, smp=smp, log_name="bench-serial.log")
    try:
        kernel_us = int(m.expect(BOOT_LINE, timeout=120).group(1))
        m.wait_prompt()
        wall = time.monotonic() - m.started
        return kernel_us / 1000.0, wall * 1000.0
    finally:
        m.close()


def main():
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for mem, smp in GUESTS:
            kernel, wall = [], []
            for i in range(RUNS):
                k, w = one_boot(d, mem, smp)
                kernel.append(k)
                wall.append(w)
                print(f"{mem:5} MiB, {smp} CPU(s), boot {i + 1}: kernel entry -> prompt {k:8.1f} ms   "
                      f"QEMU start -> prompt {w:8.1f} ms")
            rows.append((mem, smp, statistics.median(kernel), statistics.median(wall)))
    print(f"boot time under TCG, medians of {RUNS} boots (QEMU start -> prompt: SeaBIOS + GRUB + kernel)")
    print(f"{'guest':>9} {'CPUs':>5} {'kernel entry -> prompt':>23} {'QEMU start -> prompt':>21}")
    for mem, smp, k, w in rows:
        print(f"{mem:>5} MiB {smp:>5} {k:20.1f} ms {w:18.1f} ms")
    k1 = rows[0][2]
    print(f"kernel entry -> prompt, 256 MiB, 1 CPU: goal < {GOAL_MS} ms: {'met' if k1 < GOAL_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
