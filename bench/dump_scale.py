#!/usr/bin/python3
"""make bench: complete dumps as the guest grows, each beside QEMU's own `dump-guest-memory`
of the same guest in the same QEMU run (the monitor command first, timed until it returns,
then `crash manual`). Figures, never pass/fail.

1. CPUs: a 1 GiB guest with 1, 2 and 4 CPUs, to the pagefile on C: (AHCI) and to a dedicated
   dump file on D: (NVMe). About 3 minutes on the 2-core host, loaded by other work.
2. Size: a 6 GiB guest (more than a FAT32 file holds) with 2 CPUs to a dump partition made by
   `tools/mkdisk --dump-partition`: the system disk's (CrashControl\\DumpPartition = ahci0p2)
   and the data disk's (nvme0n1p2, chosen by the fallback chain). About 3 to 4.5 minutes on the
   same host (filling 4.5 GiB with `mark` and extracting each 6 GiB dump take much of it), and
   up to 13 GiB of the temporary directory's disk at a time; BB_BENCH_SKIP_6G=1 leaves it out.
Every case runs twice: on the idle guest, whose free memory is zero pages (which the writer
tests for zeros instead of checksumming), and with 3/4 of its memory filled with data first
(`mark TEXT PAGES`), which has to be checksummed: the case where the CPUs' help counts.

Each row: the kernel's own time of the dump (its "Dump #N" line: disk take-over to final
flush) and MB/s, the host's (`crash manual` to "Physical memory dump complete."), QEMU's
dump-guest-memory time (the median of 3 for the 1 GiB guest, one run for the 6 GiB), our host time as a ratio of it (goal <= 1: no slower than QEMU's
host-side dump), and the CPUs' shares of the checksums when the blue screen gives them
("Checksums by CPU: ..."; "-" otherwise). The guest is stopped once the dump is written;
`bbdump extract` then finds the dump on the images and checks every chunk while copying it.
Every QEMU run is bounded (Machine's hard limit, per-wait timeouts); the sparse images live
in a temporary directory removed at the end."""
import os
import re
import statistics
import subprocess
import tempfile
import time

from boot_time import BOOT_LINE
from dump import ARMED, BBDUMP, CRASHCONTROL, crash_and_time, make_disk, mbps, reg_add, run, section
from machine import Machine  # tests/scenarios, on the path once dump is imported

MKDISK = os.path.join(os.path.dirname(BBDUMP), "mkdisk")
SMALL_MIB = 1024
BIG_MIB = 6144
CPU_COUNTS = (1, 2, 4)
BIG_CPUS = 2
SKIP_BIG = os.environ.get("BB_BENCH_SKIP_6G", "") not in ("", "0")
PARTITION = "6400M"          # a dump partition holding the 6 GiB guest's complete dump
MEMORY_MANAGEMENT = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management"


def small_disks(d, target):
    """A 1 GiB guest's disks for a complete dump to `target`: "ahci" (the system-managed
    pagefile on C:) or "nvme" (D:\\DEDICATED.DMP). Returns (system, data or None)."""
    system = make_disk(d, "system.img", "SYSTEM")
    reg_add(system, CRASHCONTROL, "CrashDumpEnabled", "REG_DWORD", 1)
    if target == "ahci":
        return system, None
    data = make_disk(d, "data.img", "DATA")
    reg_add(system, CRASHCONTROL, "DedicatedDumpFile", "REG_SZ", "D:\\DEDICATED.DMP")
    reg_add(system, CRASHCONTROL, "DumpFileSize", "REG_DWORD", SMALL_MIB + 64)
    return system, data


