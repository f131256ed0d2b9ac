#!/usr/bin/python3
"""make bench: boot time under TCG. Prints, for a few boots, the time from kernel entry to the
shell prompt (the kernel's own TSC timestamp, logged as 'boot: shell ready N us after kernel
entry') and from QEMU start to the prompt (host wall clock). Figures, never pass/fail."""
import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "scenarios"))
from machine import Machine  # noqa: E402

RUNS = int(os.environ.get("BB_BENCH_RUNS", "3"))
GOAL_MS = 150


def one_boot(workdir):
    m = Machine(workdir, log_name="bench-serial.log")
    try:
        kernel_us = int(m.expect(r"boot: shell ready (\d+) us after kernel entry", timeout=120).group(1))
        m.wait_prompt()
        wall = time.monotonic() - m.started
        return kernel_us / 1000.0, wall * 1000.0
    finally:
        m.close()


def main():
    kernel, wall = [], []
    with tempfile.TemporaryDirectory() as d:
        for i in range(RUNS):
            k, w = one_boot(d)
            kernel.append(k)
            wall.append(w)
            print(f"boot {i + 1}: kernel entry -> prompt {k:8.1f} ms   QEMU start -> prompt {w:8.1f} ms")
    print(f"kernel entry -> prompt (TCG): median {statistics.median(kernel):.1f} ms, "
          f"goal < {GOAL_MS} ms: {'met' if statistics.median(kernel) < GOAL_MS else 'NOT met'}")
    print(f"QEMU start -> prompt (TCG):   median {statistics.median(wall):.1f} ms "
          f"(SeaBIOS + GRUB + kernel)")


if __name__ == "__main__":
    main()
