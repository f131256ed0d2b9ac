"""Runs the libFuzzer targets (build/fuzz/fuzz_NAME, one per tests/fuzz/fuzz_NAME.c): replays
their seeds (tests/fuzz/seeds/NAME/, and the dumps tests/fuzz/mkseeds writes for the dump
readers) and fuzzes each for a bounded time, reading libFuzzer's final stats. Used by
tests/unit/test_fuzz.py and, as `make fuzz`, on its own: then it runs every target (or those
named) for BB_FUZZ_SECONDS (default 60) and prints each one's exec/s and coverage."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = sorted(os.path.basename(p)[len("fuzz_"):-2]
                 for p in glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c")))
GENERATED = os.path.join(ROOT, "build", "fuzz", "seeds")   # tests/fuzz/mkseeds' dumps
DUMP_READERS = ("dump", "bbdump")
# The commands' own messages go nowhere; libFuzzer's and the sanitizers' still show.
QUIET = "-close_fd_mask=3"


def binary(name):
    return os.path.join(ROOT, "build", "fuzz", "fuzz_" + name)


def seed_dirs(name):
    dirs = [d for d in [os.path.join(ROOT, "tests", "fuzz", "seeds", name)] if os.path.isdir(d)]
    return dirs + ([GENERATED] if name in DUMP_READERS else [])


def seeds(name):
    return sorted(f for d in seed_dirs(name) for f in glob.glob(os.path.join(d, "*"))
                  if os.path.isfile(f))


def replay(name):
    """Runs every seed once; returns the finished process."""
    return subprocess.run([binary(name), QUIET, *seeds(name)], capture_output=True, text=True,
                          timeout=300)


def corpus_of(workdir):
    return os.path.join(workdir, "corpus")


def fuzz(name, seconds, workdir):
    """Fuzzes for `seconds` from the seeds (new inputs go to workdir/corpus, a crasher to
    workdir/). Returns the finished process and its stats: runs, exec_s, cov, ft."""
    corpus = corpus_of(workdir)
    os.makedirs(corpus, exist_ok=True)
    r = subprocess.run([binary(name), f"-max_total_time={seconds}", "-timeout=10",
                        "-rss_limit_mb=2048", f"-artifact_prefix={workdir}/",
                        "-print_final_stats=1", QUIET, corpus, *seed_dirs(name)],
                       capture_output=True, text=True, timeout=seconds + 300)
    stats = {}
    for line in r.stderr.splitlines():
        if " cov: " in line:
            f = line.split()
            stats["cov"] = int(f[f.index("cov:") + 1])
            if "ft:" in f:
                stats["ft"] = int(f[f.index("ft:") + 1])
        for key, stat in (("runs", "number_of_executed_units"),
                          ("exec_s", "average_exec_per_sec")):
            if line.startswith(f"stat::{stat}:"):
                stats[key] = int(line.split(":")[-1])
    return r, stats


def problems(r, stats):
    """Why a fuzzing run failed, or "" when it ended clean."""
    if r.returncode != 0:
        return f"exit status {r.returncode}"
    for bad in ("ERROR:", "runtime error"):
        if bad in r.stderr:
            return f"'{bad}' in the output"
    if "runs" not in stats or "cov" not in stats:
        return "no final stats"
    return ""


def main(names):
    seconds = int(os.environ.get("BB_FUZZ_SECONDS", "60"))
    failed = 0
    os.makedirs(os.path.join(ROOT, "build", "fuzz"), exist_ok=True)
    for name in names or TARGETS:
        with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as work:
            r, st = fuzz(name, seconds, work)
            why = problems(r, st)
            print(f"{name:12} {st.get('exec_s', 0):7} exec/s  cov {st.get('cov', 0):5}  "
                  f"ft {st.get('ft', 0):6}  runs {st.get('runs', 0):9}  "
                  f"{'FAILED: ' + why if why else 'ok'}", flush=True)
            if why:
                failed = 1
                for f in sorted(set(glob.glob(os.path.join(work, "*"))) - {corpus_of(work)}):
                    keep = os.path.join(ROOT, "build", "fuzz", f"{name}-{os.path.basename(f)}")
                    shutil.move(f, keep)
                    print(f"  input kept as {keep}: once fixed, it becomes a seed in "
                          f"tests/fuzz/seeds/{name}/")
                print(r.stderr[-3000:])
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
