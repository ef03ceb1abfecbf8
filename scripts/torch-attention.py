# The PyTorch reference for the attention kernels (docs/gpt-kernels.md):
# torch.nn.functional.scaled_dot_product_attention(is_causal=True) in fp32,
# TF32 off, at GPT-2-small shape, timed with CUDA events. q, k and v are cut
# from one [B, T, 3C] tensor as the GPT's QKV projection gives them (views,
# transposed to [B, H, T, D]), so the layout work is inside the timing as ours.
#
#   python3 scripts/torch-attention.py [--b 4 --t 1024 --h 12 --d 64] [--json FILE]
import argparse, json
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
for name, value in (("b", 4), ("t", 1024), ("h", 12), ("d", 64), ("reps", 20)):
    ap.add_argument(f"--{name}", type=int, default=value)
ap.add_argument("--json", default=None)
a = ap.parse_args()
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(1)
c = a.h * a.d
qkv = torch.randn(a.b, a.t, 3 * c, device="cuda", requires_grad=True)
dy = torch.randn(a.b, a.t, c, device="cuda")


def forward():
    q, k, v = (x.view(a.b, a.t, a.h, a.d).transpose(1, 2) for x in qkv.split(c, dim=2))
    return F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(a.b, a.t, c)


def forward_backward():
    qkv.grad = None
    forward().backward(dy)


def ms(fn):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(a.reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / a.reps


with torch.no_grad():
    fwd = ms(forward)
both = ms(forward_backward)
row = {"torch": torch.__version__, "device": torch.cuda.get_device_name(), "shape": vars(a), "forwardMs": fwd,
       "forwardBackwardMs": both, "backwardMs": both - fwd}
print(f"torch {torch.__version__} sdpa causal fp32 B={a.b} T={a.t} H={a.h} D={a.d}: forward {fwd:.3f} ms, "
      f"forward+backward {both:.3f} ms")
if a.json:
    with open(a.json, "w") as f:
        json.dump(row, f, indent=2)
print(json.dumps(row))
