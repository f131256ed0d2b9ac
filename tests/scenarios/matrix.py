"""The fault matrix (`make matrix`): every crash context x every dump target x every dump
type, each crashed in a fresh guest, rebooted and recovered, then judged on the host as a
user would: the STOP code on the screen, the recovered dump valid in every chunk, recovered
by smss without a discard, `bbdump analyze` naming the faulting function (and, where a program
was running, its klog naming the program and a user RIP in its code), fsck.fat clean on
every volume (exactly the orphaned clusters where the crash resets the FAT layer half-way
through an update). Contexts: the shell's crash kinds (the boot stack), the timer interrupt, an
NMI out of a hang, the FAT layer mid-update, an NMI while a program spins in ring 3 (analyze
blames the program's function), and notmyfault's kinds inside a system call (a
process's kernel stack, the timer interrupt taken in ring 3, a stack overflow, an NMI, a
corrupted heap block, the FAT layer mid-update). Prints a line per case as it ends, then the
table and a summary line.

    tests/scenarios/matrix.py [-j JOBS] [--keep] [--cpus 1,2] [FILTER...]

Each case runs with each CPU count given (default 1 and 2). A FILTER (a context, target or
type name, or "2cpu") keeps only the cases that name it; tests/scenarios/
test_matrix.py runs a slice of the same cases in `make test`."""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from machine import Machine, ROOT                                    # noqa: E402
from test_files import Disk                                          # noqa: E402
from test_notmyfault import user_function                            # noqa: E402

BBDUMP = os.path.join(ROOT, "tools", "bbdump")
BBREG = os.path.join(ROOT, "tools", "bbreg")
ELF = os.path.join(ROOT, "build", "blackbox.elf")
CRASHCONTROL = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl"
SHELL_C = "kernel/shell/shell_crash.c"
BODIES_C = "kernel/bugcheck/crash_bodies.c"   # the bodies the shell and notmyfault share
SYSCALL_C = "kernel/proc/syscall_crash.c"
FAT_C = "kernel/fs/fat/fat_file.c"


@dataclass
class Context:
    """Where the crash happens: the shell line that causes it (with `nmi` the QEMU monitor
    then sends an NMI), the STOP code and the function analyze must blame."""
    name: str
    command: str
    code: int
    function: str
    source: str
    nmi: bool = False
    registry: dict = field(default_factory=dict)      # CrashControl REG_DWORD values
    nmi_after: str = "crash hang requested"           # with `nmi`: what to wait for first
    line_of: str = ""           # the text in `source` on the line analyze must name, if any
    orphans: int = 0            # bytes the crash leaves chained in C:'s FAT, in no entry
    program: str = ""           # the ring-3 program running at the crash: analyze's klog
                                # must name it and its user RIP
    user: bool = False          # the crash interrupted ring 3: analyze blames the user RIP,
                                # `function` is the program's function holding it


# A reset in the FAT layer half-way through extending C:\FATCRASH.TMP (kernel/fs/fat_crash.h):
# its 64 KiB of clusters are chained in the FAT, the entry still says empty, no cluster.
FAT_ORPHANS = 64 * 1024


