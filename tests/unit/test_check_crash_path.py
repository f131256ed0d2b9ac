"""tools/check-crash-path, the link-time proof that everything the crash path runs is
checksummed: it passes on the kernel and walks into the helpers the writer calls; on a small
kernel-like ELF it names a function the writer calls and a callback whose address it loads
when they lie outside the checksummed ranges, and passes once the link script moves them in."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "tools", "check-crash-path")

SOURCE = r"""
#define W __attribute__((section(".text.dumpwriter"), noinline))
void __attribute__((noinline)) outside(void) { __asm__ volatile(""); }
static void __attribute__((noinline)) sink(void) { __asm__ volatile(""); }
void (*volatile cb)(void);
W void dump_write(void) { outside(); }
W void deadman_nmi(void) { cb = sink; }
W void deadman_abandon(void) {}
W void crc32c(void) {}
W void crc32c_hw(void) {}
W void writer_crc_wide(void) {}
void _start(void) {}
"""

SCRIPT = """SECTIONS { . = 0xffffffff80000000; .text : { __text_start = .;
  __dump_writer_start = .; *(.text.dumpwriter) __dump_writer_end = .;
  __crash_helpers_start = .; %s __crash_helpers_end = .; *(.text .text.*) __text_end = .; }
  .bss : { *(.bss .bss.* COMMON) } }"""


def link(tmp_path, helpers):
    (tmp_path / "t.c").write_text(SOURCE)
    (tmp_path / "t.ld").write_text(SCRIPT % helpers)
    elf = str(tmp_path / "t.elf")
    subprocess.run(["gcc", "-O2", "-ffreestanding", "-fno-pic", "-fno-pie", "-mcmodel=kernel",
                    "-ffunction-sections", "-nostdlib", "-static", "-Wl,-T," + str(tmp_path / "t.ld"),
                    "-Wl,--no-warn-rwx-segments", str(tmp_path / "t.c"), "-o", elf],
                   check=True, capture_output=True, timeout=60)
    return elf


def check(elf, *args):
    return subprocess.run([CHECK, elf, *args], capture_output=True, text=True, timeout=120)


def test_kernel_crash_path_is_checksummed():
    r = check(os.path.join(ROOT, "build", "blackbox.elf"), "--list")
    assert r.returncode == 0, r.stderr
    reached = {line.split()[1] for line in r.stdout.splitlines()}
    for f in ("dump_write", "crc32c", "memcpy", "rtc_read", "paging_virt_to_phys", "pfn_ram_runs",
              "bsod_status", "out_sink", "dump_header_build", "deadman_abandon", "watchdog_ack"):
        assert f in reached, f


def test_uncovered_callee_and_callback_are_named(tmp_path):
    r = check(link(tmp_path, ""))
    assert r.returncode != 0
    assert r.stderr.strip().endswith("crash helpers): outside, sink"), r.stderr


def test_covered_once_the_link_script_moves_them(tmp_path):
    r = check(link(tmp_path, "*(.text.outside .text.sink)"))
    assert r.returncode == 0, r.stderr