def big_disks(d, target):
    """A 6 GiB guest's disks for a complete dump to a dump partition: the system disk's,
    named in CrashControl\\DumpPartition ("ahci"), or the data disk's ("nvme"), which the
    chain picks since no FAT32 file holds 6 GiB. Returns (system, data or None)."""
    system = os.path.join(d, "system.img")
    if target == "ahci":
        run(MKDISK, "--dump-partition", PARTITION, system, "8G", "SYSTEM", timeout=120)
        reg_add(system, MEMORY_MANAGEMENT, "PagingFiles", "REG_MULTI_SZ", "C:\\pagefile.sys 0 0")
        reg_add(system, CRASHCONTROL, "DumpPartition", "REG_SZ", "ahci0p2")
        data = None
    else:
        run(MKDISK, system, "1G", "SYSTEM", timeout=120)
        data = os.path.join(d, "data.img")
        run(MKDISK, "--dump-partition", PARTITION, data, "7G", "DATA", timeout=120)
    reg_add(system, CRASHCONTROL, "CrashDumpEnabled", "REG_DWORD", 1)
    return system, data


def dump_beside_qemu(d, mem, smp, system, data, clone, target_re, busy_mib, qemu_runs, log_name):
    """Boot, check `dumpcfg` (armed, on target_re through clone), fill busy_mib MiB of memory
    with data, time QEMU's dump-guest-memory of this guest qemu_runs times (qemu_s: the
    median), then ours; stop the guest and
    check the dump with `bbdump extract`. Returns crash_and_time's dict plus boot_ms (kernel
    entry -> prompt, which includes preparing the dump target), qemu_s, qemu_bytes, valid."""
    m = Machine(d, mem=mem, smp=smp, system=system, data=data, log_name=log_name)
    try:
        boot_ms = int(m.expect(BOOT_LINE, timeout=300).group(1)) / 1000.0
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        if not (ARMED.search(cfg) and re.search(rf"clone:\s+{clone},", cfg)
                and re.search(rf"target:\s+{target_re}", cfg)):
            raise RuntimeError(f"not armed on {target_re} through {clone}:\n{cfg}")
        if busy_mib:
            m.cmd(f"mark BENCH-SCALE-DATA- {busy_mib * 256}", timeout=900)
        elf, qemu_times = os.path.join(d, "qemu.elf"), []
        for _ in range(qemu_runs):
            subprocess.run(["sync"], timeout=300)
            reply = m.monitor(f"dump-guest-memory {elf}", timeout=900)
            qemu_times.append(m.monitor_seconds)
            if "rror" in reply:
                raise RuntimeError(reply.strip())
            qemu_bytes = os.path.getsize(elf)
            os.unlink(elf)
        qemu_s = statistics.median(qemu_times)
        subprocess.run(["sync"], timeout=300)
        res = crash_and_time(m, timeout=900)
        m.monitor("quit", timeout=30)
        m.wait_exit(timeout=60)
    finally:
        m.close()
    res.update(boot_ms=boot_ms, qemu_s=qemu_s, qemu_bytes=qemu_bytes,
               valid=extract_valid(d, [system] + ([data] if data else [])))
    return res


def extract_valid(d, images):
    """Whether `bbdump extract` finds a valid complete dump on the images (it checks every
    chunk's CRC while copying); the copy is deleted."""
    out = os.path.join(d, "extract")
    try:
        r = subprocess.run([BBDUMP, "extract", *images, "-o", out], capture_output=True, text=True,
                           timeout=900)
        return r.returncode == 0 and re.search(r"\scomplete\s.*\svalid", r.stdout) is not None
    finally:
        subprocess.run(["rm", "-rf", out], check=True, timeout=300)


