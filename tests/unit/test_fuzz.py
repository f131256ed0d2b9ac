"""The dump parsers' libFuzzer target (tests/fuzz/fuzz_dump.c), built with `make fuzz`: every
seed (tiny valid dumps from tests/fuzz/mkseeds) runs clean once, then a bounded fuzzing run
(BB_FUZZ_SECONDS, default 45) from those seeds must end without a crash, a sanitizer report,
a leak or a timeout. A crashing input is left in the test's temporary directory."""
import glob
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ = os.path.join(ROOT, "build", "fuzz", "fuzz_dump")
SEEDS = os.path.join(ROOT, "build", "fuzz", "seeds")
SECONDS = int(os.environ.get("BB_FUZZ_SECONDS", "45"))


def build():
    subprocess.run(["make", "-s", "-C", ROOT, "fuzz"], check=True, capture_output=True,
                   timeout=600)


def test_seeds_run_clean():
    build()
    seeds = sorted(glob.glob(os.path.join(SEEDS, "*.dmp")))
    assert len(seeds) == 5, seeds
    r = subprocess.run([FUZZ, *seeds], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-4000:]
    assert r.stderr.count("Executed ") == len(seeds), r.stderr[-4000:]


def test_fuzz_dump_parsers(tmp_path):
    build()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    r = subprocess.run([FUZZ, f"-max_total_time={SECONDS}", "-timeout=10", "-rss_limit_mb=2048",
                        f"-artifact_prefix={tmp_path}/", "-print_final_stats=1",
                        str(corpus), SEEDS],
                       capture_output=True, text=True, timeout=SECONDS + 300)
    tail = r.stderr[-6000:]
    assert r.returncode == 0, tail
    assert "ERROR:" not in r.stderr and "runtime error" not in r.stderr, tail
    assert "Done " in r.stderr and "stat::number_of_executed_units" in r.stderr, tail
    runs = int(r.stderr.split("stat::number_of_executed_units:")[1].split()[0])
    assert runs > 1000, tail
