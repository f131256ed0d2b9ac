"""The shell's file commands end to end on both the AHCI system disk (C:) and the NVMe data
disk (D:), each a tools/mkdisk image checked on the host with mtools and fsck.fat -n: files
written in the guest read back byte for byte, files put by mcopy read in the guest, long
names, directories, renames and deletes seen by mdir, 64 MiB files checksummed, a reset in
the middle of a burst of writes, a corrupt boot sector, and 4096-byte NVMe sectors.

fsck.fat after a reset: its output is classified line by line. Clean, or only these, passes:
lost clusters ("Reclaimed N unused clusters": a chain allocated before the reset whose
directory entry was never written), a stale FSInfo free count (a hint, recomputed at mount)
"FATs differ but appear to be intact" (FAT 1 written, FAT 2 not yet; fsck uses FAT 1), and
a file whose chain is longer than its size ("cluster chain length is > N bytes", fsck
truncates the chain): a file grows by linking clusters, writing the data, then storing the new
size, so a reset before the last step leaves clusters past the recorded size, which is lost
clusters under another name; no ordering of two separate sector writes avoids it. Any other
finding (a bad directory entry, a cross-linked chain, a chain shorter than the size, a bad
cluster number) fails the test."""
import hashlib
import os
import re
import subprocess
import sys
import time
import zlib

import pytest

from machine import Machine, ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))
from test_mkdisk import partition, extract  # noqa: E402

MIB = 1 << 20
MKDISK = os.path.join(ROOT, "tools", "mkdisk")
ENV = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin", MTOOLS_SKIP_CHECK="1")
FSCK_TOLERATED = [
    r"fsck\.fat \d+\.\d+ \(.*\)",
    r"Reclaimed \d+ unused clusters? \(\d+ bytes\)\.?",
    r"FATs differ but appear to be intact\.",
    r"Using first FAT\.",
    r"Free cluster summary wrong \(\d+ vs\. really \d+\)",
    r"Free cluster summary uninitialized \(should be \d+\)",   # FSInfo "unknown": legal
    r"Auto-correcting\.",
    r"/.*",                                            # a file named by the next lines
    r"File size is (\d+) bytes, cluster chain length is > \1 bytes\.",
    r"Truncating file to \d+ bytes\.",
    r"Leaving filesystem unchanged\.",
    r".*: \d+ files, \d+/\d+ clusters",
]


def run(*args, check=True, text=True):
    r = subprocess.run(list(args), capture_output=True, text=text, env=ENV, timeout=300)
    if check:
        assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
    return r


class Disk:
    """A tools/mkdisk image and its FAT32 partition, seen through mtools."""

    def __init__(self, tmp_path, name, size="256M", label=None, sector=512):
        self.path = str(tmp_path / name)
        self.tmp = tmp_path
        self.sector = sector
        run(MKDISK, "--sector-size", str(sector), self.path, size, *([label] if label else []))
        first, last = partition(self.path, sector)
        self.offset, self.length = first * sector, (last - first + 1) * sector
        self.target = f"{self.path}@@{self.offset}"

    def put(self, data, name):
        src = self.tmp / "put.tmp"
        src.write_bytes(data)
        run("mcopy", "-o", "-i", self.target, str(src), "::/" + name)

    def get(self, name):
        return run("mtype", "-i", self.target, "::/" + name, text=False).stdout

    def sha256(self, name):
        out = self.tmp / "get.tmp"
        run("mcopy", "-o", "-i", self.target, "::/" + name, str(out))
        h = hashlib.sha256()
        with open(out, "rb") as f:
            for chunk in iter(lambda: f.read(MIB), b""):
                h.update(chunk)
        os.unlink(out)
        return h.hexdigest()

    def mdir(self, path="/"):
        return run("mdir", "-i", self.target, "::" + path).stdout

    def fsck(self):
        """fsck.fat -n on the partition: (exit code, output lines)."""
        part = str(self.tmp / "fsck.part")
        extract(self.path, self.offset, self.length, part)
        r = run("fsck.fat", "-n", part, check=False)
        os.unlink(part)
        return r.returncode, [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]

    def assert_clean(self):
        rc, lines = self.fsck()
        assert rc == 0, "\n".join(lines)

    def assert_consistent(self):
        """Clean, or only the findings a reset may leave (see the module docstring)."""
        _, lines = self.fsck()
        bad = [l for l in lines if not any(re.fullmatch(p, l.strip()) for p in FSCK_TOLERATED)]
        named = [l for l in lines if l.startswith("/") and not re.fullmatch(FSCK_TOLERATED[-1], l)]
        findings = [l for l in lines if l.startswith("  ")
                    and l.strip() not in ("Auto-correcting.", "Using first FAT.")]
        assert not bad and len(findings) == 2 * len(named), "\n".join(lines)


