"""The libFuzzer targets (tests/fuzz/fuzz_*.c, built by `make fuzz-build`), one pytest case
pair per target: every seed (tests/fuzz/seeds/NAME/, or tests/fuzz/mkseeds' dumps for the dump
readers) runs clean once, then a bounded fuzzing run (BB_FUZZ_SECONDS, default 15) from those
seeds must end without a crash, a sanitizer report, a leak or a timeout. tests/fuzz/fuzzrun.py
does the running; a crashing input is left in the test's temporary directory."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fuzz"))
import fuzzrun  # noqa: E402

SECONDS = int(os.environ.get("BB_FUZZ_SECONDS", "15"))
_built = []


def build():
    if not _built:
        subprocess.run(["make", "-s", "-C", ROOT, "fuzz-build"], check=True,
                       capture_output=True, timeout=900)
        _built.append(True)


@pytest.mark.parametrize("name", fuzzrun.TARGETS)
def test_seeds_run_clean(name):
    build()
    seeds = fuzzrun.seeds(name)
    assert seeds, f"{name}: no seeds"
    r = fuzzrun.replay(name)
    assert r.returncode == 0, r.stderr[-4000:]
    assert r.stderr.count("Executed ") == len(seeds), r.stderr[-4000:]


@pytest.mark.parametrize("name", fuzzrun.TARGETS)
def test_fuzz(name, tmp_path):
    build()
    r, stats = fuzzrun.fuzz(name, SECONDS, str(tmp_path))
    why = fuzzrun.problems(r, stats)
    assert not why, why + "\n" + r.stderr[-6000:]
    assert stats["runs"] > 100, r.stderr[-6000:]
