r"""SMP: the application processors start and take work, and a bugcheck on any CPU stops
every other one by NMI and still writes a valid dump. A crash on an AP, a crash on every
CPU at the same moment, and a crash on CPU 0 while an AP spins with interrupts off each give
the blue-screen line per CPU (which crashed, how each other was stopped and where) and a dump
that the next boot recovers into C:\MEMORY.DMP and `bbdump check` finds valid."""
import re

import pytest

from machine import Machine
from test_dump import system_disk, memory_dmp, bbdump, split


def cpu_lines(text):
    """{cpu index: blue-screen line} from the 'CPU n (APIC a): ...' lines."""
    return {int(m.group(1)): m.group(0) for m in
            re.finditer(r"^CPU (\d+) \(APIC \d+\): [^\r\n]*", text, re.M)}


@pytest.mark.parametrize("smp", [2, 4])
def test_cpus_online_and_take_work(tmp_path, smp):
    m = Machine(tmp_path, smp=smp)
    try:
        m.wait_prompt()
        out = m.cmd("cpus")
        rows = re.findall(r"^\s*(\d+)\s+(\d+)\s+(\w+)\s+(.*)$", out, re.M)
        assert [int(r[0]) for r in rows] == list(range(smp)), out
        assert rows[0][2] == "running" and "(this CPU)" in rows[0][3]
        assert all(r[2] == "idle" for r in rows[1:]), out
        assert len({r[1] for r in rows}) == smp          # distinct APIC IDs
        last = smp - 1
        out = m.cmd(f"cpus run {last}")
        assert re.search(rf"CPU {last} ran the work: crc32c of the kernel code (0x[0-9a-f]+), "
                         r"CPU 0 got \1: same", out), out
        assert "idle" in m.cmd("cpus").splitlines()[last + 1]
        assert "no CPU" in m.cmd(f"cpus run {smp}")
        # the FAT layer serves one caller at a time: `crash fat` is refused on every CPU at once
        out = m.cmd("crash -c all fat")
        assert "crash: fat runs on one CPU (the FAT layer serves one caller at a time)" in out, out
        assert "Blackbox" in m.cmd("ver")
    finally:
        m.close()


def crash_and_recover(tmp_path, commands, smp=2, dump_type=None):
    """Boot with a dump target (a complete dump when dump_type is 1), type `commands` (the
    last one crashes), wait for the dump, the reboot and the recovery, power off; the dump
    verifies chunk by chunk. Returns the serial text of the crash."""
    c = system_disk(tmp_path, dump_type)
    m = Machine(tmp_path, system=c.path, smp=smp)
    try:
        m.wait_prompt()
        assert "state:        ARMED" in m.cmd("dumpcfg")
        for line in commands[:-1]:
            m.cmd(line)
        m.send(commands[-1] + "\r")
        m.expect(r"\*\*\* STOP: 0x", timeout=60)
        m.expect(r"Dump #\d+: \w+, \d+ MiB in \d+ ms.*?Rebooting in", timeout=300)
        text = m.child.before + m.child.after
        m.expect(r"werfault: dump #\d+ saved as C:\\MEMORY\.DMP", timeout=300)
        m.wait_prompt()
        m.send("poweroff\r")
        assert m.wait_exit(timeout=60) == 0
    finally:
        m.close()
    dump = memory_dmp(c, tmp_path)
    assert f"valid {'full' if dump_type == 1 else 'bitmap'} dump" in bbdump("check", dump).stdout
    assert "0x000000E2 MANUALLY_INITIATED_CRASH" in bbdump("info", dump).stdout
    return text


def test_crash_on_an_ap(tmp_path):
    """A complete dump written by CPU 1, CPU 0 checksumming a share of it."""
    text = crash_and_recover(tmp_path, ["crash -c 1 manual"], dump_type=1)
    by_cpu, total = split(text)
    assert sorted(by_cpu) == [0, 1] and by_cpu[0] >= total // 8, text
    assert total - 2 <= sum(by_cpu.values()) <= total, text
    assert "*** RIP: " in text and re.search(r"\*\*\* RIP: [0-9a-f]+ crash_manual\+", text)
    lines = cpu_lines(text)
    assert "crashed here (was running: manual)" in lines[1], lines
    assert re.search(r"stopped by NMI at \S+ \(was running: waiting for work on another CPU\)",
                     lines[0]), lines


def test_a_helper_that_hangs_costs_nothing(tmp_path):
    """CPU 1 hangs in the middle of the first chunk it took: CPU 0 redoes that chunk and the
    complete dump verifies chunk by chunk."""
    text = crash_and_recover(tmp_path, ["crash stall-helper"], dump_type=1)
    assert "Chunks redone by CPU 0 for a CPU that stopped helping: 1." in text, text
    by_cpu, total = split(text)
    assert by_cpu == {0: total, 1: 0}, text


def test_all_cpus_crash_at_once(tmp_path):
    """Four CPUs crash at once: one writes a complete dump, the three parked ones help."""
    text = crash_and_recover(tmp_path, ["crash -c all manual"], smp=4, dump_type=1)
    by_cpu, total = split(text)
    assert sorted(by_cpu) == [0, 1, 2, 3] and min(by_cpu.values()) >= total // 32, text
    assert total - 4 <= sum(by_cpu.values()) <= total, text
    lines = cpu_lines(text)
    assert sorted(lines) == [0, 1, 2, 3], lines
    crashed = [i for i, line in lines.items() if "crashed here" in line]
    assert len(crashed) == 1, lines
    for i, line in lines.items():
        if i not in crashed:
            assert re.search(r"crashed too \(0x000000E2\) at crash_manual\+0x[0-9a-f]+, parked",
                             line), line


def test_ap_spinning_with_interrupts_off_is_stopped(tmp_path):
    text = crash_and_recover(tmp_path, ["crash -c 1 hang", "crash manual"])
    lines = cpu_lines(text)
    assert "crashed here" in lines[0], lines
    assert re.search(r"stopped by NMI at crash_hang\+0x[0-9a-f]+ \(was running: hang\)",
                     lines[1]), lines


def test_stack_overflow_on_an_ap_double_faults_on_its_ist(machine):
    """An AP's kernel stack has its own guard page and its TSS its own #DF stack."""
    machine.send("crash -c 1 stack\r")
    machine.expect(r"\*\*\* STOP: 0x0000007F \(0x0000000000000008,", timeout=60)
    machine.expect(r"CPU 1 \(APIC 1\): crashed here \(was running: stack\)", timeout=60)
