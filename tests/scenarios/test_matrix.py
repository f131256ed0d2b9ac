"""The slice of the fault matrix (tests/scenarios/matrix.py, `make matrix` runs all of it)
that `make test` keeps: cases chosen so that every target, every dump type and both CPU
counts appear, each on a context the other scenario tests crash on one target only. Each case crashes a fresh
guest, lets the next boot recover the dump, and checks what the matrix checks: the STOP
code, the dump valid in every chunk, no discard, the faulting function, fsck.fat clean (for
the FAT contexts: exactly the orphaned clusters of the update the crash cut short)."""
import pytest

import matrix

SLICE = [
    "syscall-irq/nvme-dedicated/complete/2cpu",
    "syscall-heap/ahci-pagefile/small/2cpu",
    "timer-irq/nvme-dedicated/complete/2cpu",
    "nmi-hang/nvme-dedicated/small/1cpu",
    "shell-stack/ahci-pagefile/small/2cpu",
    "shell-assert/nvme-dedicated/kernel/2cpu",
    "shell-fat/nvme-dedicated/complete/2cpu",      # and the FAT contexts' exact fsck findings
    "syscall-fat/ahci-pagefile/small/1cpu",
    "user-spin-nmi/nvme-dedicated/small/2cpu",     # ring 3 interrupted: the program's function
]


@pytest.mark.parametrize("name", SLICE)
def test_matrix_case(tmp_path, name):
    case, = [c for c in matrix.cases(cpus=(1, 2)) if c.name == name]
    r = matrix.run_case(case, str(tmp_path))
    print(f"\n{matrix.table([r])}")
    assert r.kept, r.error