def pattern(size):
    """What `mkfile` writes: each 8-byte little-endian word holds its own offset."""
    import struct
    words = (size + 7) // 8
    return struct.pack(f"<{words}Q", *range(0, words * 8, 8))[:size]


def boot(tmp_path, system=None, data=None, sector_size=None):
    m = Machine(tmp_path, system=system and system.path, data=data and data.path,
                data_sector_size=sector_size)
    m.wait_prompt()
    return m


def power_off(m):
    m.send("poweroff\r")
    assert m.wait_exit(timeout=60) == 0


def quiet(m, line, timeout=60):
    """A command that prints nothing on success."""
    out = m.cmd(line, timeout=timeout)
    assert out.strip() == "", (line, out)


def test_files_on_both_volumes(tmp_path):
    c = Disk(tmp_path, "system.img", label="SYSTEM")
    d = Disk(tmp_path, "data.img", label="DATA")
    notes = b"put on the host by mcopy\nsecond line\n"
    c.put(notes, "Host Provided Notes.txt")
    d.put(notes, "Host Provided Notes.txt")
    m = boot(tmp_path, c, d)
    try:
        vol = m.cmd("vol")
        sizes = {}
        for v, label, part, disk in [("C", "SYSTEM", "ahci0p1", "ahci0"),
                                     ("D", "DATA", "nvme0n1p1", "nvme0n1")]:
            row = re.search(rf"^{v}:\s+{label}\s+{part}\s+{disk}\s+(\d+) MiB\s+(\d+) MiB$", vol, re.M)
            assert row, vol
            sizes[v] = int(row.group(1)), int(row.group(2))
        # C: also holds the pagefile the dump stack creates at boot: dumpcfg names it as the
        # target and its size, dir lists it with that size, and it takes that much of C:
        cfg = m.cmd("dumpcfg")
        assert re.search(r"^target:\s+C:\\pagefile\.sys \(pagefile\)$", cfg, re.M), cfg
        need, have = map(int, re.search(r"^space:\s+needed .* \((\d+) bytes\), available .* "
                                        r"\((\d+) bytes\)$", cfg, re.M).groups())
        assert have >= need > 0, cfg
        entry = m.cmd("dir C:\\pagefile.sys")
        assert re.search(rf"^\S+\s+\S+\s+{have} pagefile\.sys$", entry, re.M), entry
        assert re.search(rf"^1 file\(s\), {have} bytes; 0 dir\(s\);", entry, re.M), entry
        assert sizes["C"][0] - sizes["C"][1] >= have >> 20, (vol, cfg)
        assert sizes["D"][0] - sizes["D"][1] < have >> 20, (vol, cfg)
        for v in "CD":
            assert m.cmd(f'type "{v}:\\host provided notes.txt"') == notes.decode()
            quiet(m, f'write "{v}:\\A Guest Written File With A Long Name.txt" hello from {v}: ok')
            quiet(m, f"mkdir {v}:\\Minidump")
            quiet(m, f'mkdir "{v}:/Minidump/Sub Directory"')
            quiet(m, f"write {v}:\\Minidump\\old.dmp dump")
            quiet(m, f'ren {v}:\\Minidump\\old.dmp "{v}:\\Minidump\\Sub Directory"')
            quiet(m, f"write {v}:/gone.txt x")
            quiet(m, f"del {v}:\\GONE.TXT")
            quiet(m, f"mkdir {v}:\\empty")
            quiet(m, f"rmdir {v}:\\empty")
            quiet(m, f"mv {v}:\\Minidump\\ {v}:\\Dumps")
            listing = m.cmd(f"dir {v}:\\")
            assert re.search(r"\s\d+ A Guest Written File With A Long Name\.txt$", listing, re.M)
            assert re.search(r"<DIR>\s+Dumps$", listing, re.M), listing
            files = 3 if v == "C" else 2      # C: also holds pagefile.sys
            dirs = 2 if v == "C" else 1       # and EVENTS, the event log's folder
            assert re.search(rf"^{files} file\(s\), \d+ bytes; {dirs} dir\(s\); \d+ bytes free$", listing, re.M), listing
            assert m.cmd(f'hexdump "{v}:\\Dumps\\Sub Directory\\old.dmp"') == \
                "00000000: 64 75 6d 70 0a" + " " * 35 + "|dump.           |\n"
        # errors: one line naming the path and the reason
        cases = {
            "del C:\\nope.txt": "del: C:\\nope.txt: not found",
            "type D:\\Dumps": "type: D:\\Dumps: is a directory",
            "rmdir C:\\Dumps": "rmdir: C:\\Dumps: directory not empty",
            "mkdir D:\\Dumps": "mkdir: D:\\Dumps: already exists",
            "dir Q:\\": "dir: Q:\\: no such drive",
            "ren C:\\Dumps D:\\Dumps": "ren: D:\\Dumps: not on the same volume as C:\\Dumps",
            "write C:\\bad|name.txt x": "write: C:\\bad|name.txt: invalid path",
            "copy C:\\nope D:\\": "copy: C:\\nope: not found",
            "del": "usage: del PATH",
            "copy C:\\x": "usage: copy SRC DST",
            "hexdump": "usage: hexdump PATH",
        }
        for line, want in cases.items():
            out = m.cmd(line)
            assert out.startswith(want) and len(out.strip().splitlines()) == 1, (line, out)
        power_off(m)
    finally:
        m.close()
    for v, disk in (("C", c), ("D", d)):
        assert disk.get("A Guest Written File With A Long Name.txt") == f"hello from {v}: ok\n".encode()
        assert disk.get("Dumps/Sub Directory/old.dmp") == b"dump\n"
        top = disk.mdir("/")
        assert "A Guest Written File With A Long Name.txt" in top and "Dumps" in top
        assert "GONE" not in top and "empty" not in top and "Minidump" not in top
        assert "old" not in disk.mdir("/Dumps")
        disk.assert_clean()
    assert re.search(rf"^pagefile sys\s+{have} ", c.mdir("/"), re.M)   # seen on the host too


