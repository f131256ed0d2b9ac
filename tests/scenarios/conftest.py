"""pytest fixtures for the QEMU scenarios: a booted machine at the shell prompt."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import Machine, ROOT  # noqa: E402


@pytest.fixture
def machine(tmp_path):
    """A Blackbox guest booted to its first prompt; killed at the end of the test."""
    iso = os.path.join(ROOT, "build", "blackbox.iso")
    if not os.path.exists(iso):
        pytest.fail("build/blackbox.iso is missing: run make first")
    m = Machine(tmp_path)
    try:
        m.wait_prompt()
        yield m
    finally:
        m.close()
