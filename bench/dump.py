#!/usr/bin/python3
"""make bench: crash-dump throughput of a 1 GiB guest under TCG. Figures, never pass/fail.

1. Complete dump (CrashDumpEnabled=1) to the pagefile on C: (AHCI, dump_ahci): seconds and
   MB/s from the kernel's own timestamps (its "Dump #N: complete, X MiB in Y ms" line, timed
   from taking the disk to the final flush) and from the host's wall clock (sending
   `crash manual` to seeing "Physical memory dump complete."), with the host-side time of
   each blue-screen phase and the kernel's own split of the writing (its "Of which:" line:
   checksumming, waiting for the disk, and the data's flush, which runs beside the last
   checksums). After the reboot, the recovery's own figures (kernel clock, printed
   by smss and werfault): the full check of the dump, the file-system work of moving it out
   of the pagefile into C:\\MEMORY.DMP (goal < 50 ms whatever the size); MEMORY.DMP is copied
   off with mtools and `tools/bbdump check`ed.
2. The same to a dedicated dump file on D: (NVMe, dump_nvme), if this build arms one
   (CrashControl\\DedicatedDumpFile + DumpFileSize): its recovery is the cross-volume case,
   D:\\DUMPxxxx.TMP copied to C:\\MEMORY.DMP by werfault, in MB/s (compare with the live
   drivers' sequential figures of bench/storage.py: goal >= 80% of them).
   Both again with 3/4 of the memory filled with data first (`mark TEXT PAGES`): an idle
   guest's memory is mostly zero pages, which the writer tests for zeros instead of
   checksumming; data must be checksummed, and that run shows the cost.
3. In the same run, QEMU's own host-side dump of a 1 GiB guest (`dump-guest-memory` on the
   monitor, timed until the command returns) and our time as a ratio of it (goal <= 1.5x).
4. Kernel (automatic, CrashDumpEnabled=7) and small (3) dump sizes for that guest.
5. Host side of the first complete AHCI dump: `bbdump extract` of the system image (finds the
   dump, in C:\MEMORY.DMP or pagefile.sys, validates every chunk while copying it out) in MB/s against a plain
   `cp` and a `dd bs=8M` of the same number of bytes (goal: disk speed, i.e. close to them),
   and `bbdump analyze` wall time on the extracted dump (goal < 1 s); medians of 3.

Optional: BB_BENCH_DUMP_PROFILE=1 adds one more complete AHCI dump during which the guest's
RIP is sampled through the monitor (`info registers`) and symbolized with
build/blackbox.sym: a perf-free profile of where the dump's time goes (the sampling itself
slows the guest, so that run's time is not a figure).

Every QEMU run is bounded (Machine's hard limit and per-wait timeouts); images are sparse
and live in a temporary directory removed at the end."""
import bisect
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "scenarios"))
from machine import Machine  # noqa: E402

MEM_MIB = int(os.environ.get("BB_BENCH_DUMP_MEM", "1024"))
RUNS = int(os.environ.get("BB_BENCH_DUMP_RUNS", "3"))  # complete AHCI dumps (median)
QEMU_RUNS = int(os.environ.get("BB_BENCH_DUMP_QEMU_RUNS", "3"))
PROFILE = os.environ.get("BB_BENCH_DUMP_PROFILE", "") not in ("", "0")
DISK_SIZE = "4G"            # > RAM + header: the system-managed pagefile of a complete dump fits
DEDICATED_MB = MEM_MIB + 64  # DumpFileSize for the NVMe dedicated dump file
BUSY_MIB = MEM_MIB * 3 // 4  # memory filled with data (`mark`) for the busy-guest runs
GOAL_RATIO = 1.5
DUMP_TIMEOUT = 300           # seconds from the crash command to "dump complete"

MKDISK = os.path.join(ROOT, "tools", "mkdisk")
BBREG = os.path.join(ROOT, "tools", "bbreg")
BBDUMP = os.path.join(ROOT, "tools", "bbdump")
SYMS = os.path.join(ROOT, "build", "blackbox.sym")
CRASHCONTROL = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl"
KERNEL_VMA = 0xffffffff80000000
PART_OFFSET = 1 << 20        # mkdisk's partition starts 1 MiB in (512-byte sectors)
DUMP_LINE = re.compile(r"Dump #(\d+): (\w+), (\d+) MiB in (\d+) ms \((\d+) MB/s\) to ([^\r\n]+?)\.\r*\n")
SPLIT_LINE = re.compile(r"Of which: checksums (\d+) ms \((\d+) MiB of zero pages\), waiting for the disk "
                        r"(\d+) ms; the flush took (\d+) ms")