def test_64_mib_files_checksummed(tmp_path):
    c = Disk(tmp_path, "system.img", label="SYSTEM")
    d = Disk(tmp_path, "data.img", label="DATA")
    data = os.urandom(64 * MIB)
    want = hashlib.sha256(data).hexdigest()
    c.put(data, "random.bin")
    m = boot(tmp_path, c, d)
    try:
        crc = f"{zlib.crc32(data):08x}"
        assert f"67108864 bytes, crc32 {crc}" in m.cmd("crc C:\\random.bin", timeout=300)
        assert "copied 67108864 bytes to D:\\copy.bin" in m.cmd("copy C:\\random.bin D:\\copy.bin",
                                                              timeout=300)
        assert "copied 67108864 bytes to C:\\again.bin" in m.cmd("cp D:\\copy.bin C:\\again.bin",
                                                               timeout=300)
        assert "wrote 67108864 bytes to D:\\pattern.bin" in m.cmd("mkfile D:\\pattern.bin 64M",
                                                                timeout=300)
        power_off(m)
    finally:
        m.close()
    assert d.sha256("copy.bin") == want
    assert c.sha256("again.bin") == want
    assert d.sha256("pattern.bin") == hashlib.sha256(pattern(64 * MIB)).hexdigest()
    c.assert_clean()
    d.assert_clean()


