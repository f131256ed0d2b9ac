"""Every `crash` kind bugchecks with the STOP code Windows would use, names it, symbolizes the
RIP in the function that really failed, shows it on VGA too, and the machine reboots to the
prompt with the crash recorded in the kernel log that survived the reset. `crash fat` leaves
C: exactly as a reset in the middle of a file extension does."""
import re

import pytest

from machine import Machine
from matrix import FAT_ORPHANS
from recovery import reg
from test_dump import system_disk

# kind -> (STOP code, name, function the RIP must be in, expected parameter 1 or None)
KINDS = {
    "manual": (0xE2, "MANUALLY_INITIATED_CRASH", "crash_manual", 0),
    "null": (0x50, "PAGE_FAULT_IN_NONPAGED_AREA", "crash_null", 0),
    "div0": (0x7F, "UNEXPECTED_KERNEL_MODE_TRAP", "crash_div0", 0),
    "stack": (0x7F, "UNEXPECTED_KERNEL_MODE_TRAP", "crash_stack_recurse", 8),
    "irq": (0xE2, "MANUALLY_INITIATED_CRASH", "timer_tick", 0x30),
    "assert": (0x1E, "KMODE_EXCEPTION_NOT_HANDLED", "crash_assert", 0xC0000420),
}

STOP_RE = r"\*\*\* STOP: 0x([0-9A-F]{8}) \(0x([0-9A-F]{16}),0x([0-9A-F]{16}),0x([0-9A-F]{16}),0x([0-9A-F]{16})\)"


def check_bugcheck(m, code, name, function, p1):
    stop = m.expect(STOP_RE, timeout=60)
    assert int(stop.group(1), 16) == code
    if p1 is not None:
        assert int(stop.group(2), 16) == p1
    m.expect(re.escape(name))
    rip = m.expect(r"\*\*\* RIP: ([0-9a-f]{16}) (\S+)\s")
    assert rip.group(2).startswith(function + "+0x"), rip.group(2)
    m.expect(r"Stack \(frame pointers\):")
    m.expect(r"#0\s+[0-9a-f]{16} " + re.escape(function) + r"\+0x")
    m.expect("Rebooting in")
    lines, attr = m.vga_text()
    screen = "\n".join(lines)
    assert "*** STOP: 0x%08X" % code in screen
    assert name in screen
    assert function + "+0x" in screen
    assert attr == 0x1F, "VGA blue screen is white on blue"
    m.wait_prompt()
    log = m.cmd("log")
    assert re.search(r"bugcheck 0x%08x" % code, log), "crash record kept across the reset"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_crash_kind(machine, kind):
    code, name, function, p1 = KINDS[kind]
    machine.send("crash %s\r" % kind)
    check_bugcheck(machine, code, name, function, p1)
    assert "Blackbox" in machine.cmd("ver")


def test_hang_then_nmi(machine):
    machine.send("crash hang\r")
    machine.expect("crash hang requested")
    # interrupts are off and the CPU spins: the shell must not answer
    machine.send("ver\r")
    import pexpect
    with pytest.raises(pexpect.TIMEOUT):
        machine.expect("build-id", timeout=5)
    machine.monitor("nmi")
    check_bugcheck(machine, 0x80, "NMI_HARDWARE_FAILURE", "crash_hang", None)


def test_fault_inside_the_bugcheck_path_resets(machine):
    """The recursion guard: a page fault while the blue screen is painted neither loops nor
    hangs; the machine says so on COM1 and resets."""
    machine.send("crash nested\r")
    machine.expect(r"\*\*\* STOP: 0x000000E2")
    fault = machine.expect(r"\*\*\* Fault 0x([0-9a-f]+) at ([0-9a-f]{16}) inside the bugcheck path "
                           r"\(handling STOP 0x000000E2\): resetting")
    assert int(fault.group(1), 16) == 14  # page fault
    machine.expect("Blackbox 0.1.0 starting", timeout=120)
    machine.wait_prompt()
    log = machine.cmd("log")
    assert "shell: crash nested requested" in log


def test_crash_in_the_fat_layer_leaves_exactly_its_orphans(tmp_path):
    """`crash fat` stops the FAT layer in grow_write with C:\\FATCRASH.TMP's clusters chained
    and its entry not yet updated; the volume as the crash left it (AutoReboot 0, the machine
    killed after the dump): the file there, empty, and fsck.fat finding exactly its 64 KiB of
    orphaned clusters and FSInfo's free count "unknown", as the update marked it. (The matrix's
    shell-fat and syscall-fat cases check the dump and the volume after the recovery.)"""
    c = system_disk(tmp_path)
    reg(c, "/v", "AutoReboot", "/t", "REG_DWORD", "/d", "0")
    m = Machine(tmp_path, mem=256, system=c.path)
    try:
        m.wait_prompt()
        m.send("crash fat\r")
        stop = m.expect(STOP_RE, timeout=60)
        assert int(stop.group(1), 16) == 0xE2
        rip = m.expect(r"\*\*\* RIP: ([0-9a-f]{16}) (\S+)\s")
        assert rip.group(2).startswith("grow_write+0x"), rip.group(2)
        m.expect("Physical memory dump complete.", timeout=300)
    finally:
        m.close()
    assert re.search(r"^FATCRASH TMP\s+0 ", c.mdir("/"), re.M), c.mdir("/")
    rc, lines = c.fsck()
    assert rc == 1 and len(lines) == 5, lines
    assert lines[1] == f"Reclaimed {FAT_ORPHANS // 4096} unused clusters ({FAT_ORPHANS} bytes).", lines
    assert re.fullmatch(r"Free cluster summary uninitialized \(should be \d+\)", lines[2]), lines
    assert lines[3] == "Leaving filesystem unchanged.", lines
