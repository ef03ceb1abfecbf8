#!/usr/bin/env python3
"""PyTorch eager at batch 1 on CUDA: the reference for src/bench/cuda-infer.ts.

Builds squeezenet1_1, mobilenet_v2 and tiny_gpt with the builders of
../shared/models/export_vision.py and export_tiny_transformers.py (their
top-level statements up to the export loop run here: imports, the seed, the
class definitions, and the draws that came before the models), so the weights
are the ONNX files' own. That is checked: onnxruntime on the ONNX file against
the PyTorch model on one random input (max |difference| printed), or, without
onnxruntime, the parameters found among the ONNX initializers.

A run is timed like bench-infer times store.run: inputs on the host to outputs
on the host, warm-up first, then N runs (p50, mean, min of the wall clock); the
GPU time between torch.cuda.Events around the same run, and the forward pass
alone (input already on the GPU), are reported beside it. TF32 is off (the
handover kernels compute in fp32).

  python3 scripts/torch-infer-ref.py [--models DIR] [--runs 200] [--warmup 20] [--json out.json]

The last line of stdout is the result as one JSON object.
"""
import argparse, ast, json, os, statistics, sys, tempfile, time

MODELS = ["squeezenet1_1", "mobilenet_v2", "tiny_gpt"]


def prelude(path):
    """Runs a model script's top-level statements up to its first loop (the export); returns its names."""
    tree = ast.parse(open(path).read(), path)
    ns = {"__name__": "handover_builders", "__file__": path}
    os.environ.setdefault("OUT", tempfile.mkdtemp(prefix="torch-infer-ref-"))
    for stmt in tree.body:
        if isinstance(stmt, (ast.For, ast.While)):
            break
        try:
            exec(compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec"), ns)
        except ImportError as e:  # onnx / onnxruntime, used only by the export checks
            if (e.name or "").split(".")[0] not in ("onnx", "onnxruntime"):
                raise
            print(f"torch-infer-ref: {os.path.basename(path)}: {e} (skipped)", file=sys.stderr)
    return ns


def build(models_dir):
    """Models in the order and with the random draws of the export scripts (seed 0 in each)."""
    out = {}
    vis = prelude(os.path.join(models_dir, "export_vision.py"))
    for name in ["squeezenet1_1", "mobilenet_v2"]:  # export_vision.py builds them in this order
        out[name] = getattr(vis["torchvision"].models, name)(weights=None)
    tiny = prelude(os.path.join(models_dir, "export_tiny_transformers.py"))
    out["tiny_gpt"] = tiny["LM"](causal=True)
    return out


def make_input(name, torch, gen):
    if name == "tiny_gpt":
        return torch.randint(0, 2048, (1, 32), generator=gen)
    return torch.randn(1, 3, 224, 224, generator=gen)


def check(name, model, onnx_file, torch, gen):
    """max |onnxruntime(file) - torch(model)| on one input; else parameters found among the initializers."""
    x = make_input(name, torch, gen)
    try:
        import onnxruntime as ort
        s = ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
        y = s.run(None, {s.get_inputs()[0].name: x.numpy()})[0]
        with torch.no_grad():
            ref = model.cpu()(x).numpy()
        return {"how": "onnxruntime vs torch on one input", "maxAbsDiff": float(abs(y - ref).max())}
    except ImportError:
        pass
    try:
        import numpy as np
        import onnx
        from onnx import numpy_helper
        inits = [numpy_helper.to_array(t) for t in onnx.load(onnx_file).graph.initializer]
        by_shape = {}
        for a in inits:
            by_shape.setdefault(a.shape, []).append(a)
            if a.ndim == 2:
                by_shape.setdefault(a.T.shape, []).append(a.T)
        found, total, worst = 0, 0, 0.0
        for p in model.state_dict().values():
            if p.dtype.is_floating_point and p.numel() > 16:
                total += 1
                v = p.detach().cpu().numpy()
                diffs = [float(np.abs(a - v).max()) for a in by_shape.get(v.shape, [])]
                if diffs and min(diffs) < 1e-6:
                    found += 1
                    worst = max(worst, min(diffs))
        return {"how": "torch parameters found among the ONNX initializers (folded BatchNorm shows as missing)",
                "found": found, "of": total, "maxAbsDiff": worst}
    except ImportError:
        return {"how": "not checked: neither onnxruntime nor onnx is installed"}


def timing(ms):
    return {"p50": statistics.median(ms), "mean": statistics.fmean(ms), "min": min(ms)}


def bench(name, model, torch, runs, warmup, gen):
    dev = torch.device("cuda")
    model = model.to(dev).eval()
    x = make_input(name, torch, gen)
    xd = x.to(dev)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    wall, gpu, fwd = [], [], []
    # Factory calls inside forward (tiny_gpt's causal mask) create on the GPU too.
    with torch.inference_mode(), torch.device(dev):
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            start.record()
            y = model(x.to(dev)).cpu()
            end.record()
            end.synchronize()
            if i >= warmup:
                wall.append((time.perf_counter() - t0) * 1000)
                gpu.append(start.elapsed_time(end))
        for i in range(warmup + runs):
            start.record()
            model(xd)
            end.record()
            end.synchronize()
            if i >= warmup:
                fwd.append(start.elapsed_time(end))
    assert y.shape[0] == 1
    return {**timing(wall), "event": timing(gpu), "forward": timing(fwd)}


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--models", default=os.path.join(here, "..", "..", "shared", "models"))
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--json")
    a = ap.parse_args()
    need = [os.path.join(a.models, f) for f in ["export_vision.py", "export_tiny_transformers.py"]]
    missing = [f for f in need if not os.path.exists(f)]
    if missing:
        print(f"torch-infer-ref: builders not found: {', '.join(missing)} (looked in {os.path.abspath(a.models)}; pass --models DIR)")
        sys.exit(1)
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    models = build(a.models)
    gen = torch.Generator().manual_seed(1234)
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "tf32": False,
              "runs": a.runs, "models": {}, "missing": []}
    for name in MODELS:
        f = os.path.join(a.models, f"{name}.onnx")
        if not os.path.exists(f):
            print(f"torch-infer-ref: {name}: {f} not found (looked in {os.path.abspath(a.models)})")
            result["missing"].append(f)
            continue
        model = models[name].eval()
        c = check(name, model, f, torch, gen)
        r = bench(name, model, torch, a.runs, a.warmup, gen)
        r["check"] = c
        result["models"][name] = r
        print(f"{name}: weights check ({c['how']}): {c.get('maxAbsDiff', 'n/a')}" +
              (f", {c['found']}/{c['of']} found" if "found" in c else ""))
        print(f"{name}: host-to-host p50 {r['p50']:.3f} ms (GPU events {r['event']['p50']:.3f} ms), "
              f"forward only {r['forward']['p50']:.3f} ms")
    if a.json:
        json.dump(result, open(a.json, "w"), indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
