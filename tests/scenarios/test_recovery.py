"""Dump recovery at the boot after a crash: smss finds the dump the last crash left in the pagefile,
checks it, moves it to C:\\MEMORY.DMP (or to DUMPxxxx.TMP when the final place is on another
volume), leaves MachineCrash for werfault, and re-arms the dump stack on a fresh pagefile;
werfault puts the dump at its final place and clears MachineCrash. Checked on the host with
mtools, tools/bbdump and fsck.fat; QEMU killed at several points of the recovery never loses
the dump and the next boot finishes the job."""
import os
import re
import subprocess

import pytest

from machine import Machine, ROOT
from recovery import after_recovery, copy_out, crash, info, power_off, recovery_boot, reg
from test_dump import BBREG, bbdump, memory_dmp, pagefile, system_disk
from test_files import Disk

def test_two_crashes_each_recovered_into_memory_dmp(tmp_path):
    c = system_disk(tmp_path)
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        crash(m, "null")
        m.expect(r"smss: dump #1 moved: C:\\pagefile\.sys -> C:\\MEMORY\.DMP", timeout=300)
        m.expect(r"smss: MachineCrash: DumpFile C:\\MEMORY\.DMP, TempDestination 0")
        m.expect(r"smss: dump stack re-armed on C:\\pagefile\.sys: ARMED")
        m.expect(r"werfault: dump #1 saved as C:\\MEMORY\.DMP")
        after_recovery(m)
        crash(m, "manual")
        m.expect(r"werfault: dump #2 saved as C:\\MEMORY\.DMP", timeout=300)
        after_recovery(m)
        power_off(m)
    finally:
        m.close()
    seq, code, out = info(memory_dmp(c, tmp_path))
    assert (seq, code) == (2, "0x000000E2"), out
    assert "CLEARED" in out
    bbdump("check", memory_dmp(c, tmp_path))
    # one minidump per crash, named MMDDYY-NNNNN-NN.dmp with NNNNN the dump's number
    names = minidumps(c)
    assert [n[7:] for n in names] == ["00001-01.dmp", "00002-01.dmp"], names
    for n, (want_seq, want_code) in zip(names, [(1, "0x00000050"), (2, "0x000000E2")]):
        mini = minidump(c, tmp_path, n)
        assert "valid small dump" in bbdump("check", mini).stdout
        seq, code, out = info(mini)
        assert (seq, code) == (want_seq, want_code), out
        assert "CONVERTED" in out
    # the fresh pagefile is no dump, but carries the numbering on
    r = bbdump("check", pagefile(c, tmp_path), check=False)
    assert r.returncode != 0
    assert not re.search(r"DUMP[0-9A-F]{4}\s+TMP", c.mdir()), c.mdir()
    c.assert_clean()


def minidumps(c):
    """Names in C:\\Minidump, oldest first (by the number in the name)."""
    out = subprocess.run(["mdir", "-b", "-i", c.target, "::/Minidump"], capture_output=True,
                         text=True).stdout
    names = [l.rsplit("/", 1)[-1] for l in out.split() if l.endswith(".dmp")]
    assert all(re.fullmatch(r"\d{6}-\d{5}-\d{2}\.dmp", n) for n in names), names
    return sorted(names, key=lambda n: n[7:])


def minidump(c, tmp_path, name):
    return copy_out(c, tmp_path, "Minidump/" + name)


def test_minidumps_count_keeps_the_newest(tmp_path):
    """MinidumpsCount = 3 over five crashes: the three newest minidumps remain."""
    c = system_disk(tmp_path, 3)
    reg(c, "/v", "MinidumpsCount", "/t", "REG_DWORD", "/d", "3")
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        for i in range(1, 6):
            crash(m, "manual")
            m.expect(rf"werfault: minidump C:\\Minidump\\\d{{6}}-{i:05d}-01\.dmp: the small dump "
                     r"itself", timeout=300)
            if i > 3:
                m.expect(rf"werfault: deleted C:\\Minidump\\\d{{6}}-{i - 3:05d}-01\.dmp "
                         r"\(MinidumpsCount 3\)")
            after_recovery(m)
        power_off(m)
    finally:
        m.close()
    assert [n[7:12] for n in minidumps(c)] == ["00003", "00004", "00005"]
    assert "MEMORY" not in c.mdir()          # a small dump lives in Minidump only
    c.assert_clean()


