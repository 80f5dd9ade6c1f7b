"""GFLOP/s of numpy's sgemm (OpenBLAS) for C = A @ B.T, B stored [N, K] like our weights; prints M N K GFLOPS (TSV)."""
import sys
import time

import numpy as np

try:
    from threadpoolctl import threadpool_info
    for pool in threadpool_info():
        print(f"# {pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')} threads={pool.get('num_threads')}", file=sys.stderr)
except ImportError:
    print("# threadpoolctl missing: cannot report the BLAS kernel", file=sys.stderr)

budget = 1.0
rng = np.random.default_rng(1)
for arg in sys.argv[1:]:
    m, n, k = (int(x) for x in arg.split("x"))
    a = rng.random((m, k), dtype=np.float32) - 0.5
    b = rng.random((n, k), dtype=np.float32) - 0.5
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b.T, out=c)
    best, start, runs = float("inf"), time.perf_counter(), 0
    while runs < 3 or (time.perf_counter() - start < budget and runs < 200):
        t0 = time.perf_counter()
        np.matmul(a, b.T, out=c)
        best = min(best, time.perf_counter() - t0)
        runs += 1
    print(f"{m}\t{n}\t{k}\t{2.0 * m * n * k / best / 1e9:.1f}")
