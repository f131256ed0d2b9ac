r"""Large layouts end to end: a machine whose RAM map has more runs than the dump header's run
list holds (43). GRUB's own `cutmem` command cuts 4 KiB holes out of the firmware's memory map
before it boots the kernel (a boot medium made for the test from build/iso), so the kernel
really sees RAM in 52 runs. A complete dump of it is written in the full bitmap layout (FDMP),
recovered by smss and werfault into C:\MEMORY.DMP and converted to a minidump, and every
bbdump command reads it; the holes are not in the dump, the machine's pages are."""
import os
import re
import shutil
import subprocess

from machine import ROOT
from test_dump import bbdump, check_marker, crash_and_collect, memory_dmp, system_disk

ELF = os.path.join(ROOT, "build", "blackbox.elf")
HOLES = 50                      # one run becomes 51, and the first MiB's run makes 52
HOLE_BASE = 100 << 20           # in a 256 MiB guest: clear of the kernel and its early memory
HOLE_STEP = 2 << 20


def holes():
    return [HOLE_BASE + i * HOLE_STEP for i in range(HOLES)]


def iso_with_holes(tmp_path):
    """build/iso with `cutmem` lines ahead of the menu entry, packed by grub-mkrescue."""
    tree = tmp_path / "iso"
    shutil.copytree(os.path.join(ROOT, "build", "iso"), tree)
    cfg = tree / "boot" / "grub" / "grub.cfg"
    cuts = "".join(f"cutmem {h:#x} {h + 4096:#x}\n" for h in holes())
    text = cfg.read_text()
    assert "menuentry" in text
    cfg.write_text(text.replace("menuentry", cuts + "menuentry", 1))
    iso = str(tmp_path / "holes.iso")
    subprocess.run(["grub-mkrescue", "-o", iso, str(tree)], check=True, capture_output=True,
                   timeout=120)
    return iso


def test_complete_dump_of_ram_in_52_runs_is_fdmp(tmp_path):
    c = system_disk(tmp_path, 1)
    _, phys = crash_and_collect(tmp_path, c, "manual", mark="BLACKBOX-FDMP-",
                                iso=iso_with_holes(tmp_path))
    serial = (tmp_path / "serial.log").read_text(errors="replace")
    assert re.search(r"mm: \d+ MiB RAM in 52 runs", serial), serial[:4000]
    assert re.search(r"Dump #1: complete, \d+ MiB", serial), serial
    minidump = re.search(r"werfault: minidump (C:\\Minidump\\\S+): \d+ bytes, \d+ streams",
                         serial)
    assert minidump, serial

    dump = memory_dmp(c, tmp_path)
    info = bbdump("info", dump).stdout
    assert re.search(r"^dump type:\s+5 \(bitmap\)$", info, re.M), info
    assert re.search(r"^physical memory:\s+52 runs \(the header lists the first 43\), "
                     r"(\d+) pages", info, re.M), info
    ram_pages = int(re.search(r"52 runs \(.*\), (\d+) pages", info).group(1))
    bitmap = re.search(r"^bitmap:\s+(\d+) of \d+ pages present, first at 0x[0-9a-f]+, "
                       r"every RAM page \(FDMP\)$", info, re.M)
    assert bitmap and int(bitmap.group(1)) == ram_pages, info
    assert re.search(r"^configured:\s+complete, written bitmap, fallback: none$", info, re.M), info
    assert "valid bitmap dump" in bbdump("check", dump).stdout

    # the machine's pages are where the bitmap puts them; the holes are not in the dump
    check_marker(dump, phys, "BLACKBOX-FDMP-")
    for h in (holes()[0], holes()[-1]):
        r = bbdump("read", dump, hex(h), "16", check=False)
        assert r.returncode == 1 and f"physical {h:#x} is not in the dump" in r.stderr, r.stderr
        bbdump("read", dump, hex(h + 4096), "16")

    out = bbdump("analyze", dump, "--kernel", ELF).stdout
    assert re.search(r"^MANUALLY_INITIATED_CRASH \(E2\)$", out, re.M), out
    assert re.search(r"^FAULTING_IP:\s+[0-9a-f]{16} crash_manual\+", out, re.M), out

    # werfault's minidump, converted at boot from the FDMP dump, reads as the same crash
    extracted = tmp_path / "extracted" / "Minidump" / minidump.group(1).split("\\")[-1]
    assert "valid small dump" in bbdump("check", str(extracted)).stdout
    assert "(converted from bitmap dump)" in bbdump("info", str(extracted)).stdout
    mini = bbdump("analyze", str(extracted), "--kernel", ELF).stdout
    assert re.search(r"^FAULTING_IP:\s+[0-9a-f]{16} crash_manual\+", mini, re.M), mini