def test_reset_in_a_burst_of_writes(tmp_path):
    # big.bin takes about a second to copy (C: to C: ran at 177 MB/s): the reset 0.3 s in
    # lands inside it
    c = Disk(tmp_path, "system.img", size="512M", label="SYSTEM")
    d = Disk(tmp_path, "data.img", label="DATA")
    c.put(os.urandom(MIB), "small.bin")
    c.put(os.urandom(160 * MIB), "big.bin")
    m = boot(tmp_path, c, d)
    try:
        quiet(m, "mkdir D:\\burst")
        # one reset per volume, each in the middle of a copy that follows a few writes
        for target in ("C:\\", "D:\\burst\\"):
            for i in range(3):
                quiet(m, f"write {target}note{i}.txt note {i}")
                assert "copied" in m.cmd(f"copy C:\\small.bin {target}copy{i}.bin", timeout=120)
                quiet(m, f"del {target}note{i}.txt")
            m.send(f"copy C:\\big.bin {target}torn.bin\r")
            m.expect(r"copy C:\\big\.bin", timeout=30)      # echoed: the copy has started
            time.sleep(0.3)
            m.monitor("system_reset")
            m.expect(r"boot: shell ready", timeout=120)
            assert "copied" not in m.child.before, "the copy ended before the reset"
            m.wait_prompt()
        assert "Directory of D:\\burst" in m.cmd("dir D:\\burst")
        power_off(m)
    finally:
        m.close()
    c.assert_consistent()
    d.assert_consistent()


def test_corrupt_boot_sector(tmp_path):
    c = Disk(tmp_path, "system.img", label="SYSTEM")
    d = Disk(tmp_path, "data.img", label="DATA")
    with open(c.path, "r+b") as f:
        f.seek(c.offset + 11)              # BPB: bytes per sector, sectors per cluster
        f.write(b"\x00\x00\x00")
    m = boot(tmp_path, c, d)
    try:
        log = m.cmd("log")
        assert "volume: ahci0p1: cannot mount FAT32: corrupt data" in log, log
        vol = m.cmd("vol")
        # letters are stable: the damaged system volume keeps C:, the data volume stays D:
        assert re.search(r"^C:\s+ahci0p1\s+ahci0\s+not mounted: corrupt data", vol, re.M), vol
        assert re.search(r"^D:\s+DATA\s+nvme0n1p1", vol, re.M), vol
        assert "dir: C:\\: corrupt data" in m.cmd("dir C:\\")
        quiet(m, "write D:\\still.txt the data disk still works")
        assert m.cmd("type D:\\still.txt") == "the data disk still works\n"
        power_off(m)
    finally:
        m.close()
    assert d.get("still.txt") == b"the data disk still works\n"
    d.assert_clean()


def test_nvme_4096_byte_sectors(tmp_path):
    d = Disk(tmp_path, "data.img", size="300M", label="DATA", sector=4096)
    d.put(b"from the host\n", "Host File.txt")
    m = boot(tmp_path, data=d, sector_size=4096)
    try:
        assert "4096" in m.cmd("disks")
        assert m.cmd("type \"C:\\host file.txt\"") == "from the host\n"
        quiet(m, "mkdir \"C:\\Four KiB\"")
        quiet(m, "write \"C:\\Four KiB\\Guest File.txt\" written on 4096-byte sectors")
        assert "wrote 5000000 bytes" in m.cmd("mkfile C:\\pattern.bin 5000000", timeout=120)
        assert "copied 5000000 bytes" in m.cmd("copy C:\\pattern.bin \"C:\\Four KiB\"", timeout=120)
        power_off(m)
    finally:
        m.close()
    assert d.get("Four KiB/Guest File.txt") == b"written on 4096-byte sectors\n"
    want = hashlib.sha256(pattern(5000000)).hexdigest()
    assert d.sha256("pattern.bin") == want and d.sha256("Four KiB/pattern.bin") == want
    d.assert_clean()
