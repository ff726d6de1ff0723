#!/usr/bin/python3
"""Builds the benchmark's random-weight models: bench/models/<id>/{model.onnx,model.json,weights.pt,torch.json}.

    /usr/bin/python3 bench/models/generate.py            # both models, skipping those already present
    /usr/bin/python3 bench/models/generate.py --force    # rebuild
    /usr/bin/python3 bench/models/generate.py --models resnet50

Models (architectures in bench/peers/archs.py): torchvision ResNet-50 and EfficientNet-B0, 224x224,
3-channel NCHW float32 input `image`, one output logit `logit` [N,1], dynamic batch axis, ONNX opset 17.

Weights are random but fixed (torch.manual_seed(SEED)); the output is byte-identical run to run. Plain
random init leaves BatchNorm's running statistics at mean 0 / var 1, which makes deep nets' activations
drift and the logit saturate; so the BatchNorm statistics are calibrated once on seeded synthetic grey
"microscope-like" inputs, and the head is centred and scaled so that p spreads around 0.5 (logits about
-2..2 on those inputs). The numbers mean nothing; they only make the workload realistic (no inf/denormal
paths, both classes occur).

weights.pt is the torch state_dict, so the Python peer (bench/peers/peer.py) runs the same network.
torch.json records the architecture id and generator settings for the peer. model.json follows
electron/core/model/manifest.ts exactly (no extra keys).

Needs: Debian's python3 with torch 1.13, torchvision 0.14, onnx 1.12. No network.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "peers"))

SEED = 20240617
OPSET = 17
SIZE = 224
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
CALIBRATION_BATCHES = 6
CALIBRATION_BATCH = 8


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def synthetic_batch(torch, generator, n: int):
    """Grey captures like bench/fixtures.ts makes, ImageNet-normalised as the peer and the engine do.

    Dark uneven background, blurry elliptical cells, a little noise; a third of them at 1/16 the gain
    (12-bit data in a 16-bit file scaled by bit depth), so the BatchNorm statistics fit both.
    """

    def uniform(*shape, lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=generator)

    cells = 12
    ys, xs = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32), indexing="ij")
    cx, cy = uniform(n, cells, 1, 1, hi=SIZE), uniform(n, cells, 1, 1, hi=SIZE)
    sx, sy = uniform(n, cells, 1, 1, lo=2.0, hi=24.0), uniform(n, cells, 1, 1, lo=2.0, hi=24.0)
    amp = uniform(n, cells, 1, 1, lo=0.1, hi=0.7)
    blobs = (amp * torch.exp(-((xs - cx) ** 2 / (2 * sx**2) + (ys - cy) ** 2 / (2 * sy**2)))).sum(1, keepdim=True)
    background = uniform(n, 1, 1, 1, lo=0.04, hi=0.1) * (1 + 0.2 * (xs - SIZE / 2) / SIZE * uniform(n, 1, 1, 1, lo=-1, hi=1))
    x = background + blobs + 0.01 * torch.randn(n, 1, SIZE, SIZE, generator=generator)
    x = x.clamp(0, 1)
    gain = torch.where(torch.arange(n) % 3 == 2, 1 / 16, 1.0).view(n, 1, 1, 1)
    x = (x * gain).repeat(1, 3, 1, 1)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def build_weights(torch, archs, model_id: str):
    torch.manual_seed(SEED)
    model = archs.build(model_id)
    generator = torch.Generator().manual_seed(SEED + 1)
    batches = [synthetic_batch(torch, generator, CALIBRATION_BATCH) for _ in range(CALIBRATION_BATCHES)]
    with torch.no_grad():
        # BatchNorm statistics from the synthetic inputs (cumulative average over all batches).
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.reset_running_stats()
                m.momentum = None
        model.train()
        for b in batches:
            model(b)
        model.eval()
        # Centre the logit so that p spreads around 0.5 instead of sitting at 0 or 1.
        logits = torch.cat([model(b) for b in batches]).flatten()
        head = archs.head(model)
        head.bias -= logits.median()
        # ... and scale it so that p is not stuck near 0.5 either (logit spread ~ +-2).
        scale = 2.0 / float((logits - logits.median()).abs().max().clamp(min=1e-6))
        head.weight *= scale
        head.bias *= scale
        spread = torch.cat([model(b) for b in batches]).flatten()
    for m in model.modules():  # restore the default so the saved module is ordinary
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = 0.1
    return model, spread


def export_onnx(torch, model, path: Path) -> None:
    dummy = torch.zeros(1, 3, SIZE, SIZE)
    # PyTorch 2.9+ exports through torch.export by default, at opset 18 and with its own axis names;
    # the TorchScript exporter keeps the graph this file promises (and what Debian's torch 1.13 makes).
    newer = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(
        model,
        dummy,
        str(path),
        opset_version=OPSET,
        input_names=["image"],
        output_names=["logit"],
        dynamic_axes={"image": {0: "N"}, "logit": {0: "N"}},
        do_constant_folding=True,
        **newer,
    )


def check_onnx(onnx, path: Path) -> None:
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    opset = next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    assert opset == OPSET, f"opset {opset}"

    def dims(v):
        return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]

    inputs = [i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
    assert [i.name for i in inputs] == ["image"], [i.name for i in inputs]
    assert dims(inputs[0]) == ["N", 3, SIZE, SIZE], dims(inputs[0])
    assert inputs[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [o.name for o in m.graph.output] == ["logit"]
    assert dims(m.graph.output[0]) == ["N", 1], dims(m.graph.output[0])


def manifest(model_id: str, human: str, onnx_sha: str) -> dict:
    return {
        "id": model_id,
        "name": f"{human} (random weights, benchmark)",
        "version": "1.0.0",
        "description": (
            f"torchvision {human} with random weights (seed {SEED}) and a 1-logit head, for benchmarking "
            "only: its predictions mean nothing. Generated by bench/models/generate.py."
        ),
        "onnx": {"file": "model.onnx", "sha256": onnx_sha},
        "input": {"name": "image", "layout": "NCHW", "width": SIZE, "height": SIZE, "channels": 3, "dtype": "float32"},
        "preprocessing": {
            "page": 0,
            "resize": "stretch",
            "intensity": {"mode": "bit-depth"},
            "mean": IMAGENET_MEAN,
            "std": IMAGENET_STD,
            "grayToRgb": True,
        },
        "output": {"name": "logit", "activation": "sigmoid"},
        "classes": ["class-0", "class-1"],
        "threshold": 0.5,
    }


def is_present(folder: Path) -> bool:
    """Complete and consistent: all files there and model.json's SHA-256 matches model.onnx."""
    files = [folder / n for n in ("model.onnx", "model.json", "weights.pt", "torch.json")]
    if not all(f.is_file() for f in files):
        return False
    try:
        recorded = json.loads((folder / "model.json").read_text())["onnx"]["sha256"]
    except (ValueError, KeyError, TypeError):
        return False
    return recorded == sha256_of(folder / "model.onnx")


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def generate(model_id: str, out: Path, force: bool) -> None:
    folder = out / model_id
    if not force and is_present(folder):
        size = (folder / "model.onnx").stat().st_size
        print(f"{model_id}: present, skipped ({folder}/model.onnx, {size / 1e6:.1f} MB; --force to rebuild)")
        return

    import onnx
    import torch
    import torchvision

    import archs

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model, spread = build_weights(torch, archs, model_id)

    weights_tmp = folder / "weights.pt.tmp"
    torch.save(model.state_dict(), weights_tmp)
    onnx_tmp = folder / "model.onnx.tmp"
    export_onnx(torch, model, onnx_tmp)
    check_onnx(onnx, onnx_tmp)
    os.replace(weights_tmp, folder / "weights.pt")
    os.replace(onnx_tmp, folder / "model.onnx")

    onnx_sha = sha256_of(folder / "model.onnx")
    human = archs.ARCHS[model_id][1]
    write_json(
        folder / "torch.json",
        {
            "arch": model_id,
            "seed": SEED,
            "opset": OPSET,
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "onnx": onnx.__version__,
            "calibration": {"batches": CALIBRATION_BATCHES, "batchSize": CALIBRATION_BATCH},
        },
    )
    write_json(folder / "model.json", manifest(model_id, human, onnx_sha))

    p = torch.sigmoid(spread)
    seconds = time.perf_counter() - started
    for name in ("model.onnx", "model.json", "weights.pt", "torch.json"):
        size = (folder / name).stat().st_size
        print(f"{model_id}: wrote {folder / name} ({size / 1e6:.2f} MB)")
    print(
        f"{model_id}: onnx sha256 {onnx_sha}; calibration p min/median/max "
        f"{p.min():.3f}/{p.median():.3f}/{p.max():.3f}; {seconds:.1f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when the model folder is complete")
    parser.add_argument("--models", default="resnet50,efficientnet-b0", help="comma-separated ids")
    parser.add_argument("--out", type=Path, default=HERE, help="folder that receives <id>/ (default: bench/models)")
    args = parser.parse_args()
    ids = [m.strip() for m in args.models.split(",") if m.strip()]
    from archs import ARCHS

    unknown = [m for m in ids if m not in ARCHS]
    if unknown:
        parser.error(f"unknown model id(s) {', '.join(unknown)}; known: {', '.join(ARCHS)}")
    for model_id in ids:
        generate(model_id, args.out.resolve(), args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
