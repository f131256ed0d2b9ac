"""The armed dump target is the kernel's: while the dump stack is armed, deleting, renaming,
truncating or opening for writing the target file is refused, from the shell and from a ring-3
program (userland/tamper), with an error naming the dump stack; an ordinary file beside it
can be changed. The crash afterwards still gives a valid dump, recovered at the next boot. A
new DedicatedDumpFile (in a folder, which cannot be renamed then) takes effect at the next
boot, as in Windows."""
import re
import subprocess

from machine import Machine
from test_dump import BBREG, CRASHCONTROL, bbdump, memory_dmp, system_disk
from test_files import Disk
from test_recovery import after_recovery, crash, power_off

REFUSED = "in use by the dump stack (the crash-dump target)"


def refused_everywhere(m, target):
    """Every change to `target` from the shell and from a program is refused."""
    other = target[:2] + "\\PF.OLD"      # on the same volume
    for line in (f"del {target}", f"ren {target} {other}", f"write {target} x",
                 f"copy C:\\CONFIG\\SYSTEM.REG {target}", f"mkfile {target} 4K"):
        out = m.cmd(line)
        assert REFUSED in out, (line, out)
    out = m.cmd(f"run tamper {target} {other}")
    lines = re.findall(r"tamper: (.*): (.*)", out)
    assert [what.split(" ")[0] for what, _ in lines] == ["open"] * 3 + ["rename", "delete"], out
    assert all(why == REFUSED for _, why in lines), out
    assert "exited with code 0" in out, out


def test_the_armed_pagefile_cannot_be_changed_and_the_crash_is_kept(tmp_path):
    c = system_disk(tmp_path)
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        before = m.cmd("dir C:\\")
        refused_everywhere(m, "C:\\pagefile.sys")
        # an ordinary file: every attempt but the last (it was renamed away) succeeds
        m.cmd("write C:\\T.TXT hello")
        out = m.cmd("run tamper C:\\T.TXT C:\\T2.TXT")
        assert "tamper: rename C:\\T.TXT: ok" in out and "exited with code 4" in out, out
        size = re.search(r"(\d+) pagefile\.sys", before).group(1)
        assert re.search(rf"{size} pagefile\.sys", m.cmd("dir C:\\")), "the pagefile changed"
        crash(m, "manual")
        m.expect(r"smss: dump #1 moved: C:\\pagefile\.sys -> C:\\MEMORY\.DMP", timeout=300)
        after_recovery(m)
        power_off(m)
    finally:
        m.close()
    assert "valid" in bbdump("check", memory_dmp(c, tmp_path)).stdout
    assert "T2       TXT" in c.mdir()
    c.assert_clean()


def test_a_new_dedicated_dump_file_takes_effect_at_the_next_boot(tmp_path):
    c = system_disk(tmp_path)
    d = Disk(tmp_path, "data.img", size="1G", label="DATA")
    subprocess.run(["mmd", "-i", d.target, "::/DUMPS"], check=True)
    m = Machine(tmp_path, mem=256, system=c.path, data=d.path)
    try:
        m.wait_prompt()
        m.cmd(f'reg add "{CRASHCONTROL}" /v DedicatedDumpFile /t REG_SZ '
              r'/d D:\DUMPS\DEDICATED.DMP /f')
        assert re.search(r"target:\s+C:\\pagefile\.sys", m.cmd("dumpcfg"))
        assert REFUSED in m.cmd("del C:\\pagefile.sys")
        m.send("reboot\r")
        m.wait_prompt(timeout=300)
        assert re.search(r"target:\s+D:\\DUMPS\\DEDICATED\.DMP", m.cmd("dumpcfg"))
        refused_everywhere(m, "D:\\DUMPS\\DEDICATED.DMP")
        # the folder above it cannot be renamed away either (recovery looks for it by path)
        assert REFUSED in m.cmd("ren D:\\DUMPS D:\\OTHER")
        assert REFUSED not in m.cmd("del C:\\pagefile.sys")
        power_off(m)
    finally:
        m.close()
    assert "DEDICATED.DMP" in d.mdir("/DUMPS")
    c.assert_clean()
    d.assert_clean()
