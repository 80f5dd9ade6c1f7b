#!/usr/bin/env python3
"""Prints "GEMM_TFLOPS BANDWIDTH_GBS" measured with torch on the current CUDA device: the best of several bf16
8192x8192x8192 matmuls, and a 2 GiB device-to-device copy counted as read + write (as bench/cuda measures it)."""
import torch


def best(fn, reps=10):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    return min(times)


n = 8192
a = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
b = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
c = torch.empty(n, n, dtype=torch.bfloat16, device="cuda")
gemm = 2 * n ** 3 / best(lambda: torch.matmul(a, b, out=c)) / 1e12
src = torch.empty(1 << 30, dtype=torch.int16, device="cuda")
dst = torch.empty_like(src)
copy = 2 * src.numel() * 2 / best(lambda: dst.copy_(src)) / 1e9
print(f"{gemm:.0f} {copy:.0f}")
