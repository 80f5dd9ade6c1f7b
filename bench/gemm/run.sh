#!/usr/bin/env bash
# CPU SGEMM benchmark: SgemmNT vs a TensorPrimitives.Dot-only GEMM vs numpy/OpenBLAS, same shapes, same
# thread count. Usage: bench/gemm/run.sh [THREADS] [MxNxK ...]   (default: 2 threads, the standard shapes)
# CLOCK=wall (default) times each run by the wall clock (best of many runs). CLOCK=cpu times it as process
# CPU time / THREADS: exact with THREADS=1 and the number to trust on a shared, oversubscribed machine;
# with more threads it flatters any run whose workers never got a core (the caller then did every part).
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS="${1:-2}"; shift || true
CLOCK="${CLOCK:-wall}"
SHAPES=("$@")
if [ ${#SHAPES[@]} -eq 0 ]; then
  SHAPES=(512x512x512 1024x1024x1024 2048x2048x2048 1x768x768 1x3072x768 16x768x768 16x3072x768 128x768x768 128x3072x768 512x768x768 512x3072x768)
fi

PY=/usr/bin/python3
if ! "$PY" -c "import numpy" 2>/dev/null || ! ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas*.so* >/dev/null 2>&1; then
  echo "numpy with OpenBLAS missing: apt-get install -y python3-numpy python3-threadpoolctl libopenblas0-pthread" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq python3-numpy python3-threadpoolctl libopenblas0-pthread >/dev/null; else exit 1; fi
fi

NUMPY_TSV="$(mktemp)"
trap 'rm -f "$NUMPY_TSV"' EXIT
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE pin an old kernel for safety elsewhere; unset them here only, so
# OpenBLAS picks the kernel it would pick for this CPU (printed on stderr).
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" \
  "$PY" bench/gemm/numpy_sgemm.py --clock "$CLOCK" --threads "$THREADS" "${SHAPES[@]}" > "$NUMPY_TSV"

dotnet run -c Release --project bench/GemmBench -- --threads "$THREADS" --clock "$CLOCK" --numpy "$NUMPY_TSV" "${SHAPES[@]}"