CONTEXTS = [
    Context("shell-manual", "crash manual", 0xE2, "crash_manual", SHELL_C),
    Context("shell-null", "crash null", 0x50, "crash_null", SHELL_C),
    Context("shell-div0", "crash div0", 0x7F, "crash_div0", SHELL_C),
    Context("shell-stack", "crash stack", 0x7F, "crash_stack_recurse", BODIES_C),
    Context("shell-assert", "crash assert", 0x1E, "crash_assert", SHELL_C),
    Context("timer-irq", "crash irq", 0xE2, "timer_tick", "kernel/arch/timer.c"),
    # the NMI lands on the spin's pause, inlined from cpu.h: analyze gives that line
    Context("nmi-hang", "crash hang", 0x80, "crash_hang", "kernel/arch/cpu.h", nmi=True),
    Context("shell-fat", "crash fat", 0xE2, "grow_write", FAT_C, line_of="FAT_CRASH_POINT(v);",
            orphans=FAT_ORPHANS),
    # an NMI while a program spins in ring 3 (userland/fault): the crash is the user RIP's
    Context("user-spin-nmi", "run fault spin", 0x80, "main", "userland/fault/fault.c", nmi=True,
            nmi_after="fault: spin", program="fault", user=True),
] + [
    # inside a system call of a ring-3 program (userland/notmyfault), AllowUserCrash = 1
    Context(f"syscall-{kind}", f"run notmyfault {kind}", code, function, source,
            nmi=kind == "hang", registry={"AllowUserCrash": 1},
            nmi_after="SYS_CRASH 4: crashing the machine on request",
            line_of="FAT_CRASH_POINT(v);" if kind == "fat" else "",
            orphans=FAT_ORPHANS if kind == "fat" else 0, program="notmyfault")
    for kind, code, function, source in [
        ("null", 0x50, "notmyfault_null", SYSCALL_C),
        ("irq", 0xE2, "timer_tick", "kernel/arch/timer.c"),   # timer interrupt in ring 3
        ("stack", 0x7F, "crash_stack_recurse", BODIES_C),    # overflow: double fault
        ("hang", 0x80, "crash_hang", "kernel/arch/cpu.h"),     # NMI on the spin's pause
        ("heap", 0x19, "kfree", "kernel/mm/heap.c"),
        ("assert", 0x1E, "notmyfault_assert", SYSCALL_C),
        ("fat", 0xE2, "grow_write", FAT_C),
    ]
]

TYPES = {"complete": (1, "full"), "kernel": (2, "bitmap"), "small": (3, "small")}
TARGETS = ("ahci-pagefile", "nvme-dedicated")


@dataclass
class Case:
    context: Context
    target: str
    dump_type: str
    cpus: int = 2

    @property
    def name(self):
        return f"{self.context.name}/{self.target}/{self.dump_type}/{self.cpus}cpu"


@dataclass
class Result:
    case: Case
    stop: str = "-"
    valid: str = "-"
    recovered: str = "-"
    function: str = "-"
    fsck: str = "-"
    seconds: float = 0.0
    error: str = ""

    @property
    def kept(self):
        return not self.error


def cases(filters=(), cpus=(2,)):
    out = [Case(c, t, d, n) for c in CONTEXTS for t in TARGETS for d in TYPES for n in cpus]
    return [c for c in out
            if all(f in (c.context.name, c.target, c.dump_type, f"{c.cpus}cpu") for f in filters)]


def reg(image, name, value, kind="REG_DWORD", key=CRASHCONTROL):
    subprocess.run([BBREG, image, "add", key, "/v", name, "/t", kind, "/d", str(value), "/f"],
                   check=True, capture_output=True, timeout=60)


def fsck_judge(disk, orphans=0):
    """fsck.fat -n on disk: (what it found for the table, or None when that is not exactly
    what it must find, its output). Clean: the banner and the summary line. With `orphans`
    bytes left by a reset mid-update, exactly these: the reclaimed clusters, and FSInfo's free
    count short by as many (the volume was mounted since and counted them as used)."""
    rc, lines = disk.fsck()
    text = "\n".join(lines)
    if not orphans:
        return ("clean" if rc == 0 and len(lines) == 2 else None), text
    if rc != 1 or len(lines) != 6:
        return None, text
    reclaimed = re.fullmatch(r"Reclaimed (\d+) unused clusters? \((\d+) bytes\)\.", lines[1])
    summary = re.fullmatch(r"Free cluster summary wrong \((\d+) vs\. really (\d+)\)", lines[2])
    ok = (reclaimed and int(reclaimed.group(2)) == orphans and summary
          and int(summary.group(2)) - int(summary.group(1)) == int(reclaimed.group(1))
          and lines[3:5] == ["  Auto-correcting.", "Leaving filesystem unchanged."])
    return (f"{int(reclaimed.group(1))} orphans" if ok else None), text


