"""The dump partition (tools/mkdisk --dump-partition): a complete dump that does not fit the
pagefile (PagingFiles made 64 MB with tools/bbreg) goes to the data disk's dump partition
through dump_nvme, on 512- and 4096-byte sectors; CrashControl\\DumpPartition names one
explicitly, here the system disk's, written through dump_ahci although the pagefile would hold
the dump. After the crash the next boot leaves the dump in the partition (smss says so, the
kernel keeps it), and on the host `bbdump extract` takes it off the image and `bbdump check`
reads every chunk; a page planted with `mark` is found at its physical address."""
import re
import subprocess

import pytest

from machine import Machine
from test_dump import BBREG, CRASHCONTROL, bbdump, check_marker, system_disk
from test_files import MKDISK, run

MEMORY_MANAGEMENT = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management"


def reg(img, key, name, kind, data):
    subprocess.run([BBREG, img, "add", key, "/v", name, "/t", kind, "/d", data, "/f"],
                   check=True, capture_output=True)


def crash_into_partition(tmp_path, system, data, sector, part, clone, mark):
    """Boot, check the stack is armed on dump partition `part`, crash, let the next boot
    leave the dump there, power off. Returns the marker's physical address."""
    m = Machine(tmp_path, mem=256, system=system, data=data,
                data_sector_size=sector if sector != 512 else None)
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        assert "state:        ARMED" in cfg, cfg
        assert f"target:       {part}\r" in cfg or f"target:       {part}\n" in cfg, cfg
        assert re.search(rf"partition:\s+dump partition 2 of disk {part[:-2]}", cfg), cfg
        assert re.search(rf"clone:\s+{clone},", cfg), cfg
        assert "sector runs:  1 run(s)" in cfg, cfg
        assert "self-test:    passed" in cfg, cfg
        out = m.cmd(f'mark "{mark}"')
        phys = int(re.search(r"phys 0x([0-9a-f]+)", out).group(1), 16)
        m.send("crash manual\r")
        m.expect(r"\*\*\* STOP: 0x", timeout=60)
        m.expect("Physical memory dump complete.", timeout=300)
        m.expect(rf"smss: dump #1 is in dump partition {part}: left there for bbdump extract",
                 timeout=300)
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        assert f"{part} (holds an unrecovered dump)" in cfg, cfg
        assert "state:        ARMED" in cfg, cfg
        m.send("poweroff\r")
        assert m.wait_exit(timeout=60) == 0
    finally:
        m.close()
    return phys


def extract_partition_dump(tmp_path, image, name):
    out = tmp_path / "extracted"
    r = bbdump("extract", image, "-o", str(out))
    assert re.search(rf"{name} partition 2\s.*\scomplete\s.*\svalid", r.stdout), r.stdout
    return str(out / f"{name}-p2-dump.dmp")


@pytest.mark.parametrize("sector", [512, 4096])
def test_complete_dump_too_big_for_the_pagefile_goes_to_the_partition(tmp_path, sector):
    c = system_disk(tmp_path, 1)
    reg(c.path, MEMORY_MANAGEMENT, "PagingFiles", "REG_MULTI_SZ", "C:\\pagefile.sys 64 64")
    data = str(tmp_path / "data.img")
    run(MKDISK, "--sector-size", str(sector), "--dump-partition", "320M", data, "700M", "DATA")
    phys = crash_into_partition(tmp_path, c.path, data, sector, "nvme0n1p2", "dump_nvme",
                                "PARTITION-MARK-")
    dump = extract_partition_dump(tmp_path, data, "data.img")
    check = bbdump("check", dump).stdout
    assert "valid full dump" in check, check
    check_marker(dump, phys, "PARTITION-MARK-")


def test_dump_partition_named_in_the_registry(tmp_path):
    system = str(tmp_path / "system.img")
    run(MKDISK, "--dump-partition", "320M", system, "1G", "SYSTEM")
    for name, value in (("CrashDumpEnabled", "1"), ("AlwaysKeepMemoryDump", "1")):
        reg(system, CRASHCONTROL, name, "REG_DWORD", value)
    reg(system, CRASHCONTROL, "DumpPartition", "REG_SZ", "ahci0p2")
    data = str(tmp_path / "data.img")
    run(MKDISK, "--dump-partition", "320M", data, "700M", "DATA")
    phys = crash_into_partition(tmp_path, system, data, 512, "ahci0p2", "dump_ahci",
                                "NAMED-PART-MARK-")
    dump = extract_partition_dump(tmp_path, system, "system.img")
    assert "valid full dump" in bbdump("check", dump).stdout
    check_marker(dump, phys, "NAMED-PART-MARK-")
