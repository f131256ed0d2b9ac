"""`bbdump extract` on a hostile disk image, host only (no QEMU): the hive's DumpFile climbs
out of the output folder with '/..', minidumps' long file names hold '/' (planted by rewriting
their directory entries) or a Windows device name. Nothing is created outside -o (a recursive
listing of the test's folder before and after, and the /tmp names the paths aim at), the table
says which names were changed, an existing file is kept unless --force, and a symbolic link in
the output folder is never written through. The dumps are tools' seed dumps (make fuzz)."""
import os
import re
import struct
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MKDISK = os.path.join(ROOT, "tools", "mkdisk")
BBREG = os.path.join(ROOT, "tools", "bbreg")
BBDUMP = os.path.join(ROOT, "tools", "bbdump")
SMALL = os.path.join(ROOT, "build", "fuzz", "seeds", "small.dmp")
CRASHCONTROL = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\CrashControl"
ENV = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin", MTOOLS_SKIP_CHECK="1")
UNIQ = f"{os.getpid()}"
CLIMB = "../" * 24    # more than enough to reach / from any output folder


def run(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True, env=ENV, timeout=300)
    if check:
        assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
    return r


class Image:
    """A tools/mkdisk image; its FAT32 volume through mtools and, for planting, raw bytes."""

    def __init__(self, path):
        self.path = path
        run(MKDISK, path, "64M", "SYSTEM")
        out = run("sgdisk", "-i", "1", path).stdout
        self.offset = int(re.search(r"First sector: (\d+)", out).group(1)) * 512
        self.target = f"{path}@@{self.offset}"

    def mkdirs(self, path):
        parts = path.strip("/").split("/")
        for i in range(len(parts)):
            run("mmd", "-i", self.target, "::/" + "/".join(parts[:i + 1]))

    def put(self, local, name):
        run("mcopy", "-o", "-i", self.target, local, "::/" + name)

    def _geometry(self, f):
        f.seek(self.offset)
        b = f.read(512)
        bps, spc, rsvd, nfats = struct.unpack_from("<HBHB", b, 11)
        fatsz, root = struct.unpack_from("<I4xI", b, 36)
        return bps, spc, rsvd, nfats, fatsz, root

    def _chain(self, f, cluster):
        """[(byte offset, bytes)] of each cluster of a directory."""
        bps, spc, rsvd, nfats, fatsz, _ = self._geometry(f)
        data = self.offset + (rsvd + nfats * fatsz) * bps
        out = []
        while 2 <= cluster < 0x0FFFFFF8:
            at = data + (cluster - 2) * spc * bps
            f.seek(at)
            out.append((at, f.read(spc * bps)))
            f.seek(self.offset + rsvd * bps + cluster * 4)
            cluster = struct.unpack("<I", f.read(4))[0] & 0x0FFFFFFF
        return out

    def _slots(self, f, cluster):
        """Every 32-byte entry of a directory as (image offset, bytes)."""
        return [(at + i, c[i:i + 32]) for at, c in self._chain(f, cluster)
                for i in range(0, len(c), 32)]

    def plant_long_name(self, folder, placeholder, hostile):
        """Rewrites the long name `placeholder` of a file in root folder `folder` (made by
        mtools) as `hostile`, of the same length: the 8.3 name and checksum stay right."""
        assert len(placeholder) == len(hostile)
        with open(self.path, "r+b") as f:
            root = self._geometry(f)[5]
            sub = [e for _, e in self._slots(f, root) if e[:11] == folder.ljust(11).encode()]
            assert sub, f"no {folder} in the root"
            cluster = struct.unpack_from("<H", sub[0], 20)[0] << 16 | \
                struct.unpack_from("<H", sub[0], 26)[0]
            run_slots = []
            for at, e in self._slots(f, cluster):
                if e[11] == 0x0F and e[0] != 0xE5:
                    run_slots = [(at, e)] if e[0] & 0x40 else run_slots + [(at, e)]
                    continue
                units = []
                for _, s in reversed(run_slots):
                    units += struct.unpack_from("<5H", s, 1) + struct.unpack_from("<6H", s, 14) + \
                        struct.unpack_from("<2H", s, 28)
                name = "".join(chr(u) for u in units).split("\0")[0]
                if name == placeholder:
                    for k, (at2, s) in enumerate(reversed(run_slots)):
                        chunk = [ord(c) for c in hostile[13 * k:13 * k + 13]]
                        chunk += [0] if len(chunk) < 13 else []
                        chunk += [0xFFFF] * (13 - len(chunk))
                        s = bytearray(s)
                        struct.pack_into("<5H", s, 1, *chunk[:5])
                        struct.pack_into("<6H", s, 14, *chunk[5:11])
                        struct.pack_into("<2H", s, 28, *chunk[11:])
                        f.seek(at2)
                        f.write(s)
                    return
                run_slots = []
        raise AssertionError(f"no long name {placeholder} in {folder}")


def listing(top, skip):
    """Every path under top (recursively), except those under skip."""
    found = set()
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            if not (p == skip or p.startswith(skip + os.sep)):
                found.add(p)
    return found


