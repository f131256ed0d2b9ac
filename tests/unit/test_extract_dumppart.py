"""`bbdump extract` on a dump partition, host only: a tools/mkdisk image with --dump-partition,
a small dump (the committed fuzz seed's) written at the partition's start as the dump stack
writes one. The copy is byte for byte the dump; a dump with one data byte flipped is reported
corrupt and not copied; an empty partition is reported as holding no dump."""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MKDISK = os.path.join(ROOT, "tools", "mkdisk")
BBDUMP = os.path.join(ROOT, "tools", "bbdump")
SEED = os.path.join(ROOT, "tests", "fuzz", "seeds", "bbdump_disk", "dumppart.img")
ENV = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def small_dump():
    """The small dump in the seed image: its partition starts at sector 34."""
    with open(SEED, "rb") as f:
        f.seek(34 * 512)
        data = f.read()
    size = int.from_bytes(data[0xFA0:0xFA8], "little")   # RequiredDumpSpace
    assert 0x2000 < size <= len(data)
    return data[:size]


@pytest.fixture
def image(tmp_path):
    img = str(tmp_path / "disk.img")
    r = subprocess.run([MKDISK, "--dump-partition", "8M", img, "64M"], capture_output=True,
                       text=True, env=ENV, timeout=120)
    assert r.returncode == 0, r.stderr
    first = int(re.search(r"dump partition at sector (\d+)", r.stdout).group(1))
    return img, first * 512


def extract(img, out):
    return subprocess.run([BBDUMP, "extract", img, "-o", out], capture_output=True, text=True,
                          timeout=120)


def test_dump_copied_byte_for_byte(tmp_path, image):
    img, offset = image
    dump = small_dump()
    with open(img, "r+b") as f:
        f.seek(offset)
        f.write(dump)
    r = extract(img, str(tmp_path / "out"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"disk\.img partition 2\s+disk\.img-p2-dump\.dmp\s+small\s+%d\s.*valid"
                     % len(dump), r.stdout), r.stdout
    assert (tmp_path / "out" / "disk.img-p2-dump.dmp").read_bytes() == dump


def test_corrupt_dump_not_copied(tmp_path, image):
    img, offset = image
    dump = bytearray(small_dump())
    dump[len(dump) - 100] ^= 0x5A
    with open(img, "r+b") as f:
        f.seek(offset)
        f.write(dump)
    r = extract(img, str(tmp_path / "out"))
    assert r.returncode == 1
    assert re.search(r"disk\.img partition 2\s+-\s.*not copied", r.stdout), r.stdout
    assert not (tmp_path / "out" / "disk.img-p2-dump.dmp").exists()


def test_empty_partition_holds_no_dump(tmp_path, image):
    img, _ = image
    r = extract(img, str(tmp_path / "out"))
    assert re.search(r"disk\.img partition 2\s+-\s.*no dump", r.stdout), r.stdout
    assert not (tmp_path / "out" / "disk.img-p2-dump.dmp").exists()
