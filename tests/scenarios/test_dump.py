r"""The crash-dump stack end to end on AHCI (pagefile on C:): crash, let it reboot (smss and
werfault move the dump to C:\MEMORY.DMP), power off, copy it off the image with mtools and
check it on the host with tools/bbdump —
valid header, the right bugcheck, every chunk CRC, and the machine's own memory (a page
planted with `mark` is found at its physical address). A damaged clone writes
nothing; a machine killed in the middle of a dump leaves no valid dump."""
import os
import re
import shutil
import subprocess

import pytest

from machine import Machine, ROOT, SMP
from test_files import Disk

BBDUMP = os.path.join(ROOT, "tools", "bbdump")
BBREG = os.path.join(ROOT, "tools", "bbreg")
CRASHCONTROL = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl"


def system_disk(tmp_path, dump_type=None, size="1G", keep=True):
    """A system disk; `keep`: AlwaysKeepMemoryDump = 1, so the retention policy keeps
    MEMORY.DMP although a test disk has far less than 25 GB free."""
    c = Disk(tmp_path, "system.img", size=size, label="SYSTEM")
    if keep:
        subprocess.run([BBREG, c.path, "add", CRASHCONTROL, "/v", "AlwaysKeepMemoryDump", "/t",
                        "REG_DWORD", "/d", "1", "/f"], check=True, capture_output=True)
    if dump_type is not None:
        subprocess.run([BBREG, c.path, "add", CRASHCONTROL, "/v", "CrashDumpEnabled", "/t",
                        "REG_DWORD", "/d", str(dump_type), "/f"], check=True, capture_output=True)
    return c


