"""tools/mkdisk checked with the real tools: the GPT with sgdisk (512) or fdisk -b 4096, the
FAT32 volume with mtools at the partition's offset (minfo, mdir, a file copied in and out),
and fsck.fat -n on the partition copied out sparsely (SEEK_DATA), since fsck.fat takes no
offset and loop devices need root. Also: sparse output, refusing to overwrite, errors, and
`make disks` creating only what is missing, and --dump-partition (the GPT read back by fdisk and
partx, the type GUID the one in kernel/lib/gpt.h, the FAT32 volume still whole before it)."""
import errno
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MKDISK = os.path.join(ROOT, "tools", "mkdisk")
ENV = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin", MTOOLS_SKIP_CHECK="1")


def run(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True, env=ENV, timeout=300)
    if check:
        assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
    return r


def partition(img, sector):
    """(first, last) sector of partition 1, from the tool that reads this sector size."""
    if sector == 512:
        out = run("sgdisk", "-i", "1", img).stdout
        first = int(re.search(r"First sector: (\d+)", out).group(1))
        last = int(re.search(r"Last sector: (\d+)", out).group(1))
        assert "Microsoft basic data" in out
        return first, last
    out = run("fdisk", "-b", str(sector), "-l", "-o", "Start,End,Type", img).stdout
    m = re.search(r"^\s*(\d+)\s+(\d+)\s+Microsoft basic data\s*$", out, re.M)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def extract(img, offset, length, out):
    """Copies bytes [offset, offset+length) of img to a sparse file, data extents only."""
    with open(img, "rb") as src, open(out, "wb") as dst:
        dst.truncate(length)
        fd, pos, end = src.fileno(), offset, offset + length
        while pos < end:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:
                    break
                raise
            if start >= end:
                break
            stop = min(os.lseek(fd, start, os.SEEK_HOLE), end)
            src.seek(start)
            dst.seek(start - offset)
            left = stop - start
            while left:
                chunk = src.read(min(left, 1 << 20))
                dst.write(chunk)
                left -= len(chunk)
            pos = stop