ARMED = re.compile(r"state:\s+ARMED")   # dumpcfg's state line ("NOT ARMED: ..." otherwise)
NEXT_LINE = re.compile(r"[^\r\n]*\r*\n([^\r\n]*)\r*\n")   # the rest of a line, then the next one
CPU_SHARE = re.compile(r"CPU (\d+) (\d+) MiB")
PHASES = (("stop", r"\*\*\* STOP: 0x"),
          ("collect", r"Collecting data for crash dump"),
          ("init", r"Initializing disk for crash dump"),
          ("begin", r"Beginning dump of physical memory"),
          ("done", r"Physical memory dump complete\."))


def run(*args, timeout=300):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, timeout=timeout)


def make_disk(d, name, label):
    path = os.path.join(d, name)
    run(MKDISK, path, DISK_SIZE, label, timeout=120)
    if label == "SYSTEM":   # keep MEMORY.DMP although a bench disk has < 25 GB free
        reg_add(path, CRASHCONTROL, "AlwaysKeepMemoryDump", "REG_DWORD", 1)
    return path


def reg_add(img, key, name, typ, data):
    run(BBREG, img, "add", key, "/v", name, "/t", typ, "/d", str(data), "/f", timeout=60)


def copy_out(img, src, dst):
    """A file off a mkdisk image's FAT32 volume, with mtools."""
    run("mcopy", "-o", "-n", "-i", f"{img}@@{PART_OFFSET}", "::/" + src, dst, timeout=300)
    return dst


def bbdump(*args):
    r = subprocess.run([BBDUMP, *args], capture_output=True, text=True, timeout=300)
    return r.returncode, (r.stdout + r.stderr).strip()


def field(info, name):
    m = re.search(rf"^{re.escape(name)}:\s+(\d+)", info, re.M)
    return int(m.group(1)) if m else None


class Sampler(threading.Thread):
    """Samples the guest's RIP through the monitor until stopped; counts by symbol."""

    def __init__(self, m):
        super().__init__(daemon=True)
        self.m, self.stop, self.rips = m, threading.Event(), []

    def run(self):
        while not self.stop.is_set():
            try:
                out = self.m.monitor("info registers", timeout=10)
            except OSError:
                break
            r = re.search(r"RIP=([0-9a-f]{16})", out)
            if r:
                self.rips.append(int(r.group(1), 16))
            time.sleep(0.02)


def load_syms(lines, bias=0, prefix=""):
    syms = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16) + bias, prefix + parts[2]))
    return syms


def symbolize(rips, clone_name=None, clone_base=None, clone_size=0):
    """Counts by function: the kernel's from build/blackbox.sym, the clone's
    (which runs from its own window) from nm of build/<clone>.elf, linked at 0."""
    with open(SYMS) as f:
        syms = [s for s in load_syms(f) if s[0] >= KERNEL_VMA]
    clone_elf = os.path.join(ROOT, "build", f"{clone_name}.elf") if clone_name else None
    if clone_base is not None and os.path.exists(clone_elf):
        out = subprocess.run(["nm", clone_elf], capture_output=True, text=True, timeout=60).stdout
        syms += load_syms(out.splitlines(), clone_base, clone_name + ":")
    syms.sort()
    addrs = [a for a, _ in syms]
    counts = {}
    for rip in rips:
        i = bisect.bisect_right(addrs, rip) - 1
        if clone_base is not None and clone_base <= rip < clone_base + clone_size:
            name = syms[i][1] if i >= 0 and syms[i][0] >= clone_base else clone_name
        elif rip >= KERNEL_VMA and i >= 0:
            name = syms[i][1]
        else:
            name = f"? {rip:#x}"
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


