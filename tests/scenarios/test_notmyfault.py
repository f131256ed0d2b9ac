r"""`run notmyfault KIND` (userland/notmyfault, SYS_CRASH). With CrashControl AllowUserCrash
at its default 0 the kernel refuses: a clear message, exit code 3, the machine carries on.
With it at 1 each kind stops the kernel inside the program's system call (irq: in the timer
interrupt taken while the program runs in ring 3) with its STOP code; the dump, written while
the crash left a process's kernel stack behind, is valid (pagefile on AHCI, or a dedicated
dump file on NVMe; kernel, complete or small): the next boot's smss recovers it
(never "discarded") into C:\MEMORY.DMP, and `bbdump analyze` names the function that failed
and, from the klog, the program with the user RIP it was stopped at (inside the program's
own code, per its ELF). Also an NMI while a program spins in ring 3: a valid dump whose
analyze shows the user-mode RIP as such, not as a kernel symbol."""
import os
import re
import subprocess
import time

import pytest

from machine import Machine, ROOT
from test_dump import BBREG, CRASHCONTROL, bbdump, memory_dmp, system_disk
from test_dump_nvme import dedicated_setup

ELF = os.path.join(ROOT, "build", "blackbox.elf")
USER_ELF = os.path.join(ROOT, "build", "user", "%s.elf")

# kind -> (STOP code, function analyze must name, the program's function holding the user RIP)
KINDS = {
    "null": ("50", "notmyfault_null", "crash_machine"),
    "irq": ("E2", "timer_tick", "main"),
    "stack": ("7F", "crash_stack_recurse", "crash_machine"),
    "hang": ("80", "crash_hang", "crash_machine"),
    "heap": ("19", "kfree", "crash_machine"),
    "assert": ("1E", "notmyfault_assert", "crash_machine"),
    "fat": ("E2", "grow_write", "crash_machine"),
}


def allow_user_crash(c):
    subprocess.run([BBREG, c.path, "add", CRASHCONTROL, "/v", "AllowUserCrash", "/t",
                    "REG_DWORD", "/d", "1", "/f"], check=True, capture_output=True)


def user_function(program, rip):
    """The function of user program `program` holding rip, from its ELF's symbols."""
    out = subprocess.run(["nm", "-n", USER_ELF % program], capture_output=True, text=True,
                         check=True).stdout
    best = None
    for addr, kind, name in re.findall(r"^([0-9a-f]+) ([tT]) (\S+)$", out, re.M):
        if int(addr, 16) <= rip:
            best = name
    return best


def crash_and_recover(m, kind):
    """On a booted machine `m` allowed to crash: run notmyfault KIND, wait for the dump, the
    reboot and the recovery, power off."""
    m.send(f"run notmyfault {kind}\r")
    m.expect("notmyfault: asking the kernel to crash")
    if kind == "hang":
        m.expect("SYS_CRASH 4: crashing the machine on request")
        time.sleep(1)     # the line is out; let the CPU finish its console output and spin
        m.monitor("nmi")
    m.expect(r"\*\*\* STOP: 0x", timeout=60)
    m.expect(r"Dump #\d+: \w+, \d+ MiB in \d+ ms", timeout=300)
    saved = m.child.expect([r"werfault: (dump #\d+ saved as C:\\MEMORY\.DMP|minidump "
                            r"C:\\Minidump\\\S+: the small dump itself)",
                            r"smss: the dump in \S+ is not valid \([^)]*\)"], timeout=300)
    assert saved == 0, m.child.after
    m.wait_prompt()
    m.send("poweroff\r")
    assert m.wait_exit(timeout=60) == 0


def analyze_recovered(c, tmp_path):
    """analyze of the dump the next boot recovered, after checking smss kept it."""
    serial = (tmp_path / "serial.log").read_text(errors="replace")
    assert "not valid" not in serial and "discarded" not in serial, serial
    return bbdump("analyze", memory_dmp(c, tmp_path), "--kernel", ELF).stdout


def user_rip_in_klog(out, program):
    proc = re.search(rf"bugcheck: process {program} \(pid \d+\) was running, user rip "
                     r"0x([0-9a-f]+)", out.split("KLOG")[1])
    assert proc, out
    return int(proc.group(1), 16)


def check_analyze(c, tmp_path, kind):
    code, function, user_fn = KINDS[kind]
    out = analyze_recovered(c, tmp_path)
    assert re.search(rf"^\w+ \({code}\)$", out, re.M), out
    if kind == "stack":
        assert re.search(r"^Arg1: 0000000000000008, ", out, re.M), out   # a double fault
    assert re.search(rf"^FAULTING_IP:\s+[0-9a-f]{{16}} {function}\+0x[0-9a-f]+ \([^:]+:\d+\)",
                     out, re.M), out
    assert user_function("notmyfault", user_rip_in_klog(out, "notmyfault")) == user_fn, out


def test_refused_by_default_then_allowed_null(tmp_path):
    c = system_disk(tmp_path)
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        out = m.cmd("run notmyfault null")
        assert "notmyfault: refused: crashing the machine from a program needs HKEY_LOCAL_" \
               "MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CrashControl\\AllowUserCrash = 1 " \
               "(REG_DWORD)" in out, out
        assert re.search(r"run: notmyfault \(pid \d+\) exited with code 3", out), out
        assert "Blackbox" in m.cmd("ver")
        assert "completed successfully" in m.cmd(
            f'reg add "{CRASHCONTROL}" /v AllowUserCrash /t REG_DWORD /d 1 /f')
        crash_and_recover(m, "null")
    finally:
        m.close()
    check_analyze(c, tmp_path, "null")


# Every kind with the default (automatic: kernel) dump to the pagefile on AHCI; irq also as a
# complete dump and to a dedicated dump file on NVMe, stack also as a small dump.
@pytest.mark.parametrize("kind,dump_type,nvme",
                         [(k, None, False) for k in sorted(KINDS) if k != "null"] +
                         [("irq", 1, False), ("irq", None, True), ("stack", 3, False)])
def test_kind_gives_a_valid_dump(tmp_path, kind, dump_type, nvme):
    if nvme:
        c, d = dedicated_setup(tmp_path, dump_type)
    else:
        c, d = system_disk(tmp_path, dump_type), None
    allow_user_crash(c)
    m = Machine(tmp_path, mem=256, system=c.path, data=d.path if d else None)
    try:
        m.wait_prompt()
        crash_and_recover(m, kind)
    finally:
        m.close()
    check_analyze(c, tmp_path, kind)


def test_nmi_while_a_program_spins_in_ring3(tmp_path):
    c = system_disk(tmp_path)
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        m.send("run fault spin\r")
        m.expect("fault: spin")
        m.monitor("nmi")
        m.expect(r"\*\*\* STOP: 0x00000080", timeout=60)
        m.expect(r"werfault: dump #\d+ saved as C:\\MEMORY\.DMP", timeout=300)
        m.wait_prompt()
        m.send("poweroff\r")
        assert m.wait_exit(timeout=60) == 0
    finally:
        m.close()
    out = analyze_recovered(c, tmp_path)
    assert re.search(r"^NMI_HARDWARE_FAILURE \(80\)$", out, re.M), out
    rip = user_rip_in_klog(out, "fault")
    assert re.search(rf"^FAULTING_IP:\s+{rip:016x} 0x{rip:016x} \(user mode\)$", out, re.M), out
    assert user_function("fault", rip) == "main", out
