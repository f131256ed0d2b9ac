"""`bbdump analyze` and `bbdump elf` on real dumps: for several crash kinds, crash a machine
(kernel or complete dump), let it reboot and recover the dump, take it out with `bbdump
extract`, and check that analyze names the code, the function that really failed with its
line (in shell_crash.c, or the timer interrupt handler for `crash irq`), a bucket id and the
klog tail, and CPU 0 as the one that crashed, stopped in that function, every other CPU of
the guest (machine.SMP) stopped by the NMI in its idle loop; that stock gdb on the ELF core
shows one thread per CPU, the crashing one first with that function in the backtrace and the
same RIP; and
that a kernel ELF with another build-id is refused unless forced; with a small dump, that gdb
reports memory the minidump lacks as unavailable instead of showing the ELF's contents."""
import os
import re
import shutil
import subprocess

import pytest

from machine import ROOT, SMP
from test_dump import (bbdump, crash_and_collect, crash_never_rebooted, memory_dmp, pagefile,
                       system_disk)

ELF = os.path.join(ROOT, "build", "blackbox.elf")

KINDS = [
    # kind, CrashDumpEnabled (None: automatic = kernel dump), code, faulting function, its file
    ("manual", None, "E2", "crash_manual", "kernel/shell/shell_crash.c"),
    ("null", 1, "50", "crash_null", "kernel/shell/shell_crash.c"),
    ("div0", None, "7F", "crash_div0", "kernel/shell/shell_crash.c"),
    ("stack", None, "7F", "crash_stack_recurse", "kernel/bugcheck/crash_bodies.c"),
    ("assert", 1, "1E", "crash_assert", "kernel/shell/shell_crash.c"),
    ("irq", None, "E2", "timer_tick", "kernel/arch/timer.c"),   # inside the timer interrupt
]


def other_build_id_elf(tmp_path):
    """A copy of the kernel ELF whose build-id note says something else."""
    path = str(tmp_path / "other.elf")
    shutil.copy(ELF, path)
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True,
                         check=True).stdout
    off = int(re.search(r"\.note\.gnu\.build-id\s+NOTE\s+\S+\s+(\S+)", out).group(1), 16)
    with open(path, "r+b") as f:
        f.seek(off + 16)          # namesz, descsz, type, "GNU\0", then the id
        b = f.read(1)
        f.seek(off + 16)
        f.write(bytes([b[0] ^ 0xFF]))
    return path


def gdb(core, *commands, errors=False):
    """gdb's output (with its error messages too when `errors`)."""
    args = ["gdb", "-batch", "-nx", ELF, "-c", core]
    for c in commands:
        args += ["-ex", c]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return r.stdout + (r.stderr if errors else "")


