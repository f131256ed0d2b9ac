"""The shell as a user meets it: boot reaches the prompt, every command answers, errors are
one line and leave the shell usable, line editing and history work, reboot and poweroff do
what they say."""
import re
import subprocess

from machine import ROOT


def elf_build_id():
    out = subprocess.run(["readelf", "-n", f"{ROOT}/build/blackbox.elf"], check=True,
                         capture_output=True, text=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)


def test_ver_shows_the_build_id_of_the_elf(machine):
    out = machine.cmd("ver")
    assert "Blackbox 0.1.0" in out
    assert f"build-id {elf_build_id()}" in out


def test_help_lists_every_command(machine):
    out = machine.cmd("help")
    for name in ["help", "ver", "mem", "lspci", "log", "uptime", "reboot", "poweroff", "crash"]:
        assert re.search(rf"^\s+{name}\s", out, re.M), name


def test_unknown_command_and_bad_arguments(machine):
    assert "unknown command 'frobnicate'" in machine.cmd("frobnicate now")
    assert "usage: crash [-c N|all] KIND" in machine.cmd("crash sideways")
    assert "crash: no CPU 9" in machine.cmd("crash -c 9 manual")
    assert "usage: log [N]" in machine.cmd("log lots")
    assert "unterminated quote" in machine.cmd('ver "oops')
    assert "usage: ver" in machine.cmd("ver extra")
    # still alive and answering
    assert "build-id" in machine.cmd("ver")


def test_mem_reports_the_pfn_database(machine):
    out = machine.cmd("mem")
    m = re.search(r"physical memory: (\d+) frames", out)
    assert m and int(m.group(1)) >= 255 * 256  # 256 MiB guest
    counts = {s: int(n) for s, n in re.findall(r"^\s+(reserved|free|kernel|page table|user|DMA)\s+(\d+) pages", out, re.M)}
    assert set(counts) == {"reserved", "free", "kernel", "page table", "user", "DMA"}
    assert counts["free"] > 200 * 256 and counts["kernel"] > 0 and counts["page table"] > 0
    assert sum(counts.values()) == int(m.group(1))


def kernel_pages(machine):
    return int(re.search(r"^\s+kernel\s+(\d+) pages", machine.cmd("mem"), re.M).group(1))


def test_mark_fills_kernel_pages(machine):
    before = kernel_pages(machine)
    out = machine.cmd("mark ABC 1000")
    assert re.search(r"marked 4096000 bytes in 1000 page\(s\), the first at phys 0x[0-9a-f]+", out), out
    assert kernel_pages(machine) >= before + 1000
    for bad in ("mark", "mark ABC 0", "mark ABC lots", "mark ABC 1 2"):
        assert "usage: mark TEXT [PAGES]" in machine.cmd(bad), bad
    assert "marked 4096 bytes in 1 page(s)" in machine.cmd("mark ABC")


def test_lspci_lists_q35_devices(machine):
    out = machine.cmd("lspci")
    assert re.search(r"00:00\.0 8086:29c0 class 060000 Host bridge", out)
    assert re.search(r"00:1f\.2 8086:2922 class 010601 SATA controller", out)
    assert re.search(r"BAR5 mem32 0x[0-9a-f]+ size 0x1000", out)  # AHCI ABAR


def test_log_and_uptime(machine):
    out = machine.cmd("log")
    assert "boot: shell ready" in out and "pci:" in out
    assert len(machine.cmd("log 2").strip().splitlines()) == 2
    up = machine.cmd("uptime")
    m = re.search(r"up 0:00:(\d\d)\.\d{3} \((\d+) timer ticks", up)
    assert m, up
    ticks1 = int(m.group(2))
    machine.cmd("mem")
    ticks2 = int(re.search(r"\((\d+) timer ticks", machine.cmd("uptime")).group(1))
    assert ticks2 > ticks1, "timer interrupts are running"


def test_line_editing_and_history(machine):
    # backspace, then cursor movement and an insertion in the middle of the line
    assert "build-id" in machine.cmd("vex\x7fr")
    assert "frames of 4 KiB" in machine.cmd("me\x1b[D\x1b[C" + "m")
    assert "build-id" in machine.cmd("vr\x1b[De")       # "vr", left, insert "e" -> "ver"
    machine.cmd("uptime")
    # up twice -> "ver" again
    assert "build-id" in machine.cmd("\x1b[A\x1b[A")


def test_reboot_comes_back(machine):
    machine.send("reboot\r")
    machine.expect("Blackbox 0.1.0 starting", timeout=120)
    machine.wait_prompt()
    assert "shell: reboot" in machine.cmd("log")


def test_poweroff_ends_qemu(machine):
    machine.send("poweroff\r")
    status = machine.wait_exit(timeout=60)
    assert status == 0


def test_ps2_keyboard_drives_the_shell(machine):
    """Keys typed on the PS/2 keyboard (QEMU monitor sendkey) reach the same shell."""
    for key in ["v", "e", "r", "ret"]:
        machine.monitor(f"sendkey {key}")
    machine.expect(r"build-id [0-9a-f]{40}")
    machine.wait_prompt()
    for key in ["shift-u", "p"]:        # "Up" is not a command: the error shows shift works
        machine.monitor(f"sendkey {key}")
    machine.monitor("sendkey ret")
    machine.expect("unknown command 'Up'")
