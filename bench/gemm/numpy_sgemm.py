"""GFLOP/s of numpy's sgemm (OpenBLAS) for C = A @ B.T, B stored [N, K] like our weights.

Usage: numpy_sgemm.py [--clock wall|cpu] [--threads N] MxNxK ...  Prints M N K GFLOPS as TSV. With
--clock cpu a run's time is the process CPU time divided by the thread count (see GemmBench's ProcessClock).
"""
import sys
import time

import numpy as np

args = sys.argv[1:]
clock, threads = "wall", 1
while args and args[0].startswith("--"):
    flag, value, args = args[0], args[1], args[2:]
    if flag == "--clock":
        clock = value
    elif flag == "--threads":
        threads = int(value)

try:
    from threadpoolctl import threadpool_info
    for pool in threadpool_info():
        print(f"# {pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')} threads={pool.get('num_threads')}", file=sys.stderr)
except ImportError:
    print("# threadpoolctl missing: cannot report the BLAS kernel", file=sys.stderr)

now = time.process_time if clock == "cpu" else time.perf_counter
scale = threads if clock == "cpu" else 1
budget = 1.0
rng = np.random.default_rng(1)
for arg in args:
    m, n, k = (int(x) for x in arg.split("x"))
    a = rng.random((m, k), dtype=np.float32) - 0.5
    b = rng.random((n, k), dtype=np.float32) - 0.5
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b.T, out=c)
    best, start, runs = float("inf"), time.perf_counter(), 0
    while runs < 3 or (time.perf_counter() - start < budget and runs < 200):
        t0 = now()
        np.matmul(a, b.T, out=c)
        best = min(best, (now() - t0) / scale)
        runs += 1
    print(f"{m}\t{n}\t{k}\t{2.0 * m * n * k / best / 1e9:.1f}")