@pytest.mark.parametrize("kind,dump_type,code,function,source", KINDS)
def test_analyze_and_gdb(tmp_path, kind, dump_type, code, function, source):
    c = system_disk(tmp_path, dump_type)
    crash_and_collect(tmp_path, c, kind)
    dump = memory_dmp(c, tmp_path)

    out = bbdump("analyze", dump, "--kernel", ELF).stdout
    assert re.search(rf"^\w+ \({code}\)$", out, re.M), out
    fault = re.search(r"^FAULTING_IP:\s+([0-9a-f]{16}) (\w+)\+0x[0-9a-f]+ \(([^:]+):(\d+)\)",
                      out, re.M)
    assert fault, out
    rip, fn, src = int(fault.group(1), 16), fault.group(2), fault.group(3)
    assert fn == function and src.endswith(source), out
    assert re.search(rf"^FAILURE_BUCKET_ID: 0x{code}_{function}$", out, re.M), out
    assert re.search(r"^MODULE_NAME:\s+blackbox", out, re.M), out
    assert re.search(r"^ 01 [0-9a-f]{16} [0-9a-f]{16} \w+\+0x", out, re.M), out
    assert f"crash {kind} requested" in out.split("KLOG")[1], out
    for i in range(1, 5):
        assert re.search(rf"^Arg{i}: [0-9a-f]{{16}}, ", out, re.M), out
    assert re.search(rf"^CPUS:\s+{SMP}; CPU 0 crashed \(APIC id 0\)$", out, re.M), out
    cpu0 = re.search(r"^  0 +0 crashed +kernel +(\w+)\+0x[0-9a-f]+ \(", out, re.M)
    assert cpu0 and cpu0.group(1) == function, out
    for n in range(1, SMP):      # every other CPU: stopped by the NMI in its idle loop
        assert re.search(rf"^ +{n} +\d+ stopped by NMI +idle +ap_main\+0x[0-9a-f]+ \(", out, re.M), out

    core = str(tmp_path / "crash.core")
    bbdump("elf", dump, "-o", core)
    threads = gdb(core, "info threads")
    assert len(re.findall(r"^\*? +\d+ +LWP \d+ ", threads, re.M)) == SMP, threads
    assert re.search(rf"^\* 1 +LWP 1 +(?:0x[0-9a-f]+ in )?{function} \(", threads, re.M), threads
    text = gdb(core, "bt 5", "info registers rip")
    frames = re.findall(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\w+) \(", text, re.M)
    assert any(int(n) <= 1 and f == function for n, f in frames), text
    m = re.search(r"^rip\s+0x([0-9a-f]+)", text, re.M)
    assert m and int(m.group(1), 16) == rip, text
    ticks = gdb(core, "print 'timer.c'::tsc_hz")
    assert re.search(r"^\$1 = [1-9]\d+$", ticks, re.M), ticks

    if kind == "manual":
        other = other_build_id_elf(tmp_path)
        r = bbdump("analyze", dump, "--kernel", other, check=False)
        assert r.returncode != 0 and "build-id mismatch" in r.stderr, r.stdout + r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
        r = bbdump("analyze", dump, "--kernel", other, "--force")
        assert "warning" in r.stderr and "FAILURE_BUCKET_ID: 0xE2_crash_manual" in r.stdout


def test_small_dump_analyze_and_core(tmp_path):
    """A minidump: analyze uses its streams (stack, klog, modules); the core holds only them."""
    c = system_disk(tmp_path, 3)
    crash_and_collect(tmp_path, c, "null")
    dump = memory_dmp(c, tmp_path)
    out = bbdump("analyze", dump, "--kernel", ELF).stdout
    assert "FAILURE_BUCKET_ID: 0x50_crash_null" in out, out
    assert re.search(r"^  0 +0 crashed +kernel +crash_null\+0x", out, re.M), out
    assert "crash null requested" in out and "dump_ahci" in out.split("MODULES:")[1], out
    core = str(tmp_path / "small.core")
    bbdump("elf", dump, "-o", core)
    assert os.path.getsize(core) < 256 * 1024
    text = gdb(core, "bt 3")
    assert re.search(r"^#0\s+0x[0-9a-f]+ in crash_null \(", text, re.M), text


def test_small_dump_core_lacks_what_the_dump_lacks(tmp_path):
    """The core of a minidump (the pagefile of a machine switched off after `crash null`)
    maps the kernel ELF's code: gdb has the frames, the registers, the code and the stack, and
    reports a kernel global no stream holds as unavailable, not as the ELF's initial value or
    zeros."""
    c = system_disk(tmp_path, 3)
    crash_never_rebooted(tmp_path, c, "null")
    dump = pagefile(c, tmp_path)
    core = str(tmp_path / "small.core")
    bbdump("elf", dump, "-o", core, "--kernel", ELF)
    text = gdb(core, "bt 3", "info registers rip", "x/i $pc")
    assert re.search(r"^#0\s+0x[0-9a-f]+ in crash_null \(", text, re.M), text
    assert re.search(r"^#1\s+0x[0-9a-f]+ in shell_cmd_crash \(", text, re.M), text
    assert re.search(r"^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <crash_null\+\d+>", text, re.M), text
    assert re.search(r"^=> 0x[0-9a-f]+ <crash_null\+\d+>:\s+\w+", text, re.M), text
    nm = subprocess.run(["nm", ELF], capture_output=True, text=True, check=True).stdout
    addr = int(re.search(r"^([0-9a-f]+) [bBdD] tsc_hz$", nm, re.M).group(1), 16)
    streams = re.findall(r"(\d+) bytes at 0x[0-9a-f]+\s+va 0x([0-9a-f]+)",
                         bbdump("info", dump).stdout)
    assert streams and not any(int(va, 16) <= addr < int(va, 16) + int(n) for n, va in streams)
    text = gdb(core, "print 'timer.c'::tsc_hz", "x/gx $rsp", errors=True)
    assert f"Cannot access memory at address {addr:#x}" in text, text
    assert re.search(r"^0x[0-9a-f]+:\s+0x[0-9a-f]{16}$", text, re.M), text
