"""`bbdump extract` on disk images, no root and no mounting: a machine that crashed and never
booted again has its dump found in pagefile.sys and validated (complete and small, with the
right bugcheck); one that rebooted has the recovered C:\\MEMORY.DMP and the minidump werfault
made copied out, and its re-armed pagefile reported as holding no dump; dumps placed with
mtools as C:\\MEMORY.DMP, a minidump, a DUMPxxxx.TMP on D: and a DedicatedDumpFile set with
bbreg are all found, named and validated, the event log is copied raw; a dump with one
flipped data byte is reported corrupt and a truncated one incomplete, neither copied, and the
exit code says whether a good dump was found."""
import os
import re
import subprocess

import pytest

from test_dump import (BBREG, CRASHCONTROL, bbdump, crash_and_collect, crash_never_rebooted,
                       pagefile, system_disk)
from test_files import Disk, run

MINIDUMP = "112226-00001-01.dmp"


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    """Unrecovered dumps of real crashes, as (system image, local copy of its pagefile): a
    complete one (CrashDumpEnabled=1, `crash manual`) and a small one (3, `crash null`), each
    of a machine switched off right after writing it."""
    out = {}
    for name, typ, kind in (("complete", 1, "manual"), ("small", 3, "null")):
        d = tmp_path_factory.mktemp(name)
        c = system_disk(d, typ)
        crash_never_rebooted(d, c, kind)
        out[name] = (c, pagefile(c, d))
    return out


def extract(tmp_path, *images, ok=True):
    out = str(tmp_path / "out")
    r = bbdump("extract", *images, "-o", out, check=False)
    assert (r.returncode == 0) == ok, r.stdout + r.stderr
    return out, r.stdout


def row(text, source):
    """The table row of `source` as [output, type, size, bugcheck, seq, status]."""
    for line in text.splitlines():
        f = line.split(None, 6)
        if f and f[0] == source:
            return f[1:]
    raise AssertionError(f"no row for {source}:\n{text}")


def put(disk, local, name):
    run("mcopy", "-o", "-i", disk.target, local, "::/" + name)


def dump_bytes(local):
    """The dump's own bytes (RequiredDumpSpace) of a pagefile copy."""
    info = bbdump("info", local).stdout
    size = int(re.search(r"^required space:\s+(\d+)", info, re.M).group(1))
    with open(local, "rb") as f:
        return f.read(size)


@pytest.mark.parametrize("name,code,kind", [("complete", "0x000000E2", "complete"),
                                            ("small", "0x00000050", "small")])
def test_unrecovered_dump_in_the_pagefile(tmp_path, dumps, name, code, kind):
    c, local = dumps[name]
    out, text = extract(tmp_path, c.path)
    r = row(text, "C:\\pagefile.sys")
    assert r[0] == "pagefile-dump.dmp" and r[1] == kind and r[3] == code, text
    assert r[4] == "1" and r[5] == "valid", text
    copy = os.path.join(out, "pagefile-dump.dmp")
    assert int(r[2]) == os.path.getsize(copy) < os.path.getsize(local)
    with open(copy, "rb") as f:
        assert f.read() == dump_bytes(local)
    assert f"valid {'full' if kind == 'complete' else 'small'} dump" in \
        bbdump("check", copy).stdout
    assert row(text, "C:\\MEMORY.DMP")[5] == "absent"
    assert "1 valid dump copied" in text


def test_recovered_memory_dmp_and_minidump(tmp_path):
    c = system_disk(tmp_path, 1)
    crash_and_collect(tmp_path, c, "manual")
    out, text = extract(tmp_path, c.path)
    r = row(text, "C:\\MEMORY.DMP")
    assert r[:2] == ["MEMORY.DMP", "complete"] and r[3:] == ["0x000000E2", "1", "valid"], text
    mini = [l.split()[0] for l in text.splitlines() if l.startswith("C:\\Minidump\\")]
    assert len(mini) == 1 and re.match(r"C:\\Minidump\\\d{6}-00001-01\.dmp$", mini[0]), text
    r = row(text, mini[0])
    assert r[1] == "small" and r[3:] == ["0x000000E2", "1", "valid"], text
    r = row(text, "C:\\pagefile.sys")
    assert r[0] == "-" and r[3:5] == ["-", "-"], text
    assert r[5] == "no dump (a target ready for the next one)", text
    assert "2 valid dumps copied" in text and "incomplete" not in text
    for name in ("MEMORY.DMP", "Minidump/" + mini[0].split("\\")[-1]):
        assert "valid" in bbdump("check", os.path.join(out, name)).stdout