def corrupt_in_image(c, tmp_path, name, offset):
    """Flip one byte of file `name` at `offset`, in place in the image (the file's
    clusters are found by looking for its first 64 KiB)."""
    head = tmp_path / "head.bin"
    subprocess.run(["mcopy", "-o", "-n", "-i", c.target, "::/" + name, str(head)], check=True)
    first = head.read_bytes()[:65536]
    with open(c.path, "r+b") as img:
        pos = c.offset
        while True:
            img.seek(pos)
            block = img.read(1 << 20)
            assert block, f"{name} not found in the image"
            i = block.find(first[:4096])
            if i >= 0 and i % 512 == 0:
                img.seek(pos + i)
                if img.read(len(first)) == first:
                    img.seek(pos + i + offset)
                    b = img.read(1)
                    img.seek(pos + i + offset)
                    img.write(bytes([b[0] ^ 0x40]))
                    return
            pos += len(block) - 4096


def test_a_corrupt_dump_is_discarded_never_presented(tmp_path):
    c = system_disk(tmp_path)
    reg(c, "/v", "AutoReboot", "/t", "REG_DWORD", "/d", "0")
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        crash(m, "manual")
    finally:
        m.close()
    corrupt_in_image(c, tmp_path, "pagefile.sys", 0x2000 + 300000)   # page data, chunk 0
    recovery_boot(tmp_path, c, "serial2.log",
                  [r"smss: the dump in C:\\pagefile\.sys is not valid \(data CRC mismatch in 1 "
                   r"of \d+ chunks \(first: chunk 0\)\): discarded"])
    assert "MEMORY" not in c.mdir()
    c.assert_clean()


def test_final_place_on_another_volume_goes_through_a_temporary_file(tmp_path):
    """DumpFile = D:\\MEMORY.DMP with the pagefile on C: (complete dump): smss renames the
    pagefile to C:\\DUMPxxxx.TMP cut to the dump's size, werfault copies it to D: (data first,
    header last), checks the copy and deletes the temporary file."""
    c = system_disk(tmp_path, 1)
    reg(c, "/v", "DumpFile", "/t", "REG_EXPAND_SZ", "/d", "D:\\MEMORY.DMP")
    d = Disk(tmp_path, "data.img", size="1G", label="DATA")
    recovery_boot(tmp_path, c, "serial.log",
                  [r"smss: dump #1 moved: C:\\pagefile\.sys -> C:\\DUMP0001\.TMP",
                   r"smss: MachineCrash: DumpFile C:\\DUMP0001\.TMP, TempDestination 1",
                   r"werfault: dump #1 saved as D:\\MEMORY\.DMP"], crash_kind="manual", data=d.path)
    out = copy_out(d, tmp_path, "MEMORY.DMP")
    assert "valid full dump" in bbdump("check", out).stdout
    assert "DUMP0001" not in c.mdir()
    c.assert_clean()
    d.assert_clean()


def test_overwrite_0_keeps_the_first_dump(tmp_path):
    c = system_disk(tmp_path)
    reg(c, "/v", "Overwrite", "/t", "REG_DWORD", "/d", "0")
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        crash(m, "null")
        m.expect(r"werfault: dump #1 saved as C:\\MEMORY\.DMP", timeout=300)
        after_recovery(m)
        crash(m, "manual")
        m.expect(r"smss: dump #2 moved: C:\\pagefile\.sys -> C:\\DUMP0002\.TMP", timeout=300)
        m.expect(r"werfault: dump #2 not saved: C:\\MEMORY\.DMP exists and Overwrite is 0")
        after_recovery(m)
        power_off(m)
    finally:
        m.close()
    seq, code, _ = info(memory_dmp(c, tmp_path))
    assert (seq, code) == (1, "0x00000050")
    assert "DUMP0002" not in c.mdir()
    c.assert_clean()


KILL_POINTS = {
    # another volume: through C:\DUMP0001.TMP and werfault's copy
    "D:\\MEMORY.DMP": [r"dump: C:\\pagefile\.sys holds dump #1, being recovered",
                       r"smss: dump #1 moved", r"smss: MachineCrash: DumpFile",
                       r"werfault: copying", r"werfault: dump #1 saved"],
    # the same volume, in a folder: a rename across directories (new entry before old goes)
    "C:\\DUMPS\\MEMORY.DMP": [r"dump: C:\\pagefile\.sys holds dump #1, being recovered",
                              r"smss: dump #1 moved", r"smss: dump stack re-armed",
                              r"werfault: dump #1 saved", r"werfault: crash report"],
}