def extract(img, out, *more):
    r = subprocess.run([BBDUMP, "extract", img, "-o", out, *more], capture_output=True,
                       text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def rows(text):
    """{source: [output, type, size, bugcheck, seq, status]} of the table."""
    return {f[0]: f[1:] for f in (l.split(None, 6) for l in text.splitlines())
            if len(f) == 7 and f[0][1:3] == ":\\"}


# Minidumps: (long name as planted, placeholder made by mtools, how it is reported)
HOSTILE_MINIDUMPS = [
    "../../../../../../../../tmp/relrev_mini_" + UNIQ + ".dmp",   # the user's report
    CLIMB + "mini_escape.dmp",                                     # lands in the test folder
    "..\\..\\mini_back.dmp",
]


@pytest.fixture
def hostile(tmp_path):
    if not os.path.exists(SMALL):
        pytest.fail(f"{SMALL} missing: run make fuzz")
    img = Image(str(tmp_path / "evil.img"))
    # DumpFile climbs from C:\x to / and down to this test's folder (pwned.txt there, were the
    # path followed on the host); on the image it names a file at that path too.
    rel = str(tmp_path).strip("/")
    dump_file = "C:\\x/" + CLIMB + rel + "/pwned.txt"
    run(BBREG, img.path, "add", CRASHCONTROL, "/v", "DumpFile", "/t", "REG_EXPAND_SZ", "/d",
        dump_file, "/f")
    img.mkdirs("x")
    img.mkdirs(rel)
    img.put(SMALL, rel + "/pwned.txt")
    img.mkdirs("Minidump")
    for i, name in enumerate(HOSTILE_MINIDUMPS):
        placeholder = f"P{i}" + "q" * (len(name) - 6) + ".dmp"
        img.put(SMALL, "Minidump/" + placeholder)
        img.plant_long_name("MINIDUMP", placeholder, name)
    img.put(SMALL, "Minidump/nul.evil.dmp")
    img.put(SMALL, "Minidump/Good-minidump.dmp")
    return img, dump_file


def test_nothing_written_outside_the_output_folder(tmp_path, hostile):
    img, dump_file = hostile
    out = str(tmp_path / "a" / "b" / "out")
    aimed = ["/tmp/relrev_mini_" + UNIQ + ".dmp", "/tmp/relrev_mini_" + UNIQ + ".dmp.part"]
    os.makedirs(os.path.dirname(out))
    before = listing(str(tmp_path), out)
    rc, text = extract(img.path, out)
    assert rc == 0, text
    assert listing(str(tmp_path), out) == before, text
    assert not any(os.path.lexists(p) for p in aimed)
    r = rows(text)
    assert r[dump_file][0] == "pwned.txt" and r[dump_file][5] == "valid", text
    assert r["C:\\Minidump\\nul.evil.dmp"][0] == "Minidump/_nul.evil.dmp", text
    assert r["C:\\Minidump\\nul.evil.dmp"][5] == "valid; renamed from nul.evil.dmp", text
    assert r["C:\\Minidump\\Good-minidump.dmp"][:1] == ["Minidump/Good-minidump.dmp"], text
    assert r["C:\\Minidump\\Good-minidump.dmp"][5] == "valid", text
    # the planted long names are refused by the FAT core: listed by their 8.3 names
    assert "mini_escape" not in text and "relrev" not in text and "mini_back" not in text
    aliases = [s for s in r if re.match(r"C:\\Minidump\\P\d\w*~\d+\.DMP$", s)]
    assert len(aliases) == len(HOSTILE_MINIDUMPS), text
    for s in aliases:
        assert r[s][0] == "Minidump/" + s.split("\\")[-1] and r[s][5] == "valid", text
    names = sorted(os.listdir(out)) + sorted(os.listdir(os.path.join(out, "Minidump")))
    assert len(names) == 2 + 5 and "pwned.txt" in names and "_nul.evil.dmp" in names, names
    assert all(not n.endswith(".part") for n in names), names
    assert f"{2 + len(HOSTILE_MINIDUMPS) + 1} valid dumps copied" in text, text


def test_existing_files_kept_unless_force(tmp_path, hostile):
    img, dump_file = hostile
    out = tmp_path / "out"
    out.mkdir()
    (out / "pwned.txt").write_text("mine")
    rc, text = extract(img.path, str(out))
    assert rc == 0, text
    assert rows(text)[dump_file][:1] == ["-"], text
    assert rows(text)[dump_file][5] == "not copied: pwned.txt exists (--force replaces it)", text
    assert (out / "pwned.txt").read_text() == "mine"
    assert "1 not copied over an existing file (--force replaces it)" in text
    rc, text = extract(img.path, str(out))          # all there now: nothing copied
    assert rc == 1 and "0 valid dumps copied" in text, text
    assert (out / "pwned.txt").read_text() == "mine"
    rc, text = extract(img.path, str(out), "--force")
    assert rc == 0 and rows(text)[dump_file][5] == "valid", text
    with open(out / "pwned.txt", "rb") as a, open(SMALL, "rb") as b:
        assert a.read() == b.read()


def test_symbolic_links_in_the_output_folder_not_followed(tmp_path, hostile):
    img, dump_file = hostile
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "target.txt").write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / "Minidump")
    os.symlink(victim / "target.txt", out / "pwned.txt")
    for force in ([], ["--force"]):
        rc, text = extract(img.path, str(out), *force)
        assert sorted(os.listdir(victim)) == ["target.txt"], text
        assert (victim / "target.txt").read_text() == "keep"
        mini = [v for s, v in rows(text).items() if s.startswith("C:\\Minidump\\")]
        assert mini and all(v[0] == "-" and v[5].startswith("cannot create Minidump/")
                            for v in mini), text
    assert rc == 0 and rows(text)[dump_file][5] == "valid", text
    assert not os.path.islink(out / "pwned.txt")
