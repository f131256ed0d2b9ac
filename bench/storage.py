#!/usr/bin/python3
"""make bench: sequential file throughput through the live AHCI (C:) and NVMe (D:) paths under
TCG. In the guest, `mkfile` writes a 256 MiB file and `crc` reads it back, each timing its own
file-system calls (write figures include the final flush). In the same run the host writes
256 MiB to the same image file with dd (conv=fsync), and the ratio guest/host is printed.
Figures, never pass/fail."""
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "scenarios"))
from machine import Machine  # noqa: E402

SIZE_MIB = int(os.environ.get("BB_BENCH_STORAGE_MIB", "256"))
MKDISK = os.path.join(ROOT, "tools", "mkdisk")
RATE = re.compile(r"in (\d+) ms \((\d+\.\d) MB/s\)")


def guest_rate(out):
    m = RATE.search(out)
    if not m:
        raise RuntimeError(f"unexpected guest output: {out!r}")
    return float(m.group(2)), int(m.group(1))


def host_dd(image):
    """MB/s of dd writing SIZE_MIB MiB of random bytes into image itself (past its first
    128 MiB; the guest is off by then and the image is thrown away), fsynced."""
    src = image + ".src"
    subprocess.run(["dd", "if=/dev/urandom", f"of={src}", "bs=1M", f"count={SIZE_MIB}"],
                   check=True, capture_output=True, timeout=300)
    t0 = time.monotonic()
    subprocess.run(["dd", f"if={src}", f"of={image}", "bs=1M", "seek=128", f"count={SIZE_MIB}",
                    "conv=fsync,notrunc"], check=True, capture_output=True, timeout=300)
    secs = time.monotonic() - t0
    os.unlink(src)
    return SIZE_MIB * (1 << 20) / secs / 1e6


def main():
    with tempfile.TemporaryDirectory() as d:
        images = {}
        for name, label in (("system", "SYSTEM"), ("data", "DATA")):
            images[name] = os.path.join(d, name + ".img")
            subprocess.run([MKDISK, images[name], f"{SIZE_MIB + 256}M", label], check=True,
                           capture_output=True, timeout=120)
        m = Machine(d, system=images["system"], data=images["data"], log_name="bench-storage.log")
        results = {}
        try:
            m.wait_prompt()
            for vol, path in (("C:", "AHCI"), ("D:", "NVMe")):
                w = guest_rate(m.cmd(f"mkfile {vol}\\bench.bin {SIZE_MIB}M", timeout=600))
                r = guest_rate(m.cmd(f"crc {vol}\\bench.bin", timeout=600))
                results[path] = (w, r)
            m.send("poweroff\r")
            m.wait_exit(timeout=60)
        finally:
            m.close()
        host = {"AHCI": host_dd(images["system"]), "NVMe": host_dd(images["data"])}
    print(f"storage: sequential {SIZE_MIB} MiB file, guest under TCG, MB = 10^6 bytes")
    for path, ((wr, wms), (rr, rms)) in results.items():
        print(f"  {path:4}  write {wr:7.1f} MB/s ({wms} ms)   read {rr:7.1f} MB/s ({rms} ms)   "
              f"host dd write {host[path]:7.1f} MB/s   guest write / host dd = {wr / host[path]:.3f}")


if __name__ == "__main__":
    main()
