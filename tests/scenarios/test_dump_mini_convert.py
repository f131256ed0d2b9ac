"""`bbdump mini` on real dumps: crash a machine (complete dump, and the default kernel bitmap
dump), copy the dump out, convert it to a small dump with the conversion core the WerFault
stage uses, and check that the result passes `bbdump check`, says it was converted, and that
`bbdump analyze` names the same bugcheck, faulting function, stack, bucket and CPUs (CPU 0,
crashed, in that function) as on the big dump, with the klog tail."""
import os
import re

import pytest

from machine import ROOT, SMP
from test_dump import bbdump, crash_and_collect, memory_dmp, system_disk

ELF = os.path.join(ROOT, "build", "blackbox.elf")
FRAME = re.compile(r"^ \d\d [0-9a-f]{16} [0-9a-f]{16} .*$", re.M)
CPUS = re.compile(r"^CPUS:.*\n(?:.+\n)+", re.M)


def analysis(dump):
    out = bbdump("analyze", dump, "--kernel", ELF).stdout
    bug = re.search(r"^(\w+ \([0-9A-F]+\))$", out, re.M)
    fault = re.search(r"^FAULTING_IP:\s+[0-9a-f]{16} (\w+)\+", out, re.M)
    bucket = re.search(r"^FAILURE_BUCKET_ID: (\S+)$", out, re.M)
    assert bug and fault and bucket, out
    # the crashing CPU's stack (before the CPUS section: a minidump holds only the top of the
    # other CPUs' stacks)
    return out, bug.group(1), fault.group(1), FRAME.findall(out.split("\nCPUS:")[0]), bucket.group(1)


@pytest.mark.parametrize("kind,dump_type,written,code,function", [
    ("null", 1, "full", "50", "crash_null"),
    ("manual", None, "bitmap", "E2", "crash_manual"),
])
def test_converted_minidump_analyzes_like_the_big_dump(tmp_path, kind, dump_type, written,
                                                       code, function):
    c = system_disk(tmp_path, dump_type)
    crash_and_collect(tmp_path, c, kind)
    big = memory_dmp(c, tmp_path)
    assert f"dump type:            {1 if written == 'full' else 5} ({written})" in \
        bbdump("info", big).stdout

    mini = str(tmp_path / "112226-00001-01.dmp")
    out = bbdump("mini", big, "-o", mini).stdout
    assert f"from the {written} dump" in out and "klog kept" in out, out
    assert os.path.getsize(mini) <= 256 * 1024
    assert "valid small dump" in bbdump("check", mini).stdout
    info = bbdump("info", mini).stdout
    assert re.search(r"^flags:\s+0x13 VALID COMPLETE CONVERTED$", info, re.M), info
    assert re.search(rf"^cpu block:\s+{SMP} records? at 0x[0-9a-f]+, CPU 0 crashed$", info, re.M), info
    assert f"(converted from {written} dump)" in info, info

    b_out, b_bug, b_fn, b_frames, b_bucket = analysis(big)
    m_out, m_bug, m_fn, m_frames, m_bucket = analysis(mini)
    assert b_bug == m_bug and b_bug.endswith(f"({code})"), (b_out, m_out)
    assert b_fn == m_fn == function, (b_out, m_out)
    assert b_bucket == m_bucket == f"0x{code}_{function}", (b_out, m_out)
    assert len(m_frames) >= 2 and m_frames == b_frames, (b_out, m_out)
    assert "memory via streams" in m_out, m_out
    b_cpus, m_cpus = CPUS.search(b_out), CPUS.search(m_out)
    assert b_cpus and m_cpus and b_cpus.group(0) == m_cpus.group(0), (b_out, m_out)
    assert re.search(rf"^  0 +0 crashed +kernel +{function}\+0x", m_cpus.group(0), re.M), m_out
    assert f"crash {kind} requested" in m_out.split("KLOG")[1], m_out

    # a small dump is not converted again, and a damaged big dump is refused
    r = bbdump("mini", mini, "-o", str(tmp_path / "again.dmp"), check=False)
    assert r.returncode == 1 and "already a small dump" in r.stderr, r.stderr
    assert not os.path.exists(tmp_path / "again.dmp")
    with open(big, "r+b") as f:
        f.seek(0x38)
        f.write(b"\x00")
    r = bbdump("mini", big, "-o", str(tmp_path / "bad.dmp"), check=False)
    assert r.returncode == 1 and "header CRC mismatch" in r.stderr, r.stderr