def crash_dump(d, system, data=None, want_clone=None, profile=False, log_name="bench-dump.log",
               busy_mib=0):
    """Boot a MEM_MIB guest, check `dumpcfg`, fill busy_mib MiB of its memory with data
    (`mark`), `crash manual`, time the phases on the host, wait for the reboot and power
    off. Returns a dict, or {"unavailable": reason}."""
    m = Machine(d, mem=MEM_MIB, system=system, data=data, log_name=log_name)
    res = {}
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        res["dumpcfg"] = cfg
        if not ARMED.search(cfg) or (want_clone and want_clone not in cfg):
            m.send("poweroff\r")
            m.wait_exit(timeout=60)
            return {"unavailable": cfg}
        if busy_mib:
            m.cmd(f"mark BENCH-BUSY-MEMORY- {busy_mib * 256}", timeout=300)
        res.update(crash_and_time(m, Sampler(m) if profile else None))
        m.wait_prompt(timeout=600)       # the reboot and the recovery (smss, werfault)
        recovery(m.child.before, res)
        m.send("poweroff\r")
        m.wait_exit(timeout=60)
    finally:
        m.close()
    return res


def crash_and_time(m, sampler=None, timeout=DUMP_TIMEOUT):
    """`crash manual` on a guest at its prompt; the host time of each blue-screen phase and
    the kernel's own figures: its "Dump #N" line, for a complete or kernel dump the "Of
    which" split, and the CPUs' shares of the checksums ("Checksums by CPU: CPU 0 N MiB,
    ...", in cpu_mib as {cpu: MiB}; absent from kernels whose parked CPUs do not checksum).
    Returns a dict; the guest is left rebooting."""
    res, marks = {}, {}
    m.child.delaybeforesend = None   # pexpect sleeps 50 ms before a send by default
    t0 = time.monotonic()
    m.send("crash manual\r")
    if sampler:
        sampler.start()
    for name, pattern in PHASES:
        m.expect(pattern, timeout=timeout)
        marks[name] = time.monotonic() - t0
    if sampler:
        sampler.stop.set()
        sampler.join(timeout=15)
        res["samples"] = sampler.rips
    g = m.expect(DUMP_LINE, timeout=30)
    res.update(marks=marks, wall_s=marks["done"], seq=int(g.group(1)), kind=g.group(2),
               mib=int(g.group(3)), kernel_ms=int(g.group(4)), kernel_rate=int(g.group(5)),
               target=g.group(6))
    if res["kind"] != "small":
        sp = m.expect(SPLIT_LINE, timeout=30)
        res.update(crc_ms=int(sp.group(1)), zero_mib=int(sp.group(2)), disk_ms=int(sp.group(3)),
                   flush_ms=int(sp.group(4)))
        following = m.expect(NEXT_LINE, timeout=60).group(1)
        if following.startswith("Checksums by CPU:"):
            res["cpu_mib"] = {int(c): int(n) for c, n in CPU_SHARE.findall(following)}
    return res


RECOVERY = (("check_ms", r"smss: checked \S+: \d+ chunks in (\d+) ms"),
            ("move_us", r"smss: file-system work of the move: (\d+) us"),
            ("copy_ms", r"werfault: copied \d+ KiB in (\d+) ms"),
            ("copy_rate", r"werfault: copied \d+ KiB in \d+ ms \((\d+) MB/s\)"),
            ("saved", r"werfault: dump #\d+ saved as (\S+)"))


def recovery(text, res):
    """The recovery's own figures (kernel clock) from what smss and werfault printed."""
    for key, pattern in RECOVERY:
        g = re.search(pattern, text)
        if g:
            res[key] = g.group(1) if key == "saved" else int(g.group(1))


def report_recovery(r):
    if "move_us" not in r:
        print("    recovery: no figures (smss did not report)")
        return
    line = (f"    recovery: smss checked the dump in {r['check_ms']} ms, moved it with "
            f"{r['move_us'] / 1000:.1f} ms of file-system work (goal < 50 ms: "
            f"{'met' if r['move_us'] < 50000 else 'NOT met'})")
    if "copy_ms" in r:
        line += f"; werfault copied it across volumes in {r['copy_ms']} ms ({r['copy_rate']} MB/s)"
    print(line + f"; saved as {r.get('saved', '?')}")


