"""The crash-dump stack on NVMe: a dedicated dump file on the data disk (DedicatedDumpFile =
D:\\DEDICATED.DMP, set with tools/bbreg before boot) is written through dump_nvme, the
polled clone that drives its own I/O queue pair. Crash, let it reboot (the dump is recovered
across volumes into C:\\MEMORY.DMP), power off, copy it off the system image with mtools and check it with tools/bbdump: valid header, the right
bugcheck, every chunk CRC, and a page planted with `mark` found at its physical address.
Also on a 4096-byte-sector namespace, and the live NVMe disk still works after the boot
self-test."""
import re
import subprocess

import pytest

from machine import Machine
from test_dump import BBREG, CRASHCONTROL, bbdump, check_marker, memory_dmp, system_disk
from test_files import Disk


def dedicated_setup(tmp_path, dump_type=None, sector=512, size_mb=None):
    c = system_disk(tmp_path, dump_type)
    subprocess.run([BBREG, c.path, "add", CRASHCONTROL, "/v", "DedicatedDumpFile", "/t", "REG_SZ",
                    "/d", "D:\\DEDICATED.DMP", "/f"], check=True, capture_output=True)
    if size_mb is not None:
        subprocess.run([BBREG, c.path, "add", CRASHCONTROL, "/v", "DumpFileSize", "/t", "REG_DWORD",
                        "/d", str(size_mb), "/f"], check=True, capture_output=True)
    d = Disk(tmp_path, "data.img", size="1G", label="DATA", sector=sector)
    return c, d


def boot(tmp_path, c, d, sector):
    return Machine(tmp_path, mem=256, system=c.path, data=d.path,
                   data_sector_size=sector if sector != 512 else None)


def check_armed(m, sector):
    cfg = m.cmd("dumpcfg")
    assert "state:        ARMED" in cfg, cfg
    assert "target:       D:\\DEDICATED.DMP" in cfg, cfg
    assert "dedicated:    DedicatedDumpFile" in cfg, cfg
    assert re.search(r"clone:\s+dump_nvme,", cfg), cfg
    assert f"{sector}-byte sectors" in cfg, cfg
    assert "self-test:    passed" in cfg, cfg
    return cfg


def crash_to_dedicated(tmp_path, c, d, sector, mark, kind="manual"):
    m = boot(tmp_path, c, d, sector)
    try:
        m.wait_prompt()
        check_armed(m, sector)
        out = m.cmd(f'mark "{mark}"')
        phys = int(re.search(r"phys 0x([0-9a-f]+)", out).group(1), 16)
        m.send(f"crash {kind}\r")
        m.expect(r"\*\*\* STOP: 0x", timeout=60)
        m.expect("Physical memory dump complete.", timeout=300)
        m.expect(r"Dump #(\d+): (\w+), (\d+) MiB in (\d+) ms")
        mib, ms = int(m.child.match.group(3)), int(m.child.match.group(4))
        print(f"dump_nvme: {mib} MiB in {ms} ms ({mib * 1000 / max(ms, 1):.1f} MiB/s)")
        # recovery: D:\DEDICATED.DMP -> D:\DUMPxxxx.TMP (another volume than the final
        # C:\MEMORY.DMP), copied to C:, the temporary file deleted, a fresh dedicated file
        m.expect(r"smss: MachineCrash: DumpFile D:\\DUMP[0-9A-F]{4}\.TMP, TempDestination 1",
                 timeout=300)
        m.expect(r"werfault: (dump #\d+ saved as C:\\MEMORY\.DMP|minidump C:\\Minidump\\\S+: the "
                 r"small dump itself)", timeout=300)
        m.wait_prompt()
        check_armed(m, sector)
        assert "DUMP" not in m.cmd("dir D:\\")
        m.send("poweroff\r")
        assert m.wait_exit(timeout=60) == 0
    finally:
        m.close()
    return memory_dmp(c, tmp_path), phys


@pytest.mark.parametrize("dump_type,written", [(None, "bitmap"), (1, "full")])
def test_dedicated_dump_on_nvme(tmp_path, dump_type, written):
    """Kernel (the default, automatic) and complete dumps to D:\\DEDICATED.DMP."""
    c, d = dedicated_setup(tmp_path, dump_type)
    dump, phys = crash_to_dedicated(tmp_path, c, d, 512, "NVME-DUMP-MARK-")
    assert f"valid {written} dump" in bbdump("check", dump).stdout
    check_marker(dump, phys, "NVME-DUMP-MARK-")
    info = bbdump("info", dump).stdout
    assert re.search(r"bugcheck:\s+0x000000E2 MANUALLY_INITIATED_CRASH", info)
    assert re.search(r"flags:\s+0x7 VALID COMPLETE CLEARED", info), info


def test_small_dump_on_nvme_with_io_in_flight(tmp_path):
    """A minidump (CrashDumpEnabled=3) through dump_nvme, crashed by `crash io` while a read
    is still in flight on the live queue of the same controller."""
    c, d = dedicated_setup(tmp_path, 3)
    dump, _ = crash_to_dedicated(tmp_path, c, d, 512, "SMALL-", kind="io")
    assert "valid small dump" in bbdump("check", dump).stdout


def test_dedicated_dump_on_4k_nvme(tmp_path):
    c, d = dedicated_setup(tmp_path, 1, sector=4096)
    dump, phys = crash_to_dedicated(tmp_path, c, d, 4096, "4K-SECTORS-")
    assert "valid full dump" in bbdump("check", dump).stdout
    check_marker(dump, phys, "4K-SECTORS-")


def test_dump_file_size_and_live_disk_after_self_test(tmp_path):
    """DumpFileSize sizes the dedicated file; after the clone's self-test the live driver
    still reads and writes D: (its own queue pair untouched), and the pagefile is not the
    target."""
    c, d = dedicated_setup(tmp_path, 3, size_mb=2)
    m = boot(tmp_path, c, d, 512)
    try:
        m.wait_prompt()
        cfg = check_armed(m, 512)
        assert "DumpFileSize 2 MB" in cfg, cfg
        assert re.search(r"available .* \(2097152 bytes\)", cfg), cfg
        assert "queue pair 2" in m.cmd("log")
        m.cmd("write D:\\after.txt written after the dump self-test")
        assert "written after the dump self-test" in m.cmd("type D:\\after.txt")
        m.send("poweroff\r")
        assert m.wait_exit(timeout=60) == 0
    finally:
        m.close()
    assert d.get("after.txt") == b"written after the dump self-test\n"
    assert re.search(r"DMP\s+2097152 .*DEDICATED\.DMP", d.mdir()), d.mdir()
