"""Recovery never deletes a dump it has not proven invalid. A read error while smss checks the
dump (QEMU's blkdebug driver fails one sector of the pagefile) leaves the dump where it is,
logged as event 1101, and the next boot recovers it. werfault's copy to a full D: keeps
C:\\DUMPxxxx.TMP and the old D:\\MEMORY.DMP, and the next boot finishes the copy. An old
MEMORY.DMP that cannot be read with Overwrite = 0 is kept beside the new dump. A DumpFile naming
the dump target is replaced by the default, and one in a folder that does not exist gets its
folders. QEMU killed at each step of a same-volume recovery loses nothing."""
import re
import subprocess

from machine import Machine
from recovery import after_recovery, copy_out, crash, info, power_off, recovery_boot, reg
from test_dump import CRASHCONTROL, bbdump, system_disk
from test_files import Disk


def dump_runs(m):
    """The dump target's sector runs on its disk, from dumpcfg: [(first LBA, last LBA)]."""
    return [(int(a), int(b)) for a, b in re.findall(r"LBA (\d+)\.\.(\d+)", m.cmd("dumpcfg"))]


def read_error_at(tmp_path, lba):
    """blkdebug rules: every read that touches sector `lba` of the system disk fails (EIO)."""
    conf = tmp_path / "blkdebug.conf"
    conf.write_text(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{lba}"\n'
                    'once = "off"\n')
    return str(conf)


def test_read_error_while_checking_leaves_the_dump_for_the_next_boot(tmp_path):
    c = system_disk(tmp_path)
    reg(c, "/v", "AutoReboot", "/t", "REG_DWORD", "/d", "0")
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        first, _ = dump_runs(m)[0]
        crash(m, "manual")
    finally:
        m.close()
    # 32 KiB into the data, past the header the kernel reads at boot
    m = Machine(tmp_path, mem=256, system=c.path,
                system_blkdebug=read_error_at(tmp_path, first + 16 + 64), log_name="serial2.log")
    try:
        m.expect(r"smss: the dump in C:\\pagefile\.sys could not be checked: I/O error; left "
                 r"there, tried again at the next boot", timeout=300)
        m.wait_prompt(timeout=300)
        assert "(holds an unrecovered dump)" in m.cmd("dumpcfg")
        assert re.search(r"Warning  smss  1101  The crash dump in C:\\pagefile\.sys could not be "
                         r"checked: I/O error\. It is left there", m.cmd("eventlog 3"))
        power_off(m)
    finally:
        m.close()
    assert "MEMORY" not in c.mdir()
    recovery_boot(tmp_path, c, "serial3.log",
                  [r"smss: dump #1 moved: C:\\pagefile\.sys -> C:\\MEMORY\.DMP"])
    seq, code, _ = info(copy_out(c, tmp_path, "MEMORY.DMP"))
    assert (seq, code) == (1, "0x000000E2")
    bbdump("check", str(tmp_path / "MEMORY.DMP"))
    c.assert_clean()


def test_unreadable_old_dump_with_overwrite_0_keeps_both(tmp_path):
    c = system_disk(tmp_path)
    reg(c, "/v", "Overwrite", "/t", "REG_DWORD", "/d", "0")
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        first, _ = dump_runs(m)[0]           # the pagefile that becomes MEMORY.DMP
        crash(m, "null")
        m.expect(r"werfault: dump #1 saved as C:\\MEMORY\.DMP", timeout=300)
        after_recovery(m)
        m.cmd(f'reg add "{CRASHCONTROL}" /v AutoReboot /t REG_DWORD /d 0 /f')
        crash(m, "manual")
    finally:
        m.close()
    recovery_boot(tmp_path, c, "serial2.log",
                  [r"smss: dump #2 moved: C:\\pagefile\.sys -> C:\\DUMP0002\.TMP",
                   r"werfault: dump #2 not saved: C:\\MEMORY\.DMP cannot be read \(I/O error\) "
                   r"and Overwrite is 0: kept in C:\\DUMP0002\.TMP, tried again at the next boot"],
                  system_blkdebug=read_error_at(tmp_path, first + 8))
    assert info(copy_out(c, tmp_path, "MEMORY.DMP"))[:2] == (1, "0x00000050")
    assert info(copy_out(c, tmp_path, "DUMP0002.TMP"))[:2] == (2, "0x000000E2")
    bbdump("check", str(tmp_path / "DUMP0002.TMP"))
    recovery_boot(tmp_path, c, "serial3.log",
                  [r"smss: resuming the recovery of dump #2 in C:\\DUMP0002\.TMP",
                   r"werfault: dump #2 not saved: C:\\MEMORY\.DMP exists and Overwrite is 0"])
    c.assert_clean()


