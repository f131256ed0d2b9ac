"""The AHCI driver end to end on q35's built-in controller: a sparse raw image becomes ahci0;
host bytes read back, `blk fill` lands on exactly the right bytes of the image (checked on
the host after power-off), transfers that need many PRD entries and more than one command
work, completions arrive by MSI, and the CD-ROM on the same controller is left alone."""
import os
import random
import re

from machine import Machine
from test_nvme import make_image, check_image, parse_dump

SECTOR = 512


def boot(tmp_path, image):
    m = Machine(tmp_path, system=image)
    m.wait_prompt()
    return m


def test_ahci_disk_read_write(tmp_path):
    rnd = random.Random(7)
    seeded = bytes(rnd.randrange(256) for _ in range(3 * SECTOR))
    image = make_image(tmp_path, 256, [(77 * SECTOR, seeded)])
    m = boot(tmp_path, image)
    try:
        disks = m.cmd("disks")
        assert re.search(r"^ahci0\s+256 MiB\s+524288\s+512\s+QEMU HARDDISK\s+ahci0 port 0 \(8086:2922\)",
                         disks, re.M), disks
        log = m.cmd("log")
        assert "ATAPI device, not a disk: skipped" in log
        assert re.search(r"ahci0: MSI vector 0x[0-9a-f]+", log)
        got = parse_dump(m.cmd("blk ahci0 read 77 3"))
        assert b"".join(bytes(got[lba]) for lba in (77, 78, 79)) == seeded
        assert "wrote 16 sectors" in m.cmd("blk ahci0 fill 1000 16 0xA5")
        # 1 MiB at an odd LBA: one command spanning many pages
        assert "wrote 2048 sectors" in m.cmd("blk ahci0 fill 4097 2048 0x3c")
        # 40 MiB: more than one READ/WRITE DMA EXT (65536 sectors at most per command)
        assert "wrote 81920 sectors" in m.cmd("blk ahci0 fill 100000 81920 0x7e", timeout=120)
        assert "wrote 1 sectors" in m.cmd("blk ahci0 fill 524287 1 0xff")
        assert "out of range" in m.cmd("blk ahci0 read 524288 1")
        m.send("poweroff\r")
        assert m.wait_exit() == 0
    finally:
        m.close()
    check_image(image, [
        (77 * SECTOR, seeded),
        (1000 * SECTOR, b"\xa5" * 16 * SECTOR),
        (4097 * SECTOR, b"\x3c" * 2048 * SECTOR),
        (100000 * SECTOR, b"\x7e" * 81920 * SECTOR),
        (524287 * SECTOR, b"\xff" * SECTOR),
    ])
    assert os.path.getsize(image) == 256 << 20


def test_ahci_error_recovery(tmp_path):
    """A sector the disk cannot read (QEMU blkdebug injects EIO once): the command fails with
    a task-file error, the driver reports it, restarts the port, and the disk keeps working —
    the same sector reads fine the next time."""
    image = make_image(tmp_path, 64, [(5000 * SECTOR, b"\x42" * SECTOR)])
    conf = tmp_path / "blkdebug.conf"
    conf.write_text('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "5000"\nonce = "on"\n')
    m = Machine(tmp_path, qemu_args=[
        "-drive", f"if=none,id=baddisk,format=raw,file=blkdebug:{conf}:{image}",
        "-device", "ide-hd,drive=baddisk,bus=ide.0"])
    try:
        m.wait_prompt()
        out = m.cmd("blk ahci0 read 5000 1")
        assert "I/O error" in out, out
        log = m.cmd("log 4")
        assert re.search(r"ahci: port 0: command failed: PxIS 0x[0-9a-f]+, status 0x[0-9a-f]+, "
                         r"error 0x[0-9a-f]+; restarting port", log), log
        again = parse_dump(m.cmd("blk ahci0 read 5000 1"))
        assert bytes(again[5000]) == b"\x42" * SECTOR
        assert "wrote 8 sectors" in m.cmd("blk ahci0 fill 10 8 0x01")
    finally:
        m.close()
