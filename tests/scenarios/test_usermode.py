"""User mode end to end: programs embedded in the kernel (and one loaded from C:) run in ring 3
from the shell's `run`; hello prints its argv and writes files checked on the host with mtools
and fsck.fat -n; every kind of fault in a program kills only that program (a log line with the
vector, RIP and address, the shell still answers, no bugcheck, no user page left behind);
badptr passes invalid pointers to every system call and all are refused; malformed ELF files
are refused cleanly."""
import re

import pytest

from machine import Machine
from test_files import Disk

FAULTS = {
    # kind: (vector name, vector, address check)
    "null": ("page fault", 14, lambda a: a == 0),
    "write": ("page fault", 14, lambda a: 0x400000 <= a < 0x401000),
    "div0": ("divide error", 0, None),
    "ud": ("invalid opcode", 6, None),
    "priv": ("general protection", 13, None),
    "kernel": ("page fault", 14, lambda a: a == 0xffffffff80100000),
    "gp": ("general protection", 13, None),
    "stack": ("page fault", 14, lambda a: 0x7fffe0000000 <= a < 0x7ffff0000000),
}


@pytest.fixture
def disks(tmp_path):
    return Disk(tmp_path, "system.img", label="SYSTEM"), Disk(tmp_path, "data.img", label="DATA")


def boot(tmp_path, disks):
    m = Machine(tmp_path, system=disks[0].path, data=disks[1].path)
    m.wait_prompt()
    return m


def user_pages(m):
    return int(re.search(r"^\s+user\s+(\d+) pages", m.cmd("mem"), re.M).group(1))


def test_hello_prints_argv_and_writes_files(tmp_path, disks):
    system, data = disks
    m = boot(tmp_path, disks)
    try:
        assert re.search(r"^\s+run\s", m.cmd("help"), re.M)
        assert "programs: badptr fault hello" in m.cmd("run")
        out = m.cmd('run hello C:\\HELLO.TXT one "two words"')
        assert re.search(r"hello from pid \d+, argc 4", out), out
        assert "argv[0] = 'hello'" in out and "argv[1] = 'C:\\HELLO.TXT'" in out
        assert "argv[2] = 'one'" in out and "argv[3] = 'two words'" in out
        assert re.search(r"time 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d", out), out
        assert "wrote C:\\HELLO.TXT: 36 bytes, first line: Hello from user mode!" in out, out
        assert re.search(r"run: hello \(pid \d+\) exited with code 0", out), out
        out = m.cmd("run hello D:\\sub\\x.txt")
        assert "hello: open D:\\sub\\x.txt: not found" in out, out
        assert "exited with code 1" in out
        m.cmd("mkdir D:\\sub")
        out = m.cmd('run hello "D:\\sub\\Long Name.txt"')
        assert "exited with code 0" in out, out
        assert "Hello from user mode!" in m.cmd("type C:\\HELLO.TXT")
        assert user_pages(m) == 0
        m.send("poweroff\r")
        m.wait_exit(timeout=60)
    finally:
        m.close()
    assert system.get("HELLO.TXT") == b"Hello from user mode!\none\ntwo words\n"
    assert data.get("sub/Long Name.txt") == b"Hello from user mode!\n"
    system.assert_clean()
    data.assert_clean()


def test_every_fault_kills_only_the_program(tmp_path, disks):
    m = boot(tmp_path, disks)
    try:
        for kind, (name, vector, addr_ok) in FAULTS.items():
            out = m.cmd(f"run fault {kind}")
            assert f"fault: {kind}" in out, out
            assert re.search(rf"run: fault \(pid \d+\) killed by {name} at rip 0x0000000000400[0-9a-f]{{3}}", out), out
            log = re.search(rf"proc: fault \(pid \d+\) killed: {name} \(vector {vector}\) at rip "
                            r"(0x[0-9a-f]+), address (0x[0-9a-f]+), error", out)
            assert log, out
            if addr_ok:
                assert addr_ok(int(log.group(2), 16)), (kind, log.group(0))
            assert "build-id" in m.cmd("ver")
        out = m.cmd("log")
        assert len(re.findall(r"err\s+proc: fault \(pid \d+\) killed", out)) == len(FAULTS)
        assert "STOP" not in out and "bugcheck" not in out.lower()
        assert user_pages(m) == 0
        # a program still runs normally afterwards
        assert "exited with code 0" in m.cmd("run hello C:\\AFTER.TXT")
    finally:
        m.close()


def test_a_program_that_never_ends_is_killed_at_its_time_limit(tmp_path, disks):
    m = boot(tmp_path, disks)
    try:
        assert "-t needs a time limit" in m.cmd("run -t 0 fault spin")
        out = m.cmd("run -t 2 fault spin", timeout=120)
        assert re.search(r"run: fault \(pid \d+\) killed by time limit exceeded at rip 0x0000000000400[0-9a-f]{3}", out), out
        assert "still running after its time limit" in m.cmd("log 5")
        assert user_pages(m) == 0
        assert "exited with code 0" in m.cmd("run hello C:\\AFTER.TXT")
    finally:
        m.close()


def test_badptr_every_bad_pointer_is_refused(tmp_path, disks):
    m = boot(tmp_path, disks)
    try:
        out = m.cmd("run badptr", timeout=120)
        match = re.search(r"badptr: (\d+) checks, (\d+) failed", out)
        assert match, out
        assert int(match.group(1)) > 150 and match.group(2) == "0", out
        assert "exited with code 0" in out
        assert "FAIL" not in out
        assert "build-id" in m.cmd("ver")
        assert user_pages(m) == 0
        assert "BADPTR.TMP" not in m.cmd("dir C:\\")
    finally:
        m.close()


def test_programs_from_c_and_malformed_elf_files(tmp_path, disks):
    system, _ = disks
    from machine import ROOT
    with open(f"{ROOT}/build/user/hello.elf", "rb") as f:
        good = f.read()
    system.put(good, "HELLO.ELF")
    system.put(b"not an ELF file at all", "JUNK.ELF")
    system.put(good[:100], "TRUNC.ELF")
    wrong_machine = bytearray(good)
    wrong_machine[18] = 3                     # e_machine = EM_386
    system.put(bytes(wrong_machine), "I386.ELF")
    m = boot(tmp_path, disks)
    try:
        out = m.cmd("run C:\\HELLO.ELF C:\\FROMC.TXT")
        assert "argv[0] = 'C:\\HELLO.ELF'" in out and "exited with code 0" in out, out
        assert "run: C:\\JUNK.ELF: cannot start: corrupt data" in m.cmd("run C:\\JUNK.ELF")
        assert "run: C:\\TRUNC.ELF: cannot start: corrupt data" in m.cmd("run C:\\TRUNC.ELF")
        assert "cannot start: not supported" in m.cmd("run C:\\I386.ELF")
        assert "run: C:\\NOPE.ELF: not found" in m.cmd("run C:\\NOPE.ELF")
        assert "run: nope: not found" in m.cmd("run nope")
        assert user_pages(m) == 0
        assert "build-id" in m.cmd("ver")
    finally:
        m.close()
