"""Helpers the recovery scenario tests share (test_recovery.py, test_recovery_errors.py): a
CrashControl value set offline, a crash of a booted guest, a dump's sequence and STOP code, a
boot that waits for the recovery to end, a file copied out of an image."""
import re
import subprocess

from machine import Machine
from test_dump import BBREG, CRASHCONTROL, bbdump

MACHINECRASH = CRASHCONTROL + "\\MachineCrash"


def reg(c, *args):
    subprocess.run([BBREG, c.path, "add", CRASHCONTROL, *args, "/f"], check=True,
                   capture_output=True)


def crash(m, kind="manual"):
    """Crash a booted machine and wait until the dump is written."""
    m.send(f"crash {kind}\r")
    m.expect(r"\*\*\* STOP: 0x", timeout=60)
    m.expect("Physical memory dump complete.", timeout=300)


def info(path):
    out = bbdump("info", path).stdout
    seq = int(re.search(r"sequence:\s+(\d+)", out).group(1))
    code = re.search(r"bugcheck:\s+(0x[0-9A-F]{8})", out).group(1)
    return seq, code, out


def after_recovery(m):
    m.wait_prompt(timeout=300)
    cfg = m.cmd("dumpcfg")
    assert "state:        ARMED" in cfg and "holds an unrecovered dump" not in cfg, cfg
    assert "unable to find" in m.cmd(f'reg query "{MACHINECRASH}"')
    return cfg


def power_off(m):
    m.send("poweroff\r")
    assert m.wait_exit(timeout=60) == 0


def recovery_boot(tmp_path, c, log_name, expects, crash_kind=None, **machine_args):
    """Boot (serial log in tmp_path/log_name; crash with `crash_kind` first, if given), wait
    for each line of `expects` in turn, check the recovery ended, power off."""
    m = Machine(tmp_path, mem=256, system=c.path, log_name=log_name, **machine_args)
    try:
        if crash_kind:
            m.wait_prompt()
            crash(m, crash_kind)
        for pattern in expects:
            m.expect(pattern, timeout=300)
        after_recovery(m)
        power_off(m)
    finally:
        m.close()


def copy_out(disk, tmp_path, name):
    """Copy file `name` (a path with '/') out of disk's volume into tmp_path; its path."""
    out = str(tmp_path / name.replace("/", "-"))
    subprocess.run(["mcopy", "-o", "-n", "-i", disk.target, "::/" + name, out], check=True)
    return out