def free_bytes(disk):
    return int(re.search(r"([\d ]+) bytes free", disk.mdir()).group(1).replace(" ", ""))


def test_copy_to_a_full_volume_keeps_both_dumps_and_finishes_later(tmp_path):
    c = system_disk(tmp_path, 2)
    reg(c, "/v", "DumpFile", "/t", "REG_EXPAND_SZ", "/d", "D:\\MEMORY.DMP")
    d = Disk(tmp_path, "data.img", size="64M", label="DATA")
    old = b"an old MEMORY.DMP that is no dump\n" * 1000
    d.put(old, "MEMORY.DMP")
    d.put(b"\0" * (free_bytes(d) - (256 << 10)), "FILLER.BIN")
    recovery_boot(tmp_path, c, "serial.log",
                  [r"smss: dump #1 moved: C:\\pagefile\.sys -> C:\\DUMP0001\.TMP",
                   r"werfault: dump #1 not saved: cannot write D:\\MEMORY\.DMP: no space; kept "
                   r"in C:\\DUMP0001\.TMP, tried again at the next boot"],
                  crash_kind="manual", data=d.path)
    assert d.get("MEMORY.DMP") == old
    assert "DUMP0001" not in d.mdir()
    bbdump("check", copy_out(c, tmp_path, "DUMP0001.TMP"))
    subprocess.run(["mdel", "-i", d.target, "::/FILLER.BIN"], check=True)
    recovery_boot(tmp_path, c, "serial2.log",
                  [r"smss: resuming the recovery of dump #1 in C:\\DUMP0001\.TMP",
                   r"werfault: dump #1 saved as D:\\MEMORY\.DMP"], data=d.path)
    assert "valid" in bbdump("check", copy_out(d, tmp_path, "MEMORY.DMP")).stdout
    assert "DUMP0001" not in c.mdir() and "DUMP0001" not in d.mdir()
    c.assert_clean()
    d.assert_clean()


def test_dump_file_naming_the_target_or_a_missing_folder(tmp_path):
    c = system_disk(tmp_path)
    reg(c, "/v", "DumpFile", "/t", "REG_EXPAND_SZ", "/d", "C:\\pagefile.sys")
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        crash(m, "manual")
        m.expect(r"smss: DumpFile names the dump target C:\\pagefile\.sys itself: dumps are "
                 r"saved as C:\\MEMORY\.DMP instead\.", timeout=300)
        m.expect(r"smss: dump #1 moved: C:\\pagefile\.sys -> C:\\MEMORY\.DMP")
        m.expect(r"werfault: dump #1 saved as C:\\MEMORY\.DMP")
        after_recovery(m)
        assert "smss  1102  DumpFile names the dump target" in m.cmd("eventlog 5")
        m.cmd(f'reg add "{CRASHCONTROL}" /v DumpFile /t REG_EXPAND_SZ '
              r'/d C:\DUMPS\KEEP\MEMORY.DMP /f')
        crash(m, "null")
        m.expect(r"smss: dump #2 moved: C:\\pagefile\.sys -> C:\\DUMPS\\KEEP\\MEMORY\.DMP",
                 timeout=300)
        m.expect(r"werfault: dump #2 saved as C:\\DUMPS\\KEEP\\MEMORY\.DMP")
        after_recovery(m)
        power_off(m)
    finally:
        m.close()
    assert info(copy_out(c, tmp_path, "MEMORY.DMP"))[:2] == (1, "0x000000E2")
    kept = copy_out(c, tmp_path, "DUMPS/KEEP/MEMORY.DMP")
    assert info(kept)[:2] == (2, "0x00000050")
    bbdump("check", kept)
    c.assert_clean()