@pytest.mark.parametrize("final,point", [(f, p) for f, ps in KILL_POINTS.items() for p in ps])
def test_killed_during_recovery_the_next_boot_finishes(tmp_path, final, point):
    """QEMU killed at several points of a recovery, of a complete dump to another volume and of
    a kernel dump (smaller, as fast) to a folder of the same one: the dump is never lost, the
    next boot completes the recovery, and fsck.fat finds nothing beyond what a reset may
    leave."""
    cross = final.startswith("D:")
    c = system_disk(tmp_path, 1 if cross else None)
    reg(c, "/v", "DumpFile", "/t", "REG_EXPAND_SZ", "/d", final)
    d = Disk(tmp_path, "data.img", size="1G", label="DATA")
    m = Machine(tmp_path, mem=256, system=c.path, data=d.path)
    try:
        m.wait_prompt()
        crash(m, "manual")
        m.expect(point, timeout=300)
        m.monitor("quit")
        m.wait_exit()
    finally:
        m.close()
    c.assert_consistent()
    d.assert_consistent()
    m = Machine(tmp_path, mem=256, system=c.path, data=d.path)
    try:
        after_recovery(m)
        power_off(m)
    finally:
        m.close()
    out = copy_out(d if cross else c, tmp_path, final[3:].replace("\\", "/"))
    assert ("valid full dump" if cross else "valid bitmap dump") in bbdump("check", out).stdout
    assert "CLEARED" in info(out)[2]
    assert "DUMP0001" not in c.mdir()
    c.assert_consistent()
    d.assert_consistent()


PRODUCT = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions"
TCPIP = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"


@pytest.mark.parametrize("size,setting,kept,rule", [
    ("16G", None, False, 5),
    ("64G", None, True, 5),
    ("16G", ("AlwaysKeepMemoryDump", "REG_DWORD", "1"), True, 2),
    ("16G", (PRODUCT, "ProductType", "REG_SZ", "ServerNT"), True, 3),
    ("16G", (TCPIP, "Domain", "REG_SZ", "corp.example"), True, 4),
], ids=["16G-deleted", "64G-kept", "always-keep", "server", "domain"])
def test_retention_policy(tmp_path, size, setting, kept, rule):
    """Windows 7's order: report the fault (queued), AlwaysKeepMemoryDump, a server SKU, a
    domain member, else keep only with at least 25 GB free (sparse 16 GiB and 64 GiB system
    disks). A deletion is recorded as event 1018; event 1001 says where the dump is."""
    c = system_disk(tmp_path, size=size, keep=False)
    if setting and len(setting) == 3:
        reg(c, "/v", setting[0], "/t", setting[1], "/d", setting[2])
    elif setting:
        subprocess.run([BBREG, c.path, "add", setting[0], "/v", setting[1], "/t", setting[2],
                        "/d", setting[3], "/f"], check=True, capture_output=True)
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt(timeout=300)
        crash(m, "null")
        m.expect(r"werfault: crash report [0-9a-f]{16} queued as C:\\REPORTS\\QUEUE\\R0000001\.RPT",
                 timeout=300)
        m.expect(rf"werfault: retention: .*\(rule {rule}\)")
        after_recovery(m)
        events = m.cmd("eventlog 3")
        power_off(m)
    finally:
        m.close()
    assert re.search(r"Error  BugCheck  1001  The computer has rebooted from a bugcheck\. The "
                     r"bugcheck was: 0x00000050 \(0x0, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+\)\. "
                     + (r"A dump was saved in: C:\\MEMORY\.DMP\." if kept else
                        r"The dump was not kept: free space [\d.]+ GiB is below 25 GiB"), events), events
    assert ("BugCheck  1018  The dump file at location: C:\\MEMORY.DMP was deleted" in events) != kept
    assert ("MEMORY" in c.mdir()) == kept
    host = subprocess.run([os.path.join(ROOT, "tools", "bbdump"), "events", c.path],
                          capture_output=True, text=True).stdout
    assert "BugCheck  1001" in host and ("BugCheck  1018" in host) != kept, host
    assert len(minidumps(c)) == 1
    assert "R0000001 RPT" in c.mdir("/REPORTS/QUEUE")
    c.assert_clean()