@pytest.mark.parametrize("sector,size,label", [
    (512, "100M", "TEST"), (4096, "300M", "DATA"), (512, "64G", "SYSTEM"), (4096, "16G", None),
])
def test_image_checks_out(tmp_path, sector, size, label):
    img = str(tmp_path / "disk.img")
    args = [MKDISK, "--sector-size", str(sector), img, size] + ([label] if label else [])
    run(*args)
    nbytes = int(size[:-1]) << {"M": 20, "G": 30}[size[-1]]
    st = os.stat(img)
    assert st.st_size == nbytes
    assert st.st_blocks * 512 < 64 << 20, "image is not sparse"

    if sector == 512:
        assert "No problems found" in run("sgdisk", "-v", img).stdout
    first, last = partition(img, sector)
    assert first * sector == 1 << 20
    usable_end = nbytes // sector - (34 if sector == 512 else 6)
    assert usable_end - (1 << 20) // sector < last <= usable_end
    offset, length = first * sector, (last - first + 1) * sector

    target = f"{img}@@{offset}"
    info = run("minfo", "-i", target, "::").stdout
    assert f"sector size: {sector} bytes" in info
    assert f"hidden sectors: {first}" in info
    assert 'disk type="FAT32   "' in info
    assert f'disk label="{(label or "NO NAME").ljust(11)}"' in info
    hello = tmp_path / "hello.txt"
    hello.write_text("no crash is ever lost\n")
    run("mcopy", "-i", target, str(hello), "::/HELLO.TXT")
    assert "HELLO    TXT" in run("mdir", "-i", target, "::").stdout
    assert run("mtype", "-i", target, "::/HELLO.TXT").stdout == "no crash is ever lost\n"

    part = str(tmp_path / "part.img")
    extract(img, offset, length, part)
    r = run("fsck.fat", "-n", part, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "HELLO.TXT" in run("fsck.fat", "-n", "-l", part).stdout


def dump_type_guid():
    with open(os.path.join(ROOT, "kernel", "lib", "gpt.h")) as f:
        return re.search(r'^#define GPT_TYPE_BB_DUMP_TEXT "([0-9A-F-]{36})"$', f.read(), re.M).group(1)


@pytest.mark.parametrize("sector,size,dsize", [(512, "200M", 100), (4096, "400M", 64)])
def test_dump_partition(tmp_path, sector, size, dsize):
    img = str(tmp_path / "disk.img")
    run(MKDISK, "--sector-size", str(sector), "--dump-partition", f"{dsize}M", img, size, "SYS")
    nbytes = int(size[:-1]) << 20
    assert os.stat(img).st_blocks * 512 < 64 << 20, "image is not sparse"
    out = run("fdisk", "-b", str(sector), "-l", "-o", "Start,End,Type-UUID,Name", img).stdout
    rows = re.findall(r"^\s*(\d+)\s+(\d+)\s+([0-9A-F-]{36})\s+(.*?)\s*$", out, re.M)
    assert len(rows) == 2, out
    (f1, l1, t1, _), (f2, l2, t2, n2) = rows
    guid = dump_type_guid()
    assert guid == "2FDBB692-1035-4A1F-A80D-9DB90842B6B4"
    assert (t1, t2, n2) == ("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", guid, "Blackbox dump")
    f1, l1, f2, l2 = int(f1), int(l1), int(f2), int(l2)
    align = (1 << 20) // sector
    assert (l2 - f2 + 1) * sector == dsize << 20
    assert f2 % align == 0 and l1 == f2 - 1
    usable_end = nbytes // sector - (34 if sector == 512 else 6)
    assert usable_end - align < l2 <= usable_end
    if sector == 512:
        assert "No problems found" in run("sgdisk", "-v", img).stdout
        parts = run("partx", "-g", "-o", "NR,START,END,TYPE", img).stdout.split()
        assert parts == ["1", str(f1), str(l1), t1.lower(), "2", str(f2), str(l2), guid.lower()]
    target = f"{img}@@{f1 * sector}"
    assert 'disk type="FAT32   "' in run("minfo", "-i", target, "::").stdout
    part = str(tmp_path / "part.img")
    extract(img, f1 * sector, (l1 - f1 + 1) * sector, part)
    r = run("fsck.fat", "-n", part, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(img, "rb") as f:
        f.seek(f2 * sector)
        assert f.read(1 << 20) == bytes(1 << 20), "the dump partition is not left blank"


def test_refuses_to_overwrite(tmp_path):
    img = tmp_path / "disk.img"
    img.write_bytes(b"precious")
    r = run(MKDISK, str(img), "100M", check=False)
    assert r.returncode == 1
    assert "already exists" in r.stderr and "--force" in r.stderr
    assert img.read_bytes() == b"precious"
    run(MKDISK, "--force", str(img), "100M", "NEW")
    assert os.path.getsize(img) == 100 << 20
    assert partition(str(img), 512)[0] == 2048
    assert [p.name for p in tmp_path.iterdir()] == ["disk.img"]


@pytest.mark.parametrize("args,message", [
    ([], "usage:"),
    (["x.img"], "usage:"),
    (["x.img", "100X"], "bad SIZE"),
    (["x.img", "10M"], "at least 40M"),
    (["--sector-size", "4096", "x.img", "100M"], "at least 300M"),
    (["--sector-size", "1024", "x.img", "100M"], "512 or 4096"),
    (["x.img", "100M", "much too long label"], "longer than 11"),
    (["x.img", "100M", "lower"], "A-Z"),
    (["--bogus", "x.img", "100M"], "unknown option"),
    (["/nonexistent-dir/x.img", "100M"], "does not exist"),
    (["--dump-partition", "1X", "x.img", "100M"], "bad DSIZE"),
    (["--dump-partition", "0", "x.img", "100M"], "more than 0"),
    (["--dump-partition", "1500K", "x.img", "100M"], "DSIZE must be a whole number of MiB"),
    (["--dump-partition", "70M", "x.img", "100M"], "at least 40M more than DSIZE"),
])
def test_errors(tmp_path, args, message):
    r = subprocess.run([MKDISK] + args, capture_output=True, text=True, cwd=tmp_path,
                       env=ENV, timeout=60)
    assert r.returncode in (1, 2)
    assert message in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_make_disks_only_creates_missing(tmp_path):
    build = tmp_path / "build"
    (build / "disks").mkdir(parents=True)
    system = build / "disks" / "system.img"
    system.write_bytes(b"guest state")
    r = subprocess.run(["make", "-s", "-C", ROOT, f"B={build}", "disks"], capture_output=True,
                       text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert system.read_bytes() == b"guest state"
    data = build / "disks" / "data.img"
    assert os.path.getsize(data) == 32 << 30
    assert partition(str(data), 512)[0] == 2048
    before = os.stat(data).st_mtime_ns
    r = subprocess.run(["make", "-s", "-C", ROOT, f"B={build}", "disks"], capture_output=True,
                       text=True, env=ENV, timeout=300)
    assert r.returncode == 0 and os.stat(data).st_mtime_ns == before
