"""Thread count for torch *and* the BLAS it calls. Debian's python3-torch does its matmuls in the system
BLAS (OpenBLAS, pthread build), whose pool ignores torch.set_num_threads: the count has to be in the
environment before torch (and so libopenblas) is loaded. Import this module before torch."""
import os
import sys


def threads_from_argv(argv=None, default=1, flag="--threads"):
    argv = sys.argv[1:] if argv is None else argv
    n = default
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            n = int(argv[i + 1])
        elif a.startswith(flag + "="):
            n = int(a.split("=", 1)[1])
    return n


def pin_threads(n, blas=None):
    """n: torch intra-op (OpenMP) threads; blas: OpenBLAS threads (default n)."""
    blas = n if blas is None else blas
    os.environ["OMP_NUM_THREADS"] = str(n)
    os.environ["MKL_NUM_THREADS"] = str(n)
    os.environ["OPENBLAS_NUM_THREADS"] = str(blas)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
