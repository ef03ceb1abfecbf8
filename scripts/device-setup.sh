# Sourced by the scripts/device-*.sh scripts on the GPU machine (from the
# repository root): $OUT, $status and step(), then Node, the bundle (dist/ and
# node_modules), the shaders, the GPU's name in $OUT/gpu.txt, and the addon
# built there (all sources; its log in $OUT/build.log).
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
status=0
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }

export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
if [ -n "${HANDOVER_DEVICE_READY:-}" ]; then
  # scripts/device-round.sh set up this machine already (Node, bundle, shaders, addon): only the environment
  source .device/setup.sh > /dev/null 2>&1
else
step setup
source .device/setup.sh
tar xJf .device/bundle.tar.xz
node scripts/embed-shaders.mjs
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"

if [ -n "${HANDOVER_PREBUILT_ADDON:-}" ] && [ -f native-cuda/build/handover_cuda.node ]; then
  echo "build:cuda: using the carried native-cuda/build/handover_cuda.node (HANDOVER_PREBUILT_ADDON)"
else
step build:cuda
node scripts/build-cuda.mjs --force > "$OUT/build.log" 2>&1 || { status=1; tail -30 "$OUT/build.log"; }
tail -1 "$OUT/build.log"
fi
fi