def test_placed_files_are_found_and_validated(tmp_path, dumps):
    full = str(tmp_path / "full.dmp")
    small = str(tmp_path / "small.dmp")
    with open(full, "wb") as f:
        f.write(dump_bytes(dumps["complete"][1]))
    with open(small, "wb") as f:
        f.write(dump_bytes(dumps["small"][1]))
    c = system_disk(tmp_path)
    d = Disk(tmp_path, "data.img", size="1G", label="DATA")
    subprocess.run([BBREG, c.path, "add", CRASHCONTROL, "/v", "DedicatedDumpFile", "/t",
                    "REG_SZ", "/d", "D:\\DEDICATED.DMP", "/f"], check=True, capture_output=True)
    put(c, full, "MEMORY.DMP")
    run("mmd", "-i", c.target, "::/Minidump", "::/EVENTS")
    put(c, small, "Minidump/" + MINIDUMP)
    events = tmp_path / "events.bin"
    events.write_bytes(os.urandom(5000))
    put(c, str(events), "EVENTS/SYSTEM.EVT")
    put(d, full, "DUMP00A1.TMP")
    put(d, small, "DEDICATED.DMP")

    out, text = extract(tmp_path, c.path, d.path)
    assert re.search(r"^D: \S+data\.img partition 1$", text, re.M), text
    want = {
        "C:\\MEMORY.DMP": ("MEMORY.DMP", "complete", full, "0x000000E2"),
        "C:\\Minidump\\" + MINIDUMP: ("Minidump/" + MINIDUMP, "small", small, "0x00000050"),
        "D:\\DUMP00A1.TMP": ("DUMP00A1.dmp", "complete", full, "0x000000E2"),
        "D:\\DEDICATED.DMP": ("dedicated-dump.dmp", "small", small, "0x00000050"),
    }
    for source, (name, kind, src, code) in want.items():
        r = row(text, source)
        assert r[:2] == [name, kind] and r[3] == code and r[5] == "valid", text
        with open(os.path.join(out, name), "rb") as a, open(src, "rb") as b:
            assert a.read() == b.read(), name
    assert re.search(r"^C:\\EVENTS\\SYSTEM\.EVT\s+SYSTEM\.EVT\s+event log\s+5000\s+-\s+-\s+"
                     r"copied \(raw\)$", text, re.M), text
    assert (tmp_path / "out" / "SYSTEM.EVT").read_bytes() == events.read_bytes()
    assert row(text, "C:\\pagefile.sys")[5] == "absent"
    assert "4 valid dumps copied" in text


def test_corrupt_and_truncated_dumps_are_not_copied(tmp_path, dumps):
    full = str(tmp_path / "full.dmp")
    small = str(tmp_path / "small.dmp")
    data = bytearray(dump_bytes(dumps["complete"][1]))
    data[0x2000 + 4096 * 100 + 7] ^= 0x40            # one bit of a data page
    with open(full, "wb") as f:
        f.write(data)
    with open(small, "wb") as f:
        f.write(dump_bytes(dumps["small"][1])[:-1000])
    c = system_disk(tmp_path)
    put(c, full, "MEMORY.DMP")
    run("mmd", "-i", c.target, "::/Minidump")
    put(c, small, "Minidump/" + MINIDUMP)

    out, text = extract(tmp_path, c.path, ok=False)
    r = row(text, "C:\\MEMORY.DMP")
    assert r[0] == "-" and r[3] == "0x000000E2", text
    assert re.match(r"corrupt: data CRC mismatch in chunk \d+ \(file bytes 0x[0-9a-f]+\.\.0x"
                    r"[0-9a-f]+\); not copied$", r[5]), text
    r = row(text, "C:\\Minidump\\" + MINIDUMP)
    assert r[0] == "-" and r[3] == "0x00000050", text
    assert re.match(r"incomplete: the file holds \d+ bytes, the dump needs \d+ \(truncated\); "
                    r"not copied$", r[5]), text
    assert sorted(os.listdir(out)) in ([], ["Minidump"])
    assert not os.path.exists(os.path.join(out, "Minidump", MINIDUMP))
    assert "0 valid dumps copied" in text and "2 incomplete or corrupt, not copied" in text


def test_bad_image_is_a_clear_error(tmp_path):
    bad = tmp_path / "zero.img"
    bad.write_bytes(bytes(1 << 20))
    r = bbdump("extract", str(bad), "-o", str(tmp_path / "out"), check=False)
    assert r.returncode == 1 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr == f"bbdump: {bad}: no GPT (not a Blackbox disk image?)\n", r.stderr
    assert not (tmp_path / "out").exists()
    r = bbdump("extract", str(tmp_path / "missing.img"), check=False)
    assert r.returncode == 1 and "missing.img: No such file or directory" in r.stderr, r.stderr
    assert bbdump("extract", check=False).returncode == 2