def bbdump(*args, check=True):
    r = subprocess.run([BBDUMP, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def pagefile(c, tmp_path):
    """The pagefile as the last crash left it (no recovery happened)."""
    out = str(tmp_path / "pagefile.sys")
    subprocess.run(["mcopy", "-o", "-n", "-i", c.target, "::/pagefile.sys", out], check=True)
    return out


def no_valid_dump_in_pagefile(c, tmp_path):
    """`bbdump check` of the pagefile fails; returns its result."""
    r = bbdump("check", pagefile(c, tmp_path), check=False)
    assert r.returncode != 0, r.stdout
    return r


def memory_dmp(c, tmp_path):
    """The dump the boot after a crash recovered, taken out of the image with `bbdump
    extract`: C:\\MEMORY.DMP, or for a small dump (kept only as a minidump) the newest
    C:\\Minidump\\*.dmp."""
    out = tmp_path / "extracted"
    shutil.rmtree(out, ignore_errors=True)
    bbdump("extract", c.path, "-o", str(out))
    if (out / "MEMORY.DMP").exists():
        return str(out / "MEMORY.DMP")
    return str(sorted((out / "Minidump").glob("*.dmp"))[-1])


def split(text):
    """{cpu: MiB} from the writer's split line ("Checksums by CPU: ..."), and the dump's MiB."""
    line = re.search(r"Checksums by CPU: ([^\r\n]*)\.", text).group(1)
    total = int(re.search(r"Dump #\d+: \w+, (\d+) MiB", text).group(1))
    return {int(c): int(n) for c, n in re.findall(r"CPU (\d+) (\d+) MiB", line)}, total


def crash_and_collect(tmp_path, c, kind, mark=None, nmi=False, iso=None):
    r"""Boot (from `iso`, default build/blackbox.iso), optionally plant a marker page, crash
    with `kind`, wait for the dump, the reboot and the recovery into C:\MEMORY.DMP, power off;
    returns (serial text of the crash, marker phys address)."""
    m = Machine(tmp_path, mem=256, system=c.path, iso=iso)
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        assert "state:        ARMED" in cfg, cfg
        assert re.search(r"^dump_ahci\s+0xffffc2[0-9a-f]+\s+\d+\s+crash-dump clone for ahci0, read-only",
                         m.cmd("lsmod"), re.M)
        phys = None
        if mark:
            out = m.cmd(f'mark "{mark}"')
            phys = int(re.search(r"phys 0x([0-9a-f]+)", out).group(1), 16)
        m.send(f"crash {kind}\r")
        if nmi:
            m.expect("crash hang requested")
            m.monitor("nmi")
        m.expect(r"\*\*\* STOP: 0x", timeout=60)
        m.expect("Physical memory dump complete.", timeout=300)
        m.expect(r"Dump #(\d+): (\w+), \d+ MiB in \d+ ms[^\r\n]*")
        text = m.child.before + m.child.after
        if m.child.match.group(2) != "small":
            m.expect(r"Checksums by CPU: [^\r\n]*\.")
            text += m.child.before + m.child.after
        m.expect(r"werfault: (dump #\d+ saved as C:\\MEMORY\.DMP|minidump C:\\Minidump\\\S+: the "
                 r"small dump itself)", timeout=300)
        m.wait_prompt()
        assert "state:        ARMED" in m.cmd("dumpcfg")
        m.send("poweroff\r")
        assert m.wait_exit(timeout=60) == 0
    finally:
        m.close()
    return text, phys


def crash_never_rebooted(tmp_path, c, kind):
    """Crash with `kind` and switch the machine off as soon as the dump is written: it never
    boots again, so the dump stays unrecovered in the pagefile."""
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        m.send(f"crash {kind}\r")
        m.expect(r"Dump #\d+: \w+, \d+ MiB in \d+ ms", timeout=300)
        m.monitor("quit")
        m.wait_exit(timeout=60)
    finally:
        m.close()


def check_marker(dump, phys, text):
    raw = bbdump("read", dump, hex(phys), "4096", "-o", "-").stdout
    want = (text * (4096 // len(text) + 1))[:4096]
    assert raw == want


@pytest.mark.parametrize("dump_type,written", [(None, "bitmap"), (1, "full")])
def test_dump_on_ahci(tmp_path, dump_type, written):
    """Automatic (the default: a kernel bitmap dump) and complete dumps."""
    c = system_disk(tmp_path, dump_type)
    text, phys = crash_and_collect(tmp_path, c, "manual", mark="BLACKBOX-MARK-")
    by_cpu, total = split(text)
    if written == "full":   # CPU 0 writes; every other CPU checksums a real share
        assert sorted(by_cpu) == list(range(SMP)), text
        assert min(by_cpu.values()) >= total // (4 * SMP) and sum(by_cpu.values()) >= total - SMP, text
    dump = memory_dmp(c, tmp_path)
    assert f"valid {written} dump" in bbdump("check", dump).stdout
    check_marker(dump, phys, "BLACKBOX-MARK-")
    info = bbdump("info", dump).stdout
    assert re.search(r"bugcheck:\s+0x000000E2 MANUALLY_INITIATED_CRASH", info)
    assert re.search(r"flags:\s+0x7 VALID COMPLETE CLEARED", info), info
    assert re.search(r"sequence:\s+1$", info, re.M)
    assert re.search(rf"^processors:\s+{SMP}$", info, re.M), info
    assert re.search(rf"^cpu block:\s+{SMP} records? at 0x[0-9a-f]+, CPU 0 crashed$", info, re.M), info


@pytest.mark.parametrize("kind,code", [("null", "0x00000050"), ("stack", "0x0000007F"),
                                       ("irq", "0x000000E2"), ("hang", "0x00000080"),
                                       ("io", "0x000000E2")])
def test_crash_kinds_give_valid_dumps(tmp_path, kind, code):
    c = system_disk(tmp_path)
    crash_and_collect(tmp_path, c, kind, mark="MARK" + kind.upper(), nmi=(kind == "hang"))
    dump = memory_dmp(c, tmp_path)
    bbdump("check", dump)
    assert f"bugcheck:             {code}" in bbdump("info", dump).stdout


def test_marked_page_is_in_the_dump(tmp_path):
    c = system_disk(tmp_path, 1)
    _, phys = crash_and_collect(tmp_path, c, "manual", mark="The quick brown fox. ")
    check_marker(memory_dmp(c, tmp_path), phys, "The quick brown fox. ")


@pytest.mark.parametrize("part,label", [
    (None, "dump_ahci image"), ("params", "dump_ahci controller parameters"),
    ("blockmap", "block map"), ("writer", "dump writer code"),
    ("helper", "crash-path helper code"), ("tables", "read-only data and descriptor tables"),
    ("state", "dump stack state"),
])
def test_damaged_part_writes_nothing(tmp_path, part, label):
    """`crash corrupt-dump-stack [PART]` damages one checksummed part: the bugcheck names
    that part, writes nothing into the pagefile, and goes on to its reboot (switched off
    there: nothing more is written)."""
    c = system_disk(tmp_path)
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        m.send("crash corrupt-dump-stack" + (f" {part}" if part else "") + "\r")
        m.expect(r"Crash dump not written: ([^\r\n]*) checksum failed", timeout=60)
        assert m.child.match.group(1) == label
        m.expect("Rebooting in", timeout=30)
        m.monitor("quit")
        m.wait_exit()
    finally:
        m.close()
    no_valid_dump_in_pagefile(c, tmp_path)


@pytest.mark.parametrize("dump_type,command", [(1, "crash stall-dump"), (3, "crash stall-dump"),
                                               (1, "crash -c 1 stall-dump"),
                                               (1, "crash hang-stall-dump")])
def test_stalled_dump_is_abandoned(tmp_path, dump_type, command):
    """`crash stall-dump` hangs the writer with interrupts off: at 30 % of a complete dump,
    or a small dump's writer before its header is sealed; the same on an AP (`-c 1`), and in
    a dump written by an NMI's bugcheck (`hang-stall-dump`, then the NMI). The dead-man
    (DumpTimeout = 8 s here) cuts it off by NMI: the screen names the reason and where the
    writer hung, the partial dump's header says it was abandoned, the machine reboots, and
    the next boot says so; the volume stays clean."""
    c = system_disk(tmp_path, dump_type)
    subprocess.run([BBREG, c.path, "add", CRASHCONTROL, "/v", "DumpTimeout", "/t", "REG_DWORD",
                    "/d", "8", "/f"], check=True, capture_output=True)
    m = Machine(tmp_path, system=c.path, smp=max(SMP, 2) if "-c 1" in command else None)
    try:
        m.wait_prompt()
        assert "unfinished after 8 s is abandoned (DumpTimeout)" in m.cmd("dumpcfg")
        m.send(command + "\r")
        if "hang" in command:
            m.expect("crash hang-stall-dump requested")
            m.monitor("nmi")
            m.expect(r"\*\*\* STOP: 0x00000080", timeout=60)
        m.expect("Stalling the dump on purpose", timeout=120)
        m.expect(r"Crash dump abandoned: not finished within its time limit of 8 s "
                 r"\(dead-man; it was at (\S+)\)", timeout=60)
        assert m.child.match.group(1).startswith("writer_stall+")
        m.expect("The partial dump is marked abandoned in its header.", timeout=60)
        m.expect("Rebooting in", timeout=30)
        m.expect(r"holds crash dump #1, abandoned at the crash by the dead-man", timeout=120)
        m.wait_prompt()
        m.send("poweroff\r")
        m.wait_exit()
    finally:
        m.close()
    no_valid_dump_in_pagefile(c, tmp_path)
    assert re.search(r"flags:\s+0x20 ABANDONED$", bbdump("info", pagefile(c, tmp_path), check=False).stdout, re.M)
    c.assert_clean()


@pytest.mark.parametrize("point,incomplete", [
    ("Initializing disk for crash dump", False),
    ("Beginning dump of physical memory", False),
    (r"Dumping physical memory to disk:\s+[1-5]\d", True),
])
def test_killed_in_the_middle_leaves_no_valid_dump(tmp_path, point, incomplete):
    """QEMU killed at several points of a complete dump: never a valid dump; once the
    in-progress header is out, the file says "incomplete"."""
    c = system_disk(tmp_path, 1)
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        m.send("crash manual\r")
        m.expect(point, timeout=120)
        m.monitor("quit")
        m.wait_exit()
    finally:
        m.close()
    r = no_valid_dump_in_pagefile(c, tmp_path)
    if incomplete:
        assert "incomplete" in (r.stdout + r.stderr)


def test_small_dump(tmp_path):
    """CrashDumpEnabled=3: a minidump with the stack, the pages the registers point at, the
    klog ring, the module list with the build-id and every CPU's state."""
    c = system_disk(tmp_path, 3)
    crash_and_collect(tmp_path, c, "null")
    dump = memory_dmp(c, tmp_path)
    assert "valid small dump" in bbdump("check", dump).stdout
    info = bbdump("info", dump).stdout
    assert "0x00000050 PAGE_FAULT_IN_NONPAGED_AREA" in info
    for stream_type in (1, 2, 3, 4, 5):
        assert re.search(rf"stream \d+\s+type {stream_type}\s", info), info
    assert re.search(rf"^cpu block:\s+{SMP} records? at 0x[0-9a-f]+, CPU 0 crashed$", info, re.M), info


def test_too_small_target_falls_back_to_a_minidump(tmp_path):
    c = system_disk(tmp_path, 1)
    subprocess.run([BBREG, c.path, "add",
                    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management",
                    "/v", "PagingFiles", "/t", "REG_MULTI_SZ", "/d", "C:\\pagefile.sys 1 1", "/f"],
                   check=True, capture_output=True)
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        assert "a small dump will be written" in cfg and "will write:   small" in cfg, cfg
    finally:
        m.close()
    crash_and_collect(tmp_path, c, "manual")
    dump = memory_dmp(c, tmp_path)
    bbdump("check", dump)
    info = bbdump("info", dump).stdout
    assert re.search(r"flags:\s+0xb VALID COMPLETE FALLBACK", info), info
    assert "fallback: target too small" in info


def test_fault_inside_the_dump_path(tmp_path):
    """`crash nested` with a dump armed faults half-way through writing it: no hang, the
    recursion guard resets the machine, and the dump left behind is detectably incomplete."""
    c = system_disk(tmp_path, 1)
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        m.send("crash nested\r")
        m.expect(r"Dumping physical memory to disk:\s+[1-4]\d", timeout=120)
        m.expect(r"\*\*\* Fault 0xe at [0-9a-f]{16} inside the bugcheck path \(handling STOP 0x000000E2\): resetting")
        m.expect("Blackbox 0.1.0 starting", timeout=120)
        m.wait_prompt()
        assert "holds an unrecovered dump" not in m.cmd("dumpcfg")
        m.send("poweroff\r")
        m.wait_exit()
    finally:
        m.close()
    r = bbdump("check", pagefile(c, tmp_path), check=False)
    assert r.returncode != 0 and "incomplete" in (r.stdout + r.stderr)


def test_stalled_disk_never_hangs_the_dump(tmp_path):
    """A disk that stops making progress (QEMU throttled to 4 KiB/s): the dump gives up with
    a message instead of hanging at some percentage, and the machine reboots."""
    c = system_disk(tmp_path, 1)
    m = Machine(tmp_path, system=c.path)            # first boot creates the pagefile
    try:
        m.wait_prompt()
        m.send("poweroff\r")
        m.wait_exit()
    finally:
        m.close()
    m = Machine(tmp_path, qemu_args=[
        "-drive", f"if=none,id=slowdisk,format=raw,file={c.path},throttling.bps-write=4096",
        "-device", "ide-hd,drive=slowdisk,bus=ide.0"])
    try:
        m.wait_prompt(timeout=180)
        m.send("crash manual\r")
        m.expect(r"Crash dump (failed: timed out|abandoned: no progress for 10 seconds)", timeout=120)
        m.expect("Rebooting in", timeout=60)
    finally:
        m.close()


def test_selftest_read_error_leaves_the_target_alone(tmp_path):
    """The boot self-test reads the target's last sector, writes a pattern there and puts the
    original back. When that read fails (a real I/O error from QEMU's blkdebug driver), the
    stack is not armed, dumpcfg says why, and the sector still holds what it held: nothing
    is written from a buffer that never received the target's data."""
    c = system_disk(tmp_path)
    m = Machine(tmp_path, system=c.path, log_name="first.log")
    try:
        m.wait_prompt()
        runs = re.findall(r"LBA (\d+)\.\.(\d+) \(\d+ sectors\)", m.cmd("dumpcfg"))
        m.send("poweroff\r")
        assert m.wait_exit(timeout=60) == 0
    finally:
        m.close()
    last = int(runs[-1][1])
    planted = bytes((i * 7 + 0x3C) & 0xFF for i in range(512))
    with open(c.path, "r+b") as f:
        f.seek(last * 512)
        f.write(planted)
    conf = tmp_path / "blkdebug.conf"
    conf.write_text(f'[inject-error]\nevent = "read_aio"\nsector = "{last}"\niotype = "read"\nerrno = "5"\n')
    m = Machine(tmp_path, system=c.path, system_blkdebug=str(conf), log_name="failing.log")
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        assert "state:        NOT ARMED" in cfg, cfg
        assert "self-test:    FAILED: " in cfg, cfg
        m.send("poweroff\r")
        assert m.wait_exit(timeout=60) == 0
    finally:
        m.close()
    with open(c.path, "rb") as f:
        f.seek(last * 512)
        assert f.read(512) == planted
