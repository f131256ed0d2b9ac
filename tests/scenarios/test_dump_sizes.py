r"""Dumps of any size and the fallback chain (configured type -> kernel -> small): a 16 GiB
guest with the default settings writes and recovers a kernel dump whose target is sized from
the kernel's own memory; a 64 GiB guest arms; a 6 GiB guest asked for a complete dump, which
no FAT32 file holds, falls back to a kernel dump and says why everywhere; a kernel that grew
past its target's headroom after boot writes a minidump with the reason, and the automatic
target grows at the next boot (LastCrashTime); a pagefile that cannot be given a new size is
kept. The guests' RAM is only what they touch (run-qemu: reserve=off), the disks are sparse."""
import re
import subprocess

import pytest

from machine import Machine
from test_dump import BBREG, CRASHCONTROL, bbdump, memory_dmp, system_disk

MM = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management"


def reg_add(c, key, name, typ, data):
    subprocess.run([BBREG, c.path, "add", key, "/v", name, "/t", typ, "/d", data, "/f"],
                   check=True, capture_output=True)


def crash_recover(m, expect_status=()):
    """Crash the booted machine `m`, wait for the dump, the reboot and the recovery; returns
    the serial text of the crash."""
    m.send("crash manual\r")
    m.expect(r"\*\*\* STOP: 0x", timeout=60)
    for line in expect_status:
        m.expect(re.escape(line), timeout=120)
    m.expect(r"Dump #\d+: (\w+), \d+ MiB in \d+ ms", timeout=300)
    kind = m.child.match.group(1)
    m.expect(r"werfault: (dump #\d+ saved as C:\\MEMORY\.DMP|minidump C:\\Minidump\\\S+: the "
             r"small dump itself)", timeout=300)
    m.wait_prompt()
    return kind


def poweroff(m):
    m.send("poweroff\r")
    assert m.wait_exit(timeout=60) == 0


def recovered(c, tmp_path, kind):
    """The recovered dump taken off the image, checked as a valid `kind` dump: (path, info)."""
    dump = memory_dmp(c, tmp_path)
    assert f"valid {kind} dump" in bbdump("check", dump).stdout
    return dump, bbdump("info", dump).stdout


def mib(cfg, what):
    return int(re.search(rf"{what} [\d.]+ \w+ \((\d+) bytes\)", cfg).group(1)) >> 20


def test_16g_default_kernel_dump(tmp_path):
    """CrashDumpEnabled=7 (the default) on 16 GiB: the target is sized from the kernel's
    memory (tens of MiB, not a third of RAM), armed, and the crash is recovered into
    MEMORY.DMP as a valid kernel dump."""
    c = system_disk(tmp_path, size="8G")
    m = Machine(tmp_path, mem=16384, system=c.path)
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        assert "state:        ARMED" in cfg and "will write:" not in cfg, cfg
        assert re.search(r"sizing:\s+kernel memory now [\d.]+ MiB \([\d.]+ MiB when armed\) \+ headroom \d+ MiB; "
                         r"a complete dump 16\.0 GiB", cfg), cfg
        assert 32 <= mib(cfg, "available") <= 128, cfg
        assert crash_recover(m) == "kernel"
        poweroff(m)
    finally:
        m.close()
    _, info = recovered(c, tmp_path, "bitmap")
    assert "fallback: none" in info and "MANUALLY_INITIATED_CRASH" in info, info


def test_64g_arms_an_automatic_dump(tmp_path):
    c = system_disk(tmp_path, size="8G")
    m = Machine(tmp_path, mem=65536, system=c.path)
    try:
        m.wait_prompt()
        boot_us = int(re.search(r"shell ready (\d+) us after kernel entry", m.cmd("log")).group(1))
        assert boot_us < 30_000_000, boot_us
        cfg = m.cmd("dumpcfg")
        assert "state:        ARMED" in cfg and "automatic memory dump" in cfg, cfg
        assert "will write:" not in cfg and "a complete dump 64.0 GiB" in cfg, cfg
        assert mib(cfg, "available") <= 256, cfg
    finally:
        m.close()


