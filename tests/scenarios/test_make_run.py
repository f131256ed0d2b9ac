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
        child.send("poweroff\r")
        child.expect(pexpect.EOF, timeout=60)
        child.close()
        assert child.exitstatus == 0
    finally:
        if child.isalive():
            child.terminate(force=True)
        log.close()
