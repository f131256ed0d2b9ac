"""The NVMe driver end to end: a sparse raw image on the host becomes nvme0n1 in the guest;
bytes written on the host are read back by `blk read`, sectors filled by `blk fill` land on
exactly those bytes of the image (checked on the host after power-off), transfers large
enough for PRP lists and for splitting at MDTS work, and 4096-byte sectors work too."""
import os
import random
import re
import subprocess

from machine import Machine, ROOT

MIB = 1 << 20


def make_image(tmp_path, size_mib, regions=()):
    """A sparse raw image of size_mib MiB with (offset, bytes) regions written into it."""
    path = str(tmp_path / "data.img")
    subprocess.run(["truncate", "-s", f"{size_mib}M", path], check=True)
    with open(path, "r+b") as f:
        for off, data in regions:
            f.seek(off)
            f.write(data)
    return path


def check_image(path, regions):
    """The image holds exactly `regions` (offset, bytes) and zeros everywhere else."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        for off in range(0, size, MIB):
            got = f.read(MIB)
            want = bytearray(len(got))
            for start, data in regions:
                lo, hi = max(start, off), min(start + len(data), off + len(got))
                if lo < hi:
                    want[lo - off:hi - off] = data[lo - start:hi - start]
            if got != want:
                bad = next(i for i in range(len(got)) if got[i] != want[i])
                raise AssertionError(f"image differs at byte {off + bad:#x}: "
                                     f"{got[bad]:#04x}, expected {want[bad]:#04x}")


def parse_dump(out):
    """`blk read` output -> {lba: bytes}."""
    sectors, lba = {}, None
    for line in out.splitlines():
        m = re.match(r"LBA (\d+):$", line)
        if m:
            lba = int(m.group(1))
            sectors[lba] = bytearray()
            continue
        m = re.match(r"  ([0-9a-f]{4}):((?: [0-9a-f]{2}){16})  \|", line)
        if m and lba is not None:
            assert int(m.group(1), 16) == len(sectors[lba])
            sectors[lba] += bytes.fromhex(m.group(2))
    return sectors


def boot(tmp_path, image, sector_size=None):
    m = Machine(tmp_path, data=image, data_sector_size=sector_size)
    m.wait_prompt()
    return m


def power_off(m):
    m.send("poweroff\r")
    assert m.wait_exit(timeout=60) == 0


def disk_line(m, name):
    out = m.cmd("disks")
    line = next((l for l in out.splitlines() if l.startswith(name + " ")), None)
    assert line, out
    return line.split()


def test_disks_and_reads_of_host_written_bytes(tmp_path):
    rng = random.Random(1)
    noise = bytes(rng.randrange(256) for _ in range(32 * 512))
    marker = b"Blackbox NVMe test marker\x00" + bytes(range(256))
    image = make_image(tmp_path, 256, [(7 * 512, marker), (4000 * 512, noise)])
    m = boot(tmp_path, image)
    try:
        log = m.cmd("log")
        assert re.search(r"nvme0: MSI-X vector 0x[0-9a-f]+ to APIC", log), log
        assert re.search(r'nvme0: NVMe 1\.\d, "QEMU NVMe Ctrl" serial BBDATA0001', log), log
        name, size, unit, sectors, sector, *rest = disk_line(m, "nvme0n1")
        assert (size, unit, sectors, sector) == ("256", "MiB", str(256 * MIB // 512), "512")
        assert "QEMU NVMe Ctrl" in " ".join(rest) and "nvme0" in rest[-3]

        got = parse_dump(m.cmd("blk nvme0n1 read 7"))
        assert got == {7: bytearray(marker + bytes(512 - len(marker)))}
        # 16 KiB into a heap buffer: more than two pages, so the read needs a PRP list
        got = parse_dump(m.cmd("blk nvme0n1 read 4000 32"))
        assert sorted(got) == list(range(4000, 4032))
        assert b"".join(got[lba] for lba in range(4000, 4032)) == noise
        # the last sector is readable, the one after it is refused
        assert list(parse_dump(m.cmd("blk nvme0n1 read 524287"))) == [524287]
        assert "out of range" in m.cmd("blk nvme0n1 read 524288")
    finally:
        m.close()


def test_blk_rejects_bad_arguments(tmp_path):
    m = boot(tmp_path, make_image(tmp_path, 16))
    try:
        cases = {
            "blk": "usage: blk DISK",
            "blk nvme0n1 read": "usage: blk DISK",
            "blk nvme9n1 read 0": "no disk named 'nvme9n1'",
            "blk nvme0n1 frob 0": "unknown operation 'frob'",
            "blk nvme0n1 read zz": "LBA 'zz' is not a number",
            "blk nvme0n1 read 0 0": "outside nvme0n1",
            "blk nvme0n1 read 0 1000": "COUNT 1000 out of range",
            "blk nvme0n1 read 99999999999999999999999": "out of range",
            "blk nvme0n1 fill 0 1": "usage: blk DISK",
            "blk nvme0n1 fill 0 1 256": "BYTE 256 out of range",
            "blk nvme0n1 fill 32760 9 1": "LBA 32760 + 9 sectors is outside nvme0n1",
            "blk nvme0n1 fill 0 1 0xg": "BYTE '0xg' is not a number",
        }
        for line, want in cases.items():
            out = m.cmd(line)
            assert want in out, (line, out)
            assert len(out.strip().splitlines()) == 1, (line, out)
        power_off(m)
        check_image(str(tmp_path / "data.img"), [])
    finally:
        m.close()


def test_fill_writes_exactly_those_sectors(tmp_path):
    image = make_image(tmp_path, 64)
    m = boot(tmp_path, image)
    try:
        assert "wrote 16 sectors (8 KiB) of 0xa5 at LBA 1000" in m.cmd("blk nvme0n1 fill 1000 16 0xA5")
        # 128 KiB in one command: PRP list
        assert "wrote 256 sectors" in m.cmd("blk nvme0n1 fill 2000 256 0x5a")
        # 1.5 MiB: several commands, split at MDTS (QEMU: 512 KiB)
        assert "wrote 3072 sectors" in m.cmd("blk nvme0n1 fill 8192 3072 60", timeout=120)
        # the very last sector
        assert "wrote 1 sectors" in m.cmd(f"blk nvme0n1 fill {64 * MIB // 512 - 1} 1 0xff")
        got = parse_dump(m.cmd("blk nvme0n1 read 999 3"))
        assert got[999] == bytes(512) and got[1000] == b"\xa5" * 512 and got[1001] == b"\xa5" * 512
        power_off(m)
    finally:
        m.close()
    check_image(image, [(1000 * 512, b"\xa5" * 16 * 512), (2000 * 512, b"\x5a" * 256 * 512),
                        (8192 * 512, b"\x3c" * 3072 * 512), (64 * MIB - 512, b"\xff" * 512)])


def test_4096_byte_sectors(tmp_path):
    marker = b"four KiB sectors" * 256
    image = make_image(tmp_path, 128, [(3 * 4096, marker)])
    m = boot(tmp_path, image, sector_size=4096)
    try:
        name, size, unit, sectors, sector, *_ = disk_line(m, "nvme0n1")
        assert (size, unit, sectors, sector) == ("128", "MiB", str(128 * MIB // 4096), "4096")
        assert parse_dump(m.cmd("blk nvme0n1 read 3")) == {3: bytearray(marker)}
        assert "wrote 40 sectors (160 KiB)" in m.cmd("blk nvme0n1 fill 100 40 0x77")
        assert "wrote 300 sectors" in m.cmd("blk nvme0n1 fill 1000 300 0x11", timeout=120)
        power_off(m)
    finally:
        m.close()
    check_image(image, [(3 * 4096, marker), (100 * 4096, b"\x77" * 40 * 4096),
                        (1000 * 4096, b"\x11" * 300 * 4096)])


def test_without_a_data_disk(machine):
    assert machine.cmd("disks").strip() == "no disks"
    assert "no disk named 'nvme0n1'" in machine.cmd("blk nvme0n1 read 0")


def test_launcher_sector_size_option():
    launcher = os.path.join(ROOT, "tools", "run-qemu")
    r = subprocess.run([launcher, "--data-sector-size", "1024"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2 and "512 or 4096" in r.stderr


def test_nvme_read_error_is_reported_and_survived(tmp_path):
    """QEMU blkdebug fails one read with EIO: the command completes with an error status that
    the driver reports as an I/O error, and the controller keeps serving the next commands."""
    image = make_image(tmp_path, 64, [(3000 * 512, b"\x24" * 512)])
    conf = tmp_path / "blkdebug.conf"
    conf.write_text('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "3000"\nonce = "on"\n')
    m = Machine(tmp_path, qemu_args=[
        "-drive", f"if=none,id=baddata,format=raw,file=blkdebug:{conf}:{image}",
        "-device", "nvme,drive=baddata,serial=BBERR0001"])
    try:
        m.wait_prompt()
        assert "I/O error" in m.cmd("blk nvme0n1 read 3000 1")
        assert re.search(r"nvme0: .*(status|error)", m.cmd("log 4"), re.I)
        again = parse_dump(m.cmd("blk nvme0n1 read 3000 1"))
        assert bytes(again[3000]) == b"\x24" * 512
    finally:
        m.close()
