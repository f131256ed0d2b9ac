"""`make run`, the README's first command, boots to an interactive shell on the terminal
and `poweroff` ends it."""
import os

import pexpect

from machine import ROOT, BOOT_TIMEOUT


def test_make_run_gives_a_shell_on_the_terminal(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    log = open(tmp_path / "make-run.log", "w", encoding="utf-8")
    child = pexpect.spawn("timeout", ["600", "make", "-s", "-C", ROOT, "run"], env=env,
                          encoding="utf-8", codec_errors="replace", timeout=BOOT_TIMEOUT,
                          logfile=log)
    try:
        child.expect_exact("bb> ")
        child.send("ver\r")
        child.expect(r"build-id [0-9a-f]{40}")
        child.expect_exact("bb> ")
        child.send("cpus\r")                  # make run boots two CPUs
        child.expect(r"\n\s+1\s+\d+\s+idle\s+idle")
        child.expect_exact("bb> ")
        child.send("poweroff\r")
        child.expect(pexpect.EOF, timeout=60)
        child.close()
        assert child.exitstatus == 0
    finally:
        if child.isalive():
            child.terminate(force=True)
        log.close()


def test_launcher_rejects_bad_options():
    import subprocess
    launcher = os.path.join(ROOT, "tools", "run-qemu")
    for args, message in [(["--mem", "lots"], "--mem wants a number"),
                          (["--accel", "warp"], "--accel must be kvm, tcg or auto"),
                          (["--smp", "0"], "--smp wants a number of CPUs"),
                          (["--system", "/nonexistent.img"], "no system image"),
                          (["--bogus"], "unknown option --bogus")]:
        r = subprocess.run([launcher, "--headless"] + args, capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        assert r.returncode != 0
        assert message in r.stderr, (args, r.stderr)
