"""Drive a Blackbox guest under QEMU: boot through tools/run-qemu --headless, talk to the
shell on COM1 with pexpect, and to the QEMU monitor over its UNIX socket. Every wait has a
timeout, and the QEMU process itself runs under `timeout` so it can never outlive a test run."""
import os
import re
import socket
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_QEMU = os.path.join(ROOT, "tools", "run-qemu")
PROMPT = "bb> "
BOOT_TIMEOUT = int(os.environ.get("BB_BOOT_TIMEOUT", "120"))   # seconds, TCG on a busy host
QEMU_HARD_LIMIT = 900                                          # seconds, per QEMU process
SMP = int(os.environ.get("BB_SMP", "2"))                       # CPUs of a guest unless a test says
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Machine:
    def __init__(self, workdir, mem=256, system=None, data=None, data_sector_size=None,
                 log_name="serial.log", qemu_args=(), com2=None, system_blkdebug=None, iso=None,
                 smp=None):
        self.workdir = str(workdir)
        self.monitor_path = os.path.join(self.workdir, "monitor.sock")
        self.log = open(os.path.join(self.workdir, log_name), "w", encoding="utf-8")
        args = [str(QEMU_HARD_LIMIT), RUN_QEMU, "--headless", "--mem", str(mem),
                "--smp", str(SMP if smp is None else smp), "--monitor", self.monitor_path]
        if system:
            args += ["--system", system]
        if system_blkdebug:
            args += ["--system-blkdebug", system_blkdebug]   # QEMU's blkdebug rules file
        if data:
            args += ["--data", data]
        if data_sector_size:
            args += ["--data-sector-size", str(data_sector_size)]
        if com2:
            args += ["--com2", com2]       # COM2 to this UNIX socket (the report channel)
        if iso:
            args += ["--iso", iso]         # another boot medium (default build/blackbox.iso)
        if qemu_args:
            args += ["--"] + list(qemu_args)
        self.started = time.monotonic()
        self.child = pexpect.spawn("timeout", args, encoding="utf-8", codec_errors="replace",
                                   timeout=BOOT_TIMEOUT, logfile=self.log, echo=False)

    def expect(self, pattern, timeout=60):
        """Wait for a regex on COM1; returns the match object."""
        self.child.expect(pattern, timeout=timeout)
        return self.child.match

    def wait_prompt(self, timeout=BOOT_TIMEOUT):
        self.child.expect_exact(PROMPT, timeout=timeout)

    def send(self, text):
        self.child.send(text)

    def cmd(self, line, timeout=60):
        """Type a command line, wait for the next prompt, return what the command printed."""
        self.child.send(line + "\r")
        self.child.expect_exact(PROMPT, timeout=timeout)
        out = ANSI.sub("", self.child.before).replace("\r", "")
        # drop the echoed command line
        first_nl = out.find("\n")
        return out[first_nl + 1:] if first_nl >= 0 else ""

    def monitor(self, command, timeout=30):
        """Run one QEMU monitor command and return its output; self.monitor_seconds is how long
        the command itself took (from sending it to the next prompt)."""
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.monitor_path)
            buf = b""
            while not buf.endswith(b"(qemu) "):
                if time.monotonic() > deadline:
                    raise TimeoutError("no monitor prompt")
                buf += s.recv(4096)
            sent = time.monotonic()
            s.sendall(command.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"(qemu) "):
                if time.monotonic() > deadline:
                    raise TimeoutError("monitor command did not finish")
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            self.monitor_seconds = time.monotonic() - sent
        return ANSI.sub("", buf.decode("utf-8", "replace"))

    def vga_text(self):
        """The 80x25 VGA text screen as (lines, attributes of the first cell)."""
        path = os.path.join(self.workdir, "vga.bin")
        if os.path.exists(path):
            os.unlink(path)
        self.monitor(f"pmemsave 0xb8000 4000 \"{path}\"")
        for _ in range(50):
            if os.path.exists(path) and os.path.getsize(path) == 4000:
                break
            time.sleep(0.1)
        with open(path, "rb") as f:
            raw = f.read()
        chars = bytes(raw[i] for i in range(0, len(raw), 2)).decode("cp437")
        lines = [chars[r * 80:(r + 1) * 80].rstrip() for r in range(25)]
        return lines, raw[1]

    def wait_exit(self, timeout=60):
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()