def check_dump(d, img, path_in_volume, res):
    local = copy_out(img, path_in_volume, os.path.join(d, "dump.out"))
    try:
        res["file_size"] = os.path.getsize(local)
        rc, out = bbdump("check", local)
        res["check"] = out.replace(local + ": ", "")
        res["check_ok"] = rc == 0
        _, info = bbdump("info", local)
        res["required"] = field(info, "required space")
    finally:
        os.unlink(local)


def timed(args, timeout=600):
    t0 = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return time.monotonic() - t0, r


def extract_and_analyze(d, img):
    """bbdump extract of the image vs cp and dd of as many bytes; bbdump analyze's time."""
    out = os.path.join(d, "extract")
    res = {"extract": [], "cp": [], "dd": [], "analyze": []}
    for _ in range(3):
        subprocess.run(["rm", "-rf", out], check=True)
        secs, r = timed([BBDUMP, "extract", img, "-o", out])
        if r.returncode != 0:
            raise RuntimeError("bbdump extract failed: " + (r.stdout + r.stderr)[-500:])
        # the complete dump it found: C:\MEMORY.DMP once smss recovered it, else the pagefile's
        m = re.search(r"^\S+\s+(\S+)\s+complete\s+\d+\s+\S+\s+\d+\s+valid", r.stdout, re.M)
        if not m:
            raise RuntimeError("bbdump extract found no valid complete dump:\n" + r.stdout)
        dump = os.path.join(out, m.group(1))
        nbytes = os.path.getsize(dump)
        res["bytes"] = nbytes
        res["extract"].append(secs)
        res["cp"].append(timed(["cp", dump, os.path.join(d, "cp.bin")])[0])
        os.unlink(os.path.join(d, "cp.bin"))
        res["dd"].append(timed(["dd", f"if={img}", f"of={os.path.join(d, 'dd.bin')}", "bs=8M",
                                f"count={nbytes}", "iflag=count_bytes"])[0])
        os.unlink(os.path.join(d, "dd.bin"))
        secs, r = timed([BBDUMP, "analyze", dump, "--kernel", os.path.join(ROOT, "build", "blackbox.elf")])
        if r.returncode != 0:
            raise RuntimeError("bbdump analyze failed: " + (r.stdout + r.stderr)[-500:])
        res["analyze"].append(secs)
    subprocess.run(["rm", "-rf", out], check=True)
    med = {k: statistics.median(v) for k, v in res.items() if isinstance(v, list)}
    n = res["bytes"]
    print(f"  host tools on the {n >> 20} MiB complete dump (medians of 3):")
    for k, label in (("extract", "bbdump extract (find, validate, copy)"), ("cp", "cp of the same bytes"),
                     ("dd", "dd bs=8M of the same bytes")):
        print(f"    {label:40} {med[k]:6.2f} s  {mbps(n, med[k]):7.1f} MB/s")
    print(f"    extract / cp: {med['extract'] / med['cp']:.2f}x the time")
    print(f"    bbdump analyze: {med['analyze']:.3f} s (goal < 1 s: {'met' if med['analyze'] < 1 else 'NOT met'})")
    return dict(med, bytes=n)


def qemu_dump(d):
    """QEMU's own dump of a MEM_MIB guest at its prompt: dump-guest-memory (ELF, synchronous)
    timed until the monitor command returns. Returns [(seconds, file bytes)]."""
    out = []
    m = Machine(d, mem=MEM_MIB, log_name="bench-qemu-dump.log")
    try:
        m.wait_prompt()
        for i in range(QEMU_RUNS):
            path = os.path.join(d, f"qemu-{i}.elf")
            subprocess.run(["sync"], timeout=120)
            reply = m.monitor(f"dump-guest-memory {path}", timeout=300)
            secs = m.monitor_seconds
            if "rror" in reply:
                raise RuntimeError(reply.strip())
            out.append((secs, os.path.getsize(path)))
            os.unlink(path)
        m.monitor("quit", timeout=30)
        m.wait_exit(timeout=60)
    finally:
        m.close()
    return out


def mbps(nbytes, secs):
    return nbytes / secs / 1e6 if secs > 0 else float("nan")


