"""The registry end to end: the CrashControl defaults, `reg add` kept across a reboot, the
hive edited offline with tools/bbreg before boot and read back with it after poweroff, a reset
in the middle of a burst of `reg add`s (the hive still loads, holding the old or the new
value), a corrupt hive (defaults, a klog warning, SYSTEM.BAD kept after the next change), and
AutoReboot=0 set with bbreg halting the machine after a crash."""
import os
import re
import subprocess
import time

from machine import Machine, ROOT
from test_files import Disk, power_off

BBREG = os.path.join(ROOT, "tools", "bbreg")
CC = r"HKLM\SYSTEM\CurrentControlSet\Control\CrashControl"
OK = "The operation completed successfully.\n"
NOT_FOUND = "ERROR: The system was unable to find the specified registry key or value."
DEFAULTS = """
HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\CrashControl
    CrashDumpEnabled    REG_DWORD    0x7
    AutoReboot    REG_DWORD    0x1
    LogEvent    REG_DWORD    0x1
    Overwrite    REG_DWORD    0x1
    MinidumpsCount    REG_DWORD    0x32
    DumpFile    REG_EXPAND_SZ    %SystemRoot%\\MEMORY.DMP
    MinidumpDir    REG_EXPAND_SZ    %SystemRoot%\\Minidump
    AlwaysKeepMemoryDump    REG_DWORD    0x0

"""


