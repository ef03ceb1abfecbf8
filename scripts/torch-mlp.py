# The PyTorch reference for `handover train`: the same MLP (784-512-512-10,
# ReLU, softmax cross-entropy, torch.nn.Linear's default init), the same
# optimizer (torch.optim.SGD with momentum, dampening 0) and the same batch,
# trained eagerly on one CUDA GPU. Data lives on the GPU; each step gathers
# its batch by a seeded permutation, as our trainer does.
#
#   python3 scripts/torch-mlp.py --data DIR --epochs 5 --batch 128 --lr 0.05 --momentum 0.9 [--json FILE]
#
# Prints samples/s (training loop only, GPU synchronised at the end of each
# epoch) and the test accuracy; the last line is one JSON object.
import argparse, gzip, json, os, struct, time
import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--data", default=os.environ.get("HANDOVER_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--lr", type=float, default=0.05)
ap.add_argument("--momentum", type=float, default=0.9)
ap.add_argument("--layers", default="512-512")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--json", default=None)
a = ap.parse_args()


def idx(name):
    with gzip.open(os.path.join(a.data, name), "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


torch.backends.cuda.matmul.allow_tf32 = False  # fp32 GEMMs, like ours (cuBLAS default math)
torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(a.seed)
dev = torch.device("cuda")
xtr = torch.tensor(idx("train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32, device=dev) / 255
ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.int64, device=dev)
xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32, device=dev) / 255
yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.int64, device=dev)

sizes = [784] + [int(h) for h in a.layers.split("-")] + [10]
mods = []
for i in range(len(sizes) - 1):
    mods.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        mods.append(torch.nn.ReLU())
model = torch.nn.Sequential(*mods).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
lossf = torch.nn.CrossEntropyLoss()

# warm-up (not timed): a few steps on a throw-away copy, so cuBLAS handles and
# kernels are loaded, as ours compiles and loads before timing
warm = torch.nn.Sequential(*[type(m)(m.in_features, m.out_features) if isinstance(m, torch.nn.Linear) else m for m in mods]).to(dev)
wopt = torch.optim.SGD(warm.parameters(), lr=a.lr, momentum=a.momentum)
for _ in range(20):
    wopt.zero_grad(set_to_none=True)
    lossf(warm(xtr[: a.batch]), ytr[: a.batch]).backward()
    wopt.step()
torch.cuda.synchronize()

n = xtr.shape[0]
g = torch.Generator(device="cpu").manual_seed(a.seed)
seconds = 0.0
samples = 0
for epoch in range(a.epochs):
    order = torch.randperm(n, generator=g).to(dev)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for s in range(0, n, a.batch):
        i = order[s:s + a.batch]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xtr[i]), ytr[i])
        loss.backward()
        opt.step()
        samples += i.numel()
    torch.cuda.synchronize()
    seconds += time.perf_counter() - t0
    print(f"epoch {epoch + 1}: loss {loss.item():.4f}, {samples / seconds:.0f} samples/s", flush=True)

with torch.no_grad():
    acc = (model(xte).argmax(1) == yte).float().mean().item()
r = {"samplesPerSec": samples / seconds, "testAccuracy": acc, "epochs": a.epochs, "batch": a.batch, "lr": a.lr,
     "momentum": a.momentum, "layers": sizes, "torch": torch.__version__, "device": torch.cuda.get_device_name()}
print(f"torch {torch.__version__}: {r['samplesPerSec']:.0f} samples/s, test accuracy {acc * 100:.2f}%")
print(json.dumps(r))
if a.json:
    json.dump(r, open(a.json, "w"))
