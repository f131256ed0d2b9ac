"""The system event log end to end: records written by a user program (logevent, through
SYS_EVENT_WRITE) show in the shell's `eventlog`, survive a reboot next to the kernel's boot
event 12, read the same with `bbdump events` from the disk image and from a copy of
SYSTEM.EVT, and leave a volume fsck.fat -n finds nothing on; QEMU killed in the middle of a
burst of writes loses none of the earlier records and still leaves a clean volume; bad
pointers and arguments to SYS_EVENT_WRITE are refused; a log poisoned with sequence number
2^64-1 is read around by bbdump and reset by the kernel."""
import os
import re
import struct
import subprocess
import sys
import time

from machine import Machine, ROOT
from test_files import Disk, run

sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))
from test_mkdisk import extract  # noqa: E402

BBDUMP = os.path.join(ROOT, "tools", "bbdump")
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  (Critical|Error|Warning|Information)  "
                  r"(\S[^ ]*(?: [^ ]+)*?)  (\d+)  (.*)$")
BOOT = "The operating system started at system time "


def records(text):
    """The event lines of a command's output, as (level, source, id, message)."""
    return [LINE.match(l).groups() for l in text.splitlines() if LINE.match(l)]


def bbdump_events(*args):
    r = subprocess.run([BBDUMP, "events", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def assert_fsck_clean(c):
    """fsck.fat -n prints its banner and the summary line and nothing else."""
    part = str(c.tmp / "fsck.part")
    extract(c.path, c.offset, c.length, part)
    r = subprocess.run(["fsck.fat", "-n", part], capture_output=True, text=True, timeout=120)
    os.unlink(part)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    assert r.returncode == 0 and len(lines) == 2 and " files, " in lines[1], "\n".join(lines)


def test_events_persist_and_read_on_host(tmp_path):
    c = Disk(tmp_path, "system.img", size="1G", label="SYSTEM")
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        first = records(m.cmd("eventlog"))
        assert first == [("Information", "Kernel-General", "12", first[0][3])]
        assert first[0][3].startswith(BOOT)
        out = m.cmd('run logevent BugCheck 1001 error "The computer has rebooted from a '
                    'bugcheck. The bugcheck was: 0x000000e2 (0x0, 0x0, 0x0, 0x0). A dump was '
                    'saved in: C:\\MEMORY.DMP."')
        assert "exited with code 0" in out, out
        assert "exited with code 0" in m.cmd("run logevent smss 4 warning Discarded a corrupt "
                                             "dump in the pagefile")
        assert "exited with code 0" in m.cmd("run logevent Kernel 7 4 third one")
        # refused arguments write nothing
        for bad in ("Bad:Source 1 4 x", "smss 1 9 x", "smss x 4 x", "smss 1 4"):
            assert "exited with code 0" not in m.cmd("run logevent " + bad), bad
        shown = m.cmd("eventlog")
        recs = records(shown)
        assert [r[:3] for r in recs] == [("Information", "Kernel-General", "12"),
                                         ("Error", "BugCheck", "1001"),
                                         ("Warning", "smss", "4"),
                                         ("Information", "Kernel", "7")], shown
        assert recs[1][3] == ("The computer has rebooted from a bugcheck. The bugcheck was: "
                              "0x000000e2 (0x0, 0x0, 0x0, 0x0). A dump was saved in: "
                              "C:\\MEMORY.DMP.")
        assert recs[3][3] == "third one"
        assert records(m.cmd("eventlog 2")) == recs[2:]
        for bad in ("0", "x", "1 2", "-3"):
            out = m.cmd("eventlog " + bad)
            assert "usage: eventlog [N]" in out and not records(out), out
        assert "is not a record count" in m.cmd("eventlog x")
    finally:
        m.close()

    m = Machine(tmp_path, system=c.path, log_name="serial2.log")
    try:
        m.wait_prompt()
        shown = m.cmd("eventlog 100")
        again = records(shown)
        assert again[:4] == recs, shown
        assert len(again) == 5 and again[4][:3] == ("Information", "Kernel-General", "12")
        lines = [l for l in shown.splitlines() if LINE.match(l)]
    finally:
        m.close()

    # the host reads the same lines from the image, and from a copy of the file
    assert bbdump_events(c.path).splitlines() == lines
    assert bbdump_events(c.path, "2").splitlines() == lines[3:]
    copy = str(tmp_path / "SYSTEM.EVT")
    run("mcopy", "-n", "-o", "-i", c.target, "::/EVENTS/SYSTEM.EVT", copy)
    assert bbdump_events(copy).splitlines() == lines
    assert_fsck_clean(c)


def test_kill_during_a_burst(tmp_path):
    c = Disk(tmp_path, "system.img", size="1G", label="SYSTEM")
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        assert "exited with code 0" in m.cmd("run logevent -n 5 Before 1 information kept")
        m.send("run logevent -n 2000 Burst 2 warning burst\r")
        m.expect(r"logged 30\b", timeout=120)
        m.monitor("quit")
    finally:
        m.close()

    out = bbdump_events(c.path)
    recs = records(out)
    assert [r for r in recs if r[1] == "Before"] == [
        ("Information", "Before", "1", f"kept ({i}/5)") for i in range(1, 6)], out
    burst = [r[3] for r in recs if r[1] == "Burst"]
    # the burst is a gapless prefix: every write that returned is there, maybe one more
    assert len(burst) >= 30 and len(burst) < 2000, out
    assert burst == [f"burst ({i}/2000)" for i in range(1, len(burst) + 1)]
    assert_fsck_clean(c)

    # the next boot appends after the last record that made it
    m = Machine(tmp_path, system=c.path, log_name="serial2.log")
    try:
        m.wait_prompt()
        assert "exited with code 0" in m.cmd("run logevent After 3 error after the reset")
        last = records(m.cmd("eventlog 3"))
        assert last[0] == ("Warning", "Burst", "2", burst[-1])
        assert last[1][:3] == ("Information", "Kernel-General", "12")
        assert last[2] == ("Error", "After", "3", "after the reset")
    finally:
        m.close()
    assert_fsck_clean(c)


def test_bad_pointers_refused_and_log_deleted(tmp_path):
    c = Disk(tmp_path, "system.img", size="1G", label="SYSTEM")
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        out = m.cmd("run badptr", timeout=120)
        match = re.search(r"badptr: (\d+) checks, (\d+) failed", out)
        assert match and match.group(2) == "0", out
        assert "event_write" not in out
        # nothing but the boot event was logged
        assert [r[1] for r in records(m.cmd("eventlog"))] == ["Kernel-General"]
        # the log deleted under the kernel's feet: the next write starts a new one
        assert m.cmd("del C:\\EVENTS\\SYSTEM.EVT") == ""
        assert "exited with code 0" in m.cmd("run logevent Fresh 1 4 a new log")
        assert records(m.cmd("eventlog")) == [("Information", "Fresh", "1", "a new log")]
        assert m.cmd("log").count("new log of 511 records") == 2
    finally:
        m.close()
    assert bbdump_events(c.path).endswith("  Information  Fresh  1  a new log\n")
    assert_fsck_clean(c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


SLOTS = 511
WHEN = struct.pack("<HBBBBBB", 2026, 11, 22, 1, 2, 3, 0)


def evt_record(seq, level, source, event_id, message):
    """One 512-byte record slot (kernel/lib/evlog/evlog.h)."""
    body = struct.pack("<HBBIQ", 64 + len(message) + 1, level, 0, event_id, seq) + WHEN
    body += source.encode().ljust(32, b"\0") + message.encode() + b"\0"
    return (struct.pack("<II", 0x31525645, crc32c(body)) + body).ljust(512, b"\0")


def evt_file(records):
    """A whole SYSTEM.EVT of 511 record slots holding `records` (seq -> slot bytes)."""
    head = b"BBEVTLOG" + struct.pack("<IIII", 1, 512, SLOTS, 0) + WHEN
    head = head.ljust(60, b"\0")
    data = bytearray((head + struct.pack("<I", crc32c(head))).ljust(512, b"\0"))
    data += bytes(512 * SLOTS)
    for seq, slot in records.items():
        at = 512 * (1 + (seq - 1) % SLOTS)
        data[at:at + 512] = slot
    return bytes(data)


def test_poisoned_sequence_number(tmp_path):
    """A record with sequence number 2^64-1 (which once made every later append fail with
    'no space'): bbdump events skips it with a note, the kernel resets the log, says so, and
    logs the boot event and later events as usual."""
    c = Disk(tmp_path, "system.img", size="1G", label="SYSTEM")
    poison = 2 ** 64 - 1      # its slot is slot 1 (2^64 - 2 is a multiple of 511)
    evt = str(tmp_path / "SYSTEM.EVT")
    with open(evt, "wb") as f:
        f.write(evt_file({2: evt_record(2, 4, "Before", 1, "kept"),
                          3: evt_record(3, 3, "Before", 2, "kept too"),
                          poison: evt_record(poison, 2, "Poison", 666, "sequence 2^64-1")}))
    run("mmd", "-i", c.target, "::/EVENTS")
    run("mcopy", "-i", c.target, evt, "::/EVENTS/SYSTEM.EVT")
    for where in (c.path, evt):
        r = subprocess.run([BBDUMP, "events", where], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert records(r.stdout) == [("Information", "Before", "1", "kept"),
                                     ("Warning", "Before", "2", "kept too")], r.stdout
        assert "note: 1 records skipped: sequence number out of range" in r.stderr, r.stderr

    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        assert "exited with code 0" in m.cmd("run logevent BugCheck 1001 error after the "
                                             "poison")
        shown = m.cmd("eventlog")
        recs = records(shown)
        assert [r[:3] for r in recs] == [("Warning", "EventLog", "1"),
                                         ("Information", "Kernel-General", "12"),
                                         ("Error", "BugCheck", "1001")], shown
        assert recs[0][3] == ("The event log C:\\EVENTS\\SYSTEM.EVT was corrupt (1 records "
                              "with a sequence number out of range or inconsistent with "
                              "their neighbours) and was reset to 511 empty records.")
        assert recs[1][3].startswith(BOOT) and recs[2][3] == "after the poison"
        assert "skipped" not in shown
        assert "corrupt (1 records out of range" in m.cmd("log")
        lines = [l for l in shown.splitlines() if LINE.match(l)]
    finally:
        m.close()
    r = subprocess.run([BBDUMP, "events", c.path], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stdout + r.stderr
    assert r.stdout.splitlines() == lines
    assert_fsck_clean(c)