def bbreg(disk, *args, check=True):
    r = subprocess.run([BBREG, disk.path, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def boot(tmp_path, disk):
    m = Machine(tmp_path, system=disk.path)
    m.wait_prompt()
    return m


def this_boot_log(m):
    """The klog records of the current boot (the ring keeps the previous boots' too)."""
    log = m.cmd("log", timeout=60)
    return log[log.rfind("Blackbox "):]


def value_of(m, key, name):
    out = m.cmd(f'reg query "{key}" /v {name}')
    found = re.search(rf"^    {name}    REG_\w+    (.*)$", out, re.M)
    return found.group(1) if found else out


def test_defaults_and_reg_add_across_reboot(tmp_path):
    c = Disk(tmp_path, "system.img", label="SYSTEM")
    m = boot(tmp_path, c)
    try:
        assert m.cmd(f"reg query {CC}") == DEFAULTS
        assert "registry: no hive yet; using defaults" in this_boot_log(m)
        assert value_of(m, r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management",
                        "PagingFiles") == r"C:\pagefile.sys 0 0"
        assert value_of(m, r"HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions",
                        "ProductType") == "WinNT"
        assert m.cmd(f'reg add "{CC}" /v CrashDumpEnabled /t REG_DWORD /d 2 /f') == OK
        assert m.cmd(r'reg add "HKLM\SOFTWARE\Blackbox Test" /v Note /d "hello world"') == OK
        assert m.cmd(r"reg add HKLM\SOFTWARE\Blackbox /v List /t REG_MULTI_SZ /d a\0b") == OK
        assert m.cmd(r"reg add HKLM\SOFTWARE\Blackbox /v Q /t REG_QWORD /d 0x100000000") == OK
        assert m.cmd(r"reg add HKLM\SOFTWARE\Blackbox /v Gone /t REG_DWORD /d 1") == OK
        assert m.cmd(r"reg delete HKLM\SOFTWARE\Blackbox /v Gone /f") == OK
        errors = {
            r"reg query HKLM\SOFTWARE\Nope": NOT_FOUND,
            f"reg query {CC} /v Nope": NOT_FOUND,
            r"reg delete HKLM\SOFTWARE\Blackbox /v Gone /f": NOT_FOUND,
            r"reg add HKLM\SOFTWARE\Blackbox /v D /t REG_DWORD /d 4294967296": "ERROR: Invalid number",
            r"reg add HKCU\Software /v x /d y": "ERROR: Invalid key name.",
            r"reg add HKLM\SOFTWARE\Blackbox /v x /t REG_WHAT /d y": "ERROR: Invalid type",
            "reg query": "ERROR: Invalid syntax.",
            "reg frobnicate HKLM": "ERROR: Invalid syntax.",
        }
        for line, want in errors.items():
            out = m.cmd(line)
            assert out.startswith(want) and len(out.strip().splitlines()) == 1, (line, out)
        m.send("reboot\r")
        m.expect(r"boot: shell ready", timeout=120)
        m.wait_prompt()
        assert "registry: loaded C:\\CONFIG\\SYSTEM.REG" in this_boot_log(m)
        assert value_of(m, CC, "CrashDumpEnabled") == "0x2"
        assert value_of(m, r"HKLM\SOFTWARE\Blackbox Test", "Note") == "hello world"
        assert value_of(m, r"HKLM\SOFTWARE\Blackbox", "List") == r"a\0b"
        assert value_of(m, r"HKLM\SOFTWARE\Blackbox", "Q") == "0x100000000"
        assert NOT_FOUND in m.cmd(r"reg query HKLM\SOFTWARE\Blackbox /v Gone")
        power_off(m)
    finally:
        m.close()
    out = bbreg(c, "query", CC, "/v", "CrashDumpEnabled").stdout
    assert "    CrashDumpEnabled    REG_DWORD    0x2\n" in out
    hive = c.get("CONFIG/SYSTEM.REG").decode()
    assert hive.startswith("REGEDIT4\n") and re.search(r"\n; crc32c=[0-9A-F]{8}\n$", hive)
    assert '"Note"="hello world"\n' in hive
    c.assert_clean()


def test_bbreg_offline_edit_and_autoreboot_off(tmp_path):
    c = Disk(tmp_path, "system.img", label="SYSTEM")
    assert bbreg(c, "query", CC).stdout == DEFAULTS
    assert bbreg(c, "add", CC, "/v", "AutoReboot", "/t", "REG_DWORD", "/d", "0", "/f").stdout == OK
    assert bbreg(c, "add", r"HKLM\SOFTWARE\Offline", "/v", "From", "/d", "the host").stdout == OK
    r = bbreg(c, "query", r"HKLM\SOFTWARE\Nope", check=False)
    assert r.returncode == 1 and r.stdout.strip() == NOT_FOUND
    m = boot(tmp_path, c)
    try:
        assert value_of(m, CC, "AutoReboot") == "0x0"
        assert value_of(m, r"HKLM\SOFTWARE\Offline", "From") == "the host"
        assert m.cmd(r'reg add HKLM\SOFTWARE\Offline /v From /d "the guest" /f') == OK
        m.send("crash manual\r")
        m.expect(r"MANUALLY_INITIATED_CRASH", timeout=60)
        m.expect(r"System halted\.", timeout=60)
        try:
            m.expect(r"Blackbox \S+ starting", timeout=8)
            assert False, "the machine rebooted with AutoReboot=0"
        except Exception as e:   # pexpect.TIMEOUT: still halted
            assert "TIMEOUT" in type(e).__name__, e
        lines, _ = m.vga_text()
        assert any("System halted." in l for l in lines), lines
    finally:
        m.close()
    assert "    From    REG_SZ    the guest\n" in bbreg(c, "query", r"HKLM\SOFTWARE\Offline").stdout


def test_reset_in_a_burst_of_reg_adds(tmp_path):
    c = Disk(tmp_path, "system.img", label="SYSTEM")
    key = r"HKLM\SOFTWARE\Burst"
    m = boot(tmp_path, c)
    try:
        assert m.cmd(f"reg add {key} /v Counter /t REG_DWORD /d 0") == OK
        n = 0
        for delay in (0.0, 0.02, 0.05, 0.1, 0.2):
            for _ in range(4):
                n += 1
                assert m.cmd(f"reg add {key} /v Counter /t REG_DWORD /d {n} /f") == OK
            m.send(f"reg add {key} /v Counter /t REG_DWORD /d {n + 1} /f\r")
            m.expect(r"/d \d+ /f", timeout=30)              # echoed: the save has begun
            time.sleep(delay)
            m.monitor("system_reset")
            m.expect(r"boot: shell ready", timeout=120)
            m.wait_prompt()
            log = this_boot_log(m)
            assert "no usable hive" not in log and "no hive yet" not in log, log
            got = int(value_of(m, key, "Counter"), 16)
            assert got in (n, n + 1), (got, n)
            n = got
        assert m.cmd(f"reg add {key} /v Counter /t REG_DWORD /d 1000 /f") == OK
        power_off(m)
    finally:
        m.close()
    assert "    Counter    REG_DWORD    0x3e8\n" in bbreg(c, "query", key).stdout
    c.assert_consistent()


def test_corrupt_hive_boots_with_defaults(tmp_path):
    c = Disk(tmp_path, "system.img", label="SYSTEM")
    bbreg(c, "add", CC, "/v", "CrashDumpEnabled", "/t", "REG_DWORD", "/d", "3", "/f")
    garbage = b"REGEDIT4\n[HKEY_LOCAL_MACHINE\\SYSTEM\n\x00\xff garbage\n"
    c.put(garbage, "CONFIG/SYSTEM.REG")
    m = boot(tmp_path, c)
    try:
        log = this_boot_log(m)
        assert "registry: C:\\CONFIG\\SYSTEM.REG: integrity line missing or wrong" in log, log
        assert "registry: no usable hive; booting with defaults" in log, log
        assert m.cmd(f"reg query {CC}") == DEFAULTS
        assert "SYSTEM.BAD" not in m.cmd("dir C:\\CONFIG")
        assert m.cmd(f"reg add {CC} /v Overwrite /t REG_DWORD /d 0 /f") == OK
        listing = m.cmd("dir C:\\CONFIG")
        assert "SYSTEM.BAD" in listing and "SYSTEM.REG" in listing, listing
        power_off(m)
    finally:
        m.close()
    assert c.get("CONFIG/SYSTEM.BAD") == garbage
    out = bbreg(c, "query", CC).stdout
    assert "    Overwrite    REG_DWORD    0x0\n" in out and "CrashDumpEnabled    REG_DWORD    0x7" in out
    c.assert_clean()
