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


# Disk images and the dumps copied off them are hundreds of MiB each (a dump target is
# written through when it is created, so it is never sparse): a passed test's are deleted
# when it ends, and the whole run's when every test passed; a failure keeps its files.
BIG_FILE = 16 << 20


def _drop_big_files(top):
    for dirpath, _dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                if not os.path.islink(path) and os.path.getsize(path) >= BIG_FILE:
                    os.unlink(path)
            except OSError:
                pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.bb_passed = report.passed


@pytest.fixture(autouse=True)
def drop_images_of_passed_test(request, tmp_path):
    yield
    if getattr(request.node, "bb_passed", False):
        _drop_big_files(str(tmp_path))


def pytest_sessionfinish(session, exitstatus):
    factory = getattr(session.config, "_tmp_path_factory", None)
    if exitstatus == 0 and factory is not None:
        _drop_big_files(str(factory.getbasetemp()))
