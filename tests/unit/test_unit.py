"""Runs the host-compiled unit-test binaries (build/unit/test_*, built by `make unit`) under
pytest, one pytest case per C test case, so one summary line covers unit and QEMU tests."""
import glob
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "tests", "unit", "test_*.c")))


def binary_for(src):
    return os.path.join(ROOT, "build", "unit", os.path.splitext(os.path.basename(src))[0])


def collect():
    cases = []
    for src in SOURCES:
        binary = binary_for(src)
        if not os.path.exists(binary):
            cases.append(pytest.param(binary, None, id=os.path.basename(binary) + "::build"))
            continue
        names = subprocess.run([binary, "--list"], check=True, capture_output=True,
                               text=True, timeout=60).stdout.split()
        cases += [pytest.param(binary, n, id=f"{os.path.basename(binary)}::{n}") for n in names]
    return cases


@pytest.mark.parametrize("binary,case", collect())
def test_unit(binary, case):
    if case is None:
        pytest.fail(f"{binary} was not built: run make unit")
    r = subprocess.run([binary, "--run", case], capture_output=True, text=True, timeout=600,
                       cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"PASS {case}" in r.stdout
