#!/usr/bin/env bash
# The CUDA backend on the GPU machine, in one call: build the addon there, run
# the CUDA and WebGPU (Dawn on NVIDIA Vulkan) kernel tests, run the benchmarks
# beside PyTorch, and print the table last.
#
# Here, once per change (needs ../shared/device/pack.sh .device done before):
#   bash scripts/device-run.sh pack      # tsc to dist/, bundle -> .device/bundle.tar.xz
# On the GPU machine (the `run` tool, carrying .device):
#   bash scripts/device-run.sh           # writes logs and JSON under $OUT (or ./device-out)
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = pack ]; then
  set -e
  [ -f .device/setup.sh ] || { echo "run: bash ../shared/device/pack.sh .device first" >&2; exit 1; }
  node scripts/embed-shaders.mjs
  npx tsc -p tsconfig.json || echo "device-run pack: tsc reported errors (outside src/devices/cuda?); dist/ was still written"
  # vitest and its runtime dependencies, and webgpu with only the linux-x64 dawn.node
  root=$(node -e 'console.log(Object.keys(JSON.parse(require("fs").readFileSync("package.json", "utf8")).dependencies).join(" "))')
  node scripts/node-deps.mjs --optional vitest webgpu fast-check $root ${WITH_ORT:+onnxruntime-node} ${EXTRA_DEPS:+${EXTRA_DEPS//,/ }} > .device/bundle.list
  nodawn=(); [ -n "${NO_DAWN:-}" ] && nodawn=(--exclude='node_modules/webgpu/dist/linux-x64')
  tar cJf .device/bundle.tar.xz "${nodawn[@]}" --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' \
    --exclude='node_modules/webgpu/dist/linux-arm64' --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' \
    --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
    --exclude='*.map' -T .device/bundle.list dist
  du -sh .device .device/bundle.tar.xz
  exit 0
fi

source scripts/device-setup.sh

step "CUDA tests"
node node_modules/vitest/vitest.mjs run test/cuda-build.test.ts test/cuda-device.test.ts test/cuda-kernels.test.ts \
  2>&1 | tee "$OUT/cuda-tests.log" | sed 's/\x1b\[[0-9;]*m//g' | grep -v '^ *✓' | tail -40 || status=1
grep -q "failed" "$OUT/cuda-tests.log" && status=1

step "WebGPU tests (Dawn on NVIDIA Vulkan)"
node node_modules/vitest/vitest.mjs run test/kernels.test.ts 2>&1 | tee "$OUT/webgpu-tests.log" | tail -15 || status=1
grep -q "failed" "$OUT/webgpu-tests.log" && status=1

step "PyTorch reference"
python3 - "$OUT/torch.json" <<'PY' 2>&1 | tee "$OUT/torch.log"
import json, sys, torch
torch.backends.cuda.matmul.allow_tf32 = False  # fp32 GEMM, like cuBLAS default math
dev = torch.device("cuda")
def timed(fn, reps):
    for _ in range(min(reps, 20)): fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(reps): fn()
    e.record(); torch.cuda.synchronize()
    return s.elapsed_time(e) / reps
G = 1 << 30
a = torch.empty(G // 4, device=dev); b = torch.empty(G // 4, device=dev)
r = {}
ms = timed(lambda: a.zero_(), 20); r["zero-fill 1 GiB (cudaMemsetAsync, own stream)"] = G / ms / 1e6
ms = timed(lambda: b.copy_(a), 20); r["copy 1 GiB device to device"] = G / ms / 1e6
del a, b
for m, n, k in [(256, 1024, 784), (1024, 1024, 1024), (2048, 2048, 2048), (4096, 4096, 4096), (8192, 8192, 8192)]:
    A = torch.randn(m, k, device=dev); B = torch.randn(k, n, device=dev); C = torch.empty(m, n, device=dev)
    flop = 2 * m * n * k
    reps = max(3, min(5000, round(2e12 / flop)))
    ms = timed(lambda: torch.matmul(A, B, out=C), reps)
    r[f"gemm {m}x{n}x{k} fp32"] = flop / ms / 1e9
print("torch preferred BLAS:", torch.backends.cuda.preferred_blas_library())
for lib in ("cublas", "cublaslt"):
    torch.backends.cuda.preferred_blas_library(lib)
    A = torch.randn(256, 784, device=dev); B = torch.randn(784, 1024, device=dev); C = torch.empty(256, 1024, device=dev)
    ms = timed(lambda: torch.matmul(A, B, out=C), 5000)
    print(f"gemm 256x1024x784 with {lib}: {2 * 256 * 1024 * 784 / ms / 1e9:.2f} TFLOP/s")
print(torch.__version__, torch.cuda.get_device_name())
print(json.dumps(r, indent=1))
json.dump(r, open(sys.argv[1], "w"))
PY

step "CUDA benchmarks"
grep -E "preferred|with cublas" "$OUT/torch.log"
node dist/src/bench/cuda-backend.js --torch "$OUT/torch.json" --json "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log" || status=1

step "summary"
echo "tests: $(grep -h 'Tests ' "$OUT/cuda-tests.log" "$OUT/webgpu-tests.log" | sed 's/\x1b\[[0-9;]*m//g' | tr -s ' ' | paste -sd ';')"
sed -n '/^| /,$p' "$OUT/bench.log"
exit $status