def test_6g_complete_falls_back_to_kernel(tmp_path):
    """A complete dump of 6 GiB needs more than a FAT32 file holds: the chain arms a kernel
    dump, says why on dumpcfg and the blue screen, and the dump's header and analyze say so."""
    c = system_disk(tmp_path, 1, size="8G")
    m = Machine(tmp_path, mem=6144, system=c.path)
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        assert "state:        ARMED" in cfg and "will write:   kernel memory dump" in cfg, cfg
        assert re.search(r"note:\s+a complete dump needs 61\d\d MiB, a FAT32 file holds 4095 MiB: a kernel dump "
                         r"will be written", cfg), cfg
        assert crash_recover(m, ["A kernel dump instead of the configured one: a complete dump needs"]) == "kernel"
        poweroff(m)
    finally:
        m.close()
    dump, info = recovered(c, tmp_path, "bitmap")
    assert re.search(r"configured:\s+complete, written bitmap, fallback: target too small", info), info
    out = bbdump("analyze", dump, "--force").stdout
    assert "DUMP_FALLBACK:  bitmap dump written instead of the configured complete one: target too small" in out, out


@pytest.mark.parametrize("disk", ["1G", "256M"])
def test_kernel_outgrows_target_small_dump_then_grows(tmp_path, disk):
    """The kernel takes 64 MiB more after boot than its target's headroom allows: at the crash
    the kernel dump does not fit, a minidump is written with the reason; at the next boot
    LastCrashTime is set and the re-armed automatic target is sized for all of RAM, or, on a
    volume without room for that, at the kernel dump's size again."""
    c = system_disk(tmp_path, size=disk)
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        before = mib(m.cmd("dumpcfg"), "available")
        assert before < 64, before
        m.cmd("mark grow 16384", timeout=120)
        assert crash_recover(m, ["The kernel dump does not fit in C:\\pagefile.sys: writing a minidump instead."]) == "small"
        log = m.cmd("log 300")
        assert "LastCrashTime set; the target grows to hold all of RAM" in log, log
        assert "LastCrashTime    REG_QWORD" in m.cmd(f'reg query "{CRASHCONTROL}" /v LastCrashTime')
        cfg = m.cmd("dumpcfg")
        assert "state:        ARMED" in cfg and "will write:" not in cfg, cfg
        if disk == "1G":
            assert "grown for all of RAM: an automatic dump fell back (LastCrashTime)" in cfg, cfg
            assert mib(cfg, "available") >= 256, cfg
        else:
            assert "grown for all of RAM" not in cfg, cfg
            assert re.search(r"no room for C:\\pagefile\.sys at 25\d MiB \(all of RAM\): made at the kernel "
                             r"dump's \d+ MiB", m.cmd("log 40")), log
            assert mib(cfg, "available") < 64, cfg
        poweroff(m)
    finally:
        m.close()
    _, info = recovered(c, tmp_path, "small")
    assert re.search(r"configured:\s+automatic, written small, fallback: target too small", info), info


def boot_dumpcfg(tmp_path, c):
    """Boot, return dumpcfg's output, power off."""
    m = Machine(tmp_path, system=c.path)
    try:
        m.wait_prompt()
        cfg = m.cmd("dumpcfg")
        poweroff(m)
    finally:
        m.close()
    assert "state:        ARMED" in cfg, cfg
    return cfg


def test_pagefile_out_of_reach_is_kept(tmp_path):
    """PagingFiles asks for 900 MB on a volume with less free: the pagefile made at the first
    boot is kept at its size and armed, not deleted; a size over 4095 MB is refused with a
    message and the system-managed size used."""
    c = system_disk(tmp_path, size="512M")
    first = mib(boot_dumpcfg(tmp_path, c), "available")
    reg_add(c, MM, "PagingFiles", "REG_MULTI_SZ", "C:\\pagefile.sys 900 900")
    cfg = boot_dumpcfg(tmp_path, c)
    assert f"kept:         C:\\pagefile.sys kept at {first} MiB: 900 MiB" in cfg, cfg
    assert mib(cfg, "available") == first
    reg_add(c, MM, "PagingFiles", "REG_MULTI_SZ", "C:\\pagefile.sys 5000 5000")
    cfg = boot_dumpcfg(tmp_path, c)
    assert ("settings:     PagingFiles' initial size 5000 MB is out of range (0 = system-managed, "
            "at most 4095: a FAT32 file): system-managed") in cfg, cfg
    listing = subprocess.run(["mdir", "-i", c.target, "::"], capture_output=True, text=True,
                             check=True).stdout
    assert int(re.search(r"^pagefile sys\s+(\d+)", listing, re.M).group(1)) >> 20 == first, listing
