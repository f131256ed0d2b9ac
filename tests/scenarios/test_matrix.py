"""The slice of the fault matrix (tests/scenarios/matrix.py, `make matrix` runs all of it)
that `make test` keeps: cases chosen so that every target and every dump type appears, each
on a context the other scenario tests crash on one target only. Each case crashes a fresh
guest, lets the next boot recover the dump, and checks what the matrix checks: the STOP
code, the dump valid in every chunk, no discard, the faulting function, fsck.fat clean."""
import pytest

import matrix

SLICE = [
    "syscall-irq/nvme-dedicated/complete",
    "syscall-heap/ahci-pagefile/small",
    "timer-irq/nvme-dedicated/complete",
    "nmi-hang/nvme-dedicated/small",
    "shell-stack/ahci-pagefile/small",
    "shell-assert/nvme-dedicated/kernel",
]


@pytest.mark.parametrize("name", SLICE)
def test_matrix_case(tmp_path, name):
    case, = [c for c in matrix.cases() if c.name == name]
    r = matrix.run_case(case, str(tmp_path))
    print(f"\n{matrix.table([r])}")
    assert r.kept, r.error
