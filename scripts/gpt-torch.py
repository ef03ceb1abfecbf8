# The PyTorch reference for the GPT benchmark (scripts/device-gpt.sh): the
# same GPT as src/train/gpt/model.ts (nanoGPT's model: pre-LayerNorm blocks,
# causal attention, tanh GELU, LM head tied to wte), fp32 with TF32 off.
#
#   python3 scripts/gpt-torch.py --parity DIR --out FILE [--micro 16] [--steps 10] [--no-compile]
#
# 1. Loss curve: reads DIR/gpt.json (configuration, hyper-parameters, tensor
#    names), DIR/weights.bin (the initial weights ours wrote, f32, in
#    state_dict order) and DIR/tokens.bin (each step's windows, u16), trains
#    the same K steps with the same micro-batches, AdamW and clipping, and
#    records each step's mean loss.
# 2. Tokens/s of training at --micro samples per step, eager and torch.compile
#    (warm-up and compilation not timed).
# Writes one JSON object to --out and prints it as the last line.
import argparse, json, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--parity", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--micro", type=int, default=16)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--no-compile", action="store_true")
a = ap.parse_args()

torch.backends.cuda.matmul.allow_tf32 = False  # fp32 GEMMs, as ours (cuBLAS default math)
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
dev = torch.device("cuda")
meta = json.load(open(os.path.join(a.parity, "gpt.json")))
cfg, hyper = meta["config"], meta["hyper"]
L, C, H, T, V = cfg["layers"], cfg["width"], cfg["heads"], cfg["context"], cfg["vocab"]


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)

    def forward(self, x):
        B = x.size(0)
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(C, 4 * C)
        self.c_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.attn, self.ln_2, self.mlp = nn.LayerNorm(C), Attention(), nn.LayerNorm(C), Mlp()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(wte=nn.Embedding(V, C), wpe=nn.Embedding(T, C), h=nn.ModuleList([Block() for _ in range(L)]), ln_f=nn.LayerNorm(C)))
        self.lm_head = nn.Linear(C, V, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as GPT-2

    def forward(self, idx, targets):
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(T, device=idx.device))
        for b in self.transformer.h:
            x = b(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return F.cross_entropy(logits.view(-1, V), targets.reshape(-1))


def build():
    model = Gpt().to(dev)
    raw = np.fromfile(os.path.join(a.parity, "weights.bin"), dtype="<f4")
    sd = model.state_dict()
    at = 0
    with torch.no_grad():
        for t in meta["tensors"]:
            n = int(np.prod(t["shape"]))
            sd[t["name"]].copy_(torch.from_numpy(raw[at:at + n].reshape(t["shape"])))
            at += n
    assert at == raw.size, f"weights.bin has {raw.size} floats, the tensors {at}"
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hyper["weightDecay"]}, {"params": other, "weight_decay": 0.0}],
                            lr=hyper["lr"], betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["eps"], foreach=False)
    return model, opt


def step(model, opt, windows, micro):
    E = windows.size(0)
    total = 0.0
    for s in range(0, E, micro):
        w = windows[s:s + micro]
        loss = model(w[:, :T], w[:, 1:]) * (w.size(0) / E)
        loss.backward()
        total += loss.detach()
    if hyper["gradClip"] > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), hyper["gradClip"])
    opt.step()
    opt.zero_grad(set_to_none=True)
    return total


out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "config": cfg}
# 1. the loss curve on ours' weights and tokens
K, E, M = meta["steps"], meta["effectiveBatch"], meta["microBatch"]
tokens = torch.from_numpy(np.fromfile(os.path.join(a.parity, "tokens.bin"), dtype="<u2").astype(np.int64)).to(dev).view(K, E, T + 1)
model, opt = build()
out["losses"] = [float(step(model, opt, tokens[k], M)) for k in range(K)]
print("torch losses", " ".join(f"{x:.4f}" for x in out["losses"]), flush=True)
del model, opt
torch.cuda.empty_cache()


# 2. tokens/s at --micro, eager then compiled
def throughput(compiled):
    model, opt = build()
    run = torch.compile(model) if compiled else model
    g = torch.Generator(device=dev).manual_seed(1)
    data = torch.randint(0, V, (a.warmup + a.steps, a.micro, T + 1), device=dev, generator=g)
    for k in range(a.warmup):
        step(run, opt, data[k], a.micro)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for k in range(a.steps):
        last = step(run, opt, data[a.warmup + k], a.micro)
    torch.cuda.synchronize()
    s = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated()
    assert torch.isfinite(last), f"loss {last}"
    del model, opt, run
    torch.cuda.empty_cache()
    return a.steps * a.micro * T / s, peak


for name, compiled in [("eager", False)] + ([] if a.no_compile else [("compile", True)]):
    try:
        tps, peak = throughput(compiled)
        out[f"{name}TokensPerSec"], out[f"{name}PeakBytes"] = tps, peak
        print(f"torch {name}: {tps:.0f} tokens/s at micro-batch {a.micro} (peak {peak / 1e9:.1f} GB)", flush=True)
    except Exception as e:  # an OOM or a compile failure is reported, not fatal: the table says n/a
        out[f"{name}Error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        print(f"torch {name}: failed: {out[name + 'Error']}", flush=True)
json.dump(out, open(a.out, "w"))
print(json.dumps(out))