def source_line(path, text):
    """The 1-based line of `text` in the repository file `path` (it must be there once)."""
    lines = [i + 1 for i, l in enumerate(Path(ROOT, path).read_text().splitlines()) if text in l]
    assert len(lines) == 1, f"{text!r} is on lines {lines} of {path}"
    return lines[0]


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


def run_case(case, workdir):
    """Crashes one case in a fresh guest and judges it; the Result says what held."""
    res = Result(case)
    start = time.monotonic()
    try:
        judge(case, workdir, res)
    except Failed as e:
        res.error = str(e)
    except Exception as e:                     # a hung guest, a tool that died: not kept
        res.error = f"{type(e).__name__}: {e}"
    res.seconds = time.monotonic() - start
    return res


def judge(case, workdir, res):
    tmp = Path(workdir)
    c = Disk(tmp, "system.img", size="1G", label="SYSTEM")
    reg(c.path, "AlwaysKeepMemoryDump", 1)
    reg(c.path, "CrashDumpEnabled", TYPES[case.dump_type][0])
    for name, value in case.context.registry.items():
        reg(c.path, name, value)
    d = None
    if case.target == "nvme-dedicated":
        reg(c.path, "DedicatedDumpFile", "D:\\DEDICATED.DMP", kind="REG_SZ")
        d = Disk(tmp, "data.img", size="1G", label="DATA")
    m = Machine(tmp, mem=256, system=c.path, data=d.path if d else None, smp=case.cpus)
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        expect("state:        ARMED" in cfg, "not armed:\n" + cfg)
        m.send(case.context.command + "\r")
        if case.context.nmi:
            m.expect(case.context.nmi_after)
            time.sleep(1)     # the line is out; let the CPU finish its console output and spin
            m.monitor("nmi")
        m.expect(r"\*\*\* STOP: 0x([0-9A-F]{8})", timeout=60)
        res.stop = f"0x{int(m.child.match.group(1), 16):X}"
        expect(int(m.child.match.group(1), 16) == case.context.code,
               f"STOP {res.stop}, expected 0x{case.context.code:X}")
        m.expect(r"Dump #\d+: \w+, \d+ MiB in \d+ ms", timeout=300)
        m.expect(r"werfault: (dump #\d+ saved as C:\\MEMORY\.DMP|minidump C:\\Minidump\\\S+: "
                 r"the small dump itself)", timeout=300)
        boot2 = m.child.before
        m.wait_prompt()
        m.send("poweroff\r")
        expect(m.wait_exit(timeout=60) == 0, "poweroff failed")
    finally:
        m.close()
    expect(not re.search(r"not valid|discarded", boot2), "smss discarded the dump")
    out = tmp / "extracted"
    r = subprocess.run([BBDUMP, "extract", c.path, "-o", str(out)], capture_output=True,
                       text=True, timeout=300)
    expect(r.returncode == 0, "extract: " + r.stdout + r.stderr)
    dump = out / "MEMORY.DMP"
    if not dump.exists():
        minis = sorted((out / "Minidump").glob("*.dmp")) if (out / "Minidump").exists() else []
        expect(minis, "nothing recovered")
        dump = minis[-1]
    res.recovered = dump.name
    r = subprocess.run([BBDUMP, "check", str(dump)], capture_output=True, text=True, timeout=600)
    want = TYPES[case.dump_type][1]
    res.valid = "yes" if r.returncode == 0 and f"valid {want} dump" in r.stdout else "NO"
    expect(res.valid == "yes", f"check (wanted a valid {want} dump): " + r.stdout + r.stderr)
    r = subprocess.run([BBDUMP, "analyze", str(dump), "--kernel", ELF], capture_output=True,
                       text=True, timeout=300)
    if case.context.user:
        f = re.search(r"^FAULTING_IP:\s+([0-9a-f]{16}) 0x[0-9a-f]{16} \(user mode\)$", r.stdout, re.M)
        res.function = user_function(case.context.program, int(f.group(1), 16)) if f else "?"
        expect(f and res.function == case.context.function,
               f"analyze blames {res.function}, expected {case.context.function} in user mode")
    else:
        f = re.search(r"^FAULTING_IP:\s+[0-9a-f]{16} (\w+)\+0x[0-9a-f]+ \(([^:]+):(\d+)\)",
                      r.stdout, re.M)
        res.function = f.group(1) if f else "?"
        expect(f and f.group(1) == case.context.function and
               f.group(2).endswith(case.context.source),
               f"analyze blames {res.function}, expected {case.context.function}")
        if case.context.line_of:
            line = source_line(case.context.source, case.context.line_of)
            expect(int(f.group(3)) == line, f"analyze names line {f.group(3)}, expected {line}")
    if case.context.program:
        p = re.search(rf"bugcheck: process {case.context.program} \(pid \d+\) was running, "
                      r"user rip 0x([0-9a-f]+)", r.stdout)
        expect(p and user_function(case.context.program, int(p.group(1), 16)),
               f"analyze's klog names no {case.context.program} with a user RIP in its code")
    for disk in [c] + ([d] if d else []):
        found, text = fsck_judge(disk, case.context.orphans if disk is c else 0)
        if disk is c or not found:          # the column: C:'s finding, unless D: is dirty
            res.fsck = found or "DIRTY"
        expect(found, "fsck.fat: " + text)