def report_complete(label, r):
    nbytes = r["mib"] << 20
    ks = r["kernel_ms"] / 1000.0
    marks = r["marks"]
    print(f"  {label}: {r['kind']} dump #{r['seq']}, {r['mib']} MiB to {r['target']}")
    print(f"    kernel clock (disk take-over -> final flush): {ks:6.2f} s  {mbps(nbytes, ks):6.1f} MB/s"
          f"  (kernel says {r['kernel_rate']} MB/s)")
    print(f"    host clock (`crash manual` -> dump complete): {r['wall_s']:6.2f} s  "
          f"{mbps(nbytes, r['wall_s']):6.1f} MB/s")
    print(f"    host clock by phase: `crash manual` -> STOP {marks['stop']:.2f} s, -> \"Beginning dump\" "
          f"(CRC re-check, snapshot, disk take-over) {marks['begin']:.2f} s, writing {marks['done'] - marks['begin']:.2f} s")
    if "crc_ms" in r:
        print(f"    kernel clock, split: checksumming the data {r['crc_ms'] / 1000:.2f} s "
              f"({mbps(nbytes, r['crc_ms'] / 1000):.0f} MB/s; {r['zero_mib']} MiB were pages of zeros, "
              f"checked for zeros rather than checksummed), waiting for the disk "
              f"{r['disk_ms'] / 1000:.2f} s; the data's flush took {r['flush_ms'] / 1000:.2f} s, beside the "
              f"last checksums")
    if "check" in r:
        print(f"    bbdump check: {r['check']}")
    report_recovery(r)


def minidump_path(img):
    """The (only) minidump in C:\\Minidump: a small dump is kept there, not in MEMORY.DMP."""
    out = run("mdir", "-b", "-i", f"{img}@@{PART_OFFSET}", "::/Minidump", timeout=60).stdout
    names = [l.rsplit("/", 1)[-1] for l in out.split() if l.endswith(".dmp")]
    return "Minidump/" + names[0]


def median_run(runs):
    """The run of median host time, with the median kernel time (figures of noisy runs)."""
    r = dict(sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2])
    r["kernel_ms"] = statistics.median(x["kernel_ms"] for x in runs)
    r["runs"] = len(runs)
    return r