def part(title, mem, rows, disks, targets, qemu_runs):
    """One table: a row per (target, CPUs) of `rows`, idle and busy, each on fresh images."""
    print(f"{title} (host load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs: figures vary with it)")
    results = []
    with tempfile.TemporaryDirectory(prefix="bb-bench-scale-") as d:
        for target, smp, busy_mib in [(t, n, b) for t, n in rows for b in (0, mem * 3 // 4)]:
            clone, target_re = targets[target]

            def one():
                system, data = disks(d, target)
                try:
                    return dump_beside_qemu(d, mem, smp, system, data, clone, target_re, busy_mib, qemu_runs,
                                            f"bench-scale-{mem}-{target}-{smp}-{busy_mib}.log")
                finally:
                    for img in (system, data):
                        if img and os.path.exists(img):
                            os.unlink(img)
            t0 = time.monotonic()
            r = section(f"{target.upper()} with {smp} CPU(s), {busy_mib} MiB of data", one)
            if r:
                print(f"  {target.upper()}, {smp} CPU(s), {busy_mib} MiB of data: {r['mib']} MiB to {r['target']} in "
                      f"{r['kernel_ms']} ms (kernel), {r['wall_s']:.2f} s (host); QEMU {r['qemu_s']:.2f} s; "
                      f"boot {r['boot_ms']:.1f} ms; {'valid' if r['valid'] else 'NOT VALID'} "
                      f"({time.monotonic() - t0:.0f} s for the row)")
            results.append((target, smp, busy_mib, r))
    table(mem, results)


def shares(r):
    cpus = r.get("cpu_mib")
    return " ".join(f"{c}:{n}" for c, n in sorted(cpus.items())) if cpus else "-"


def table(mem, results):
    print(f"complete dump of a {mem} MiB guest, MB = 10^6 bytes; data: MiB filled with data first\n"
          "  ours: the kernel's clock (disk take-over -> final flush); host: `crash manual` -> dump complete,\n"
          "  of which pre: up to \"Beginning dump\" (CPUs stopped, CRC re-check, snapshot, disk take-over)\n"
          "  ratio: host / QEMU (goal <= 1); crc: the kernel's checksumming time; by CPU: MiB each CPU checksummed")
    print(f"{'target':6} {'CPUs':>4} {'data':>5} {'ours s':>7} {'MB/s':>6} {'host s':>7} {'MB/s':>6} "
          f"{'pre s':>6} {'QEMU s':>7} {'MB/s':>6} {'ratio':>6} {'crc s':>6} {'valid':>5}  by CPU")
    for target, smp, busy_mib, r in results:
        if not r:
            print(f"{target.upper():6} {smp:>4} {busy_mib:>5}  not measured")
            continue
        n = r["mib"] << 20
        ks = r["kernel_ms"] / 1000.0
        print(f"{target.upper():6} {smp:>4} {busy_mib:>5} {ks:7.2f} {mbps(n, ks):6.0f} {r['wall_s']:7.2f} "
              f"{mbps(n, r['wall_s']):6.0f} {r['marks']['begin']:6.2f} {r['qemu_s']:7.2f} {mbps(r['qemu_bytes'], r['qemu_s']):6.0f} "
              f"{r['wall_s'] / r['qemu_s']:5.2f}x {r['crc_ms'] / 1000:6.2f} {'yes' if r['valid'] else 'NO':>5}  "
              f"{shares(r)}")
        host_writing = r["marks"]["done"] - r["marks"]["begin"]
        if ks < host_writing / 2:
            print(f"  ^ the kernel's clock says {ks:.2f} s for {host_writing:.2f} s of writing by the host's: "
                  "probably a TSC calibration stretched by host load at boot; the host column holds")
    print()


def main():
    t0 = time.monotonic()
    part(f"dump_scale 1: a {SMALL_MIB} MiB guest with {', '.join(map(str, CPU_COUNTS))} CPUs", SMALL_MIB,
         [(t, n) for t in ("ahci", "nvme") for n in CPU_COUNTS], small_disks,
         {"ahci": ("dump_ahci", r"C:\\pagefile\.sys"), "nvme": ("dump_nvme", r"D:\\DEDICATED\.DMP")}, 3)
    if SKIP_BIG:
        print("dump_scale 2 (6 GiB guest): skipped (BB_BENCH_SKIP_6G)")
    else:
        part(f"dump_scale 2: a {BIG_MIB} MiB guest with {BIG_CPUS} CPUs to a dump partition", BIG_MIB,
             [("ahci", BIG_CPUS), ("nvme", BIG_CPUS)], big_disks,
             {"ahci": ("dump_ahci", r"ahci0p2\s*\n"), "nvme": ("dump_nvme", r"nvme0n1p2\s*\n")}, 1)
    print(f"dump_scale: {time.monotonic() - t0:.0f} s in all")


if __name__ == "__main__":
    main()