def table(results):
    rows = [("context", "target", "type", "CPUs", "STOP", "valid", "recovered", "function",
             "fsck", "s", "kept")]
    for r in results:
        rows.append((r.case.context.name, r.case.target, r.case.dump_type, r.case.cpus, r.stop,
                     r.valid, r.recovered, r.function, r.fsck, f"{r.seconds:.0f}",
                     "yes" if r.kept else "NO"))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()
                     for row in rows)


def main():
    ap = argparse.ArgumentParser(description="Blackbox's fault matrix")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("BB_MATRIX_JOBS", "1")))
    ap.add_argument("--keep", action="store_true", help="keep every case's folder")
    ap.add_argument("--cpus", default="1,2", help="CPU counts, each a column of cases (1,2)")
    ap.add_argument("filters", nargs="*")
    args = ap.parse_args()
    todo = cases(args.filters, [int(n) for n in args.cpus.split(",")])
    if not todo:
        print("matrix: no case matches", " ".join(args.filters), file=sys.stderr)
        return 2
    base = tempfile.mkdtemp(prefix="matrix-", dir=os.path.join(ROOT, "build"))
    print(f"matrix: {len(todo)} cases, {args.jobs} at a time, in {base}", flush=True)
    results, done = [], 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {}
        for i, case in enumerate(todo):
            work = os.path.join(base, f"{i:03d}-" + case.name.replace("/", "-"))
            os.makedirs(work)
            futures[pool.submit(run_case, case, work)] = work
        for fut in concurrent.futures.as_completed(futures):
            r = fut.result()
            done += 1
            results.append(r)
            print(f"[{done}/{len(todo)}] {r.case.name}: "
                  f"{'kept' if r.kept else 'LOST: ' + r.error.splitlines()[0]} "
                  f"({r.seconds:.0f} s)", flush=True)
            if r.kept and not args.keep:
                shutil.rmtree(futures[fut], ignore_errors=True)
    results.sort(key=lambda r: todo.index(r.case))
    print()
    print(table(results))
    kept = sum(r.kept for r in results)
    print(f"\nmatrix: {kept} of {len(results)} cases kept their crash"
          + ("" if kept == len(results) else f"; failed cases' folders are under {base}"))
    if kept == len(results) and not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if kept == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
