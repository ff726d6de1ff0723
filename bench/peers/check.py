#!/usr/bin/python3
"""Says whether the Python peer (peer.py) can run here, and if not, why, in one JSON line.

    /usr/bin/python3 bench/peers/check.py [--model-dir bench/models/resnet50]

stdout: {"ok": true, "versions": {...}, "notes": [...]}            exit 0
        {"ok": false, "reason": "<one sentence>", "details": [...], "versions": {...}}  exit 2

The TypeScript bench prints "skipped: <reason>" when ok is false. Only standard-library code runs
before the imports are tried, so this works (and explains) even where numpy or torch is absent.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

# module -> what it is for, in the words of the skip reason
REQUIRED = {
    "numpy": "arrays",
    "torch": "running the model (PyTorch)",
    "torchvision": "the model architectures and resizing",
    "PIL": "decoding JPEG/PNG and 8-bit images (Pillow)",
    "tifffile": "decoding 16-bit TIFFs",
}


def check(model_dir: Path | None = None) -> dict:
    versions: dict[str, str] = {"python": sys.version.split()[0]}
    missing: list[str] = []
    for module, purpose in REQUIRED.items():
        try:
            mod = importlib.import_module(module)
            versions[module] = str(getattr(mod, "__version__", "?"))
        except Exception as error:  # ImportError, or a broken install raising something else
            missing.append(f"{module} ({purpose}): {type(error).__name__}: {error}")
    if missing:
        names = ", ".join(m.split(" ")[0] for m in missing)
        return {
            "ok": False,
            "reason": f"the Python peer needs {names}, which {sys.executable} cannot import",
            "details": missing,
            "versions": versions,
        }

    notes: list[str] = []
    try:
        importlib.import_module("imagecodecs")
    except ImportError:
        notes.append("imagecodecs is missing: tifffile cannot decode LZW/deflate TIFFs, the peer reads those with PIL")

    if model_dir is not None:
        wanted = [model_dir / "weights.pt", model_dir / "model.json"]
        absent = [str(p) for p in wanted if not p.is_file()]
        if absent:
            return {
                "ok": False,
                "reason": f"the model folder lacks {', '.join(absent)}; run /usr/bin/python3 bench/models/generate.py",
                "versions": versions,
            }
    return {"ok": True, "versions": versions, "notes": notes}


def main() -> int:
    parser = argparse.ArgumentParser(description="Can bench/peers/peer.py run here?")
    parser.add_argument("--model-dir", type=Path, help="also check that this model folder has weights.pt")
    args = parser.parse_args()
    result = check(args.model_dir)
    print(json.dumps(result))
    return 0 if result["ok"] else 2


if __name__ == "__main__":
    sys.exit(main())