def section(title, fn):
    try:
        return fn()
    except Exception as e:  # a figure we could not take is said, not fatal
        print(f"  {title}: not measured: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        return None


def main():
    results = {}
    print(f"dump: crash dumps of a {MEM_MIB} MiB guest under TCG, MB = 10^6 bytes, MiB = 2^20 "
          f"(host load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs: figures vary with it)")
    with tempfile.TemporaryDirectory(prefix="bb-bench-dump-") as d:
        # 1. complete dump to the pagefile on C: (AHCI)
        def ahci():
            runs = []
            for i in range(RUNS):
                img = make_disk(d, "system.img", "SYSTEM")
                try:
                    reg_add(img, CRASHCONTROL, "CrashDumpEnabled", "REG_DWORD", 1)
                    r = crash_dump(d, img, want_clone="dump_ahci", log_name=f"bench-dump-ahci-{i}.log")
                    if "unavailable" in r:
                        raise RuntimeError("dump stack not armed on AHCI:\n" + r["unavailable"])
                    check_dump(d, img, "MEMORY.DMP", r)
                    if i == 0:
                        results["tools"] = section("bbdump extract/analyze",
                                                   lambda: extract_and_analyze(d, img))
                finally:
                    os.unlink(img)
                report_complete(f"AHCI run {i + 1}", r)
                runs.append(r)
            return median_run(runs)
        results["ahci"] = section("AHCI complete dump", ahci)

        # 2. the same to a dedicated dump file on D: (NVMe), if this build has one
        def nvme():
            img = make_disk(d, "system.img", "SYSTEM")
            data = make_disk(d, "data.img", "DATA")
            try:
                reg_add(img, CRASHCONTROL, "CrashDumpEnabled", "REG_DWORD", 1)
                reg_add(img, CRASHCONTROL, "DedicatedDumpFile", "REG_SZ", "D:\\DEDICATED.DMP")
                reg_add(img, CRASHCONTROL, "DumpFileSize", "REG_DWORD", DEDICATED_MB)
                r = crash_dump(d, img, data=data, want_clone="dump_nvme", log_name="bench-dump-nvme.log")
                if "unavailable" in r:
                    cfg = r["unavailable"]
                    clone = re.search(r"clone:\s+(\S+?),", cfg)
                    tgt = re.search(r"target:\s+(.+)", cfg)
                    print("  NVMe: dumps to NVMe are not available in this build (with DedicatedDumpFile="
                          f"D:\\DEDICATED.DMP set, dumpcfg shows target {tgt.group(1).strip() if tgt else '?'}, "
                          f"clone {clone.group(1) if clone else '?'})")
                    return None
                check_dump(d, img, "MEMORY.DMP", r)   # recovered across volumes: D: -> C:
            finally:
                os.unlink(img)
                os.unlink(data)
            report_complete("NVMe", r)
            return r
        results["nvme"] = section("NVMe complete dump", nvme)

        # 2b. both again with most of the memory holding data: an idle guest's free memory is
        # zeros, which the writer checks for instead of checksumming; data has to be checksummed
        def busy(label, key):
            img = make_disk(d, "system.img", "SYSTEM")
            data = make_disk(d, "data.img", "DATA") if key == "nvme" else None
            try:
                reg_add(img, CRASHCONTROL, "CrashDumpEnabled", "REG_DWORD", 1)
                if data:
                    reg_add(img, CRASHCONTROL, "DedicatedDumpFile", "REG_SZ", "D:\\DEDICATED.DMP")
                    reg_add(img, CRASHCONTROL, "DumpFileSize", "REG_DWORD", DEDICATED_MB)
                r = crash_dump(d, img, data=data, want_clone="dump_" + key, busy_mib=BUSY_MIB,
                               log_name=f"bench-dump-busy-{key}.log")
                if "unavailable" in r:
                    raise RuntimeError("dump stack not armed:\n" + r["unavailable"])
            finally:
                os.unlink(img)
                if data:
                    os.unlink(data)
            report_complete(f"{label}, {BUSY_MIB} MiB of memory filled with data first", r)
            return r
        results["busy_ahci"] = section("busy AHCI complete dump", lambda: busy("AHCI", "ahci"))
        results["busy_nvme"] = section("busy NVMe complete dump", lambda: busy("NVMe", "nvme"))

        # 3. QEMU's own host-side dump of the same-sized guest
        def qemu():
            runs = qemu_dump(d)
            for i, (secs, size) in enumerate(runs):
                print(f"  QEMU dump-guest-memory run {i + 1}: {secs:5.2f} s, {size} bytes "
                      f"({mbps(size, secs):6.1f} MB/s)")
            return runs
        results["qemu"] = section("QEMU dump-guest-memory", qemu)

        # 4. kernel (automatic) and small dump sizes
        for key, typ, label in (("kernel", 7, "automatic (kernel)"), ("small", 3, "small")):
            def other(typ=typ, label=label):
                img = make_disk(d, "system.img", "SYSTEM")
                try:
                    reg_add(img, CRASHCONTROL, "CrashDumpEnabled", "REG_DWORD", typ)
                    r = crash_dump(d, img, want_clone="dump_ahci", log_name=f"bench-dump-{typ}.log")
                    if "unavailable" in r:
                        raise RuntimeError("dump stack not armed:\n" + r["unavailable"])
                    check_dump(d, img, "MEMORY.DMP" if typ != 3 else minidump_path(img), r)
                finally:
                    os.unlink(img)
                print(f"  {label} dump (CrashDumpEnabled={typ}): kernel says {r['kind']}, {r['mib']} MiB "
                      f"in {r['kernel_ms']} ms; RequiredDumpSpace {r['required']} bytes; "
                      f"host clock {r['wall_s']:.2f} s; bbdump check: {r['check']}")
                return r
            results[key] = section(f"{label} dump", other)

        # optional: where the time of a complete AHCI dump goes
        if PROFILE:
            def profile():
                img = make_disk(d, "system.img", "SYSTEM")
                try:
                    reg_add(img, CRASHCONTROL, "CrashDumpEnabled", "REG_DWORD", 1)
                    r = crash_dump(d, img, profile=True, log_name="bench-dump-profile.log")
                finally:
                    os.unlink(img)
                rips = r.get("samples", [])
                print(f"  profile: {len(rips)} RIP samples over a complete AHCI dump "
                      f"({r['kernel_ms']} ms under sampling):")
                clone = re.search(r"clone:\s+(\S+?), (\d+) bytes at 0x([0-9a-f]+)", r["dumpcfg"])
                prof = symbolize(rips, clone.group(1), int(clone.group(3), 16), int(clone.group(2))) if clone \
                    else symbolize(rips)
                for name, n in prof[:12]:
                    print(f"    {100.0 * n / max(1, len(rips)):5.1f} %  {name}")
            section("profile", profile)

    # the table
    print()
    q = results.get("qemu")
    qsecs = statistics.median(s for s, _ in q) if q else None
    print(f"{'dump of a ' + str(MEM_MIB) + ' MiB guest':34} {'size':>10} {'kernel s':>9} {'MB/s':>7} "
          f"{'host s':>7} {'MB/s':>7} {'/ QEMU':>7}")
    print("(complete AHCI: median of the runs above; QEMU: median of its runs)")
    for key, label in (("ahci", "complete, AHCI (pagefile on C:)"), ("nvme", "complete, NVMe (D:\\DEDICATED.DMP)"),
                       ("busy_ahci", f"  same, {BUSY_MIB} MiB of data"), ("busy_nvme", f"  same, NVMe, {BUSY_MIB} MiB data")):
        r = results.get(key)
        if not r:
            print(f"{label:34} {'n/a':>10}")
            continue
        nbytes = r["mib"] << 20
        ratio = f"{r['wall_s'] / qsecs:6.2f}x" if qsecs else "n/a"
        print(f"{label:34} {r['mib']:>6} MiB {r['kernel_ms'] / 1000:9.2f} {mbps(nbytes, r['kernel_ms'] / 1000):7.1f} "
              f"{r['wall_s']:7.2f} {mbps(nbytes, r['wall_s']):7.1f} {ratio:>7}")
    if q:
        size = q[0][1]
        print(f"{'QEMU dump-guest-memory (host)':34} {size >> 20:>6} MiB {'':9} {'':7} {qsecs:7.2f} "
              f"{mbps(size, qsecs):7.1f} {'1.00x':>7}")
    for key, label in (("kernel", "kernel (automatic, 7)"), ("small", "small (3)")):
        r = results.get(key)
        if r:
            req = r["required"]
            size = f"{req / 1048576:.1f} MiB" if req and req >= 1048576 else f"{(req or 0) / 1024:.0f} KiB"
            print(f"{label:34} {size:>10} {r['kernel_ms'] / 1000:9.2f} {'':7} {r['wall_s']:7.2f}")
        else:
            print(f"{label:34} {'n/a':>10}")
    t = results.get("tools")
    if t:
        n = t["bytes"]
        print(f"{'bbdump extract (host)':34} {n >> 20:>6} MiB {'':9} {'':7} {t['extract']:7.2f} "
              f"{mbps(n, t['extract']):7.1f}   (cp {mbps(n, t['cp']):.1f} MB/s, dd {mbps(n, t['dd']):.1f} MB/s)")
        print(f"{'bbdump analyze (host)':34} {'':>10} {'':9} {'':7} {t['analyze']:7.3f}")
    print(f"at the end: host load average {os.getloadavg()[0]:.2f}")
    for key, label in (("ahci", "AHCI"), ("nvme", "NVMe"), ("busy_ahci", f"AHCI ({BUSY_MIB} MiB of data)"),
                       ("busy_nvme", f"NVMe ({BUSY_MIB} MiB of data)")):
        a = results.get(key)
        if not (a and qsecs):
            continue
        ratio = a["wall_s"] / qsecs
        print(f"complete {label} dump / QEMU host dump: {ratio:.2f}x by the host clock, "
              f"{a['kernel_ms'] / 1000 / qsecs:.2f}x by the kernel's; goal <= {GOAL_RATIO}x: "
              f"{'met' if ratio <= GOAL_RATIO else 'NOT met'}")
        if "crc_ms" in a:
            print(f"  of which checksumming ({a['zero_mib']} MiB were zero pages; CRC32C on the one emulated "
                  f"CPU) alone is {a['crc_ms'] / 1000 / qsecs:.2f}x QEMU's whole dump")


if __name__ == "__main__":
    main()
