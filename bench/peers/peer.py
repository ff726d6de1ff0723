#!/usr/bin/python3
"""The comparison peer: the job a lab would write in Python, done the straightforward way.

    /usr/bin/python3 bench/peers/peer.py --model-dir bench/models/resnet50 --files <folder> --db <file.sqlite> \
        [--batch-size 8] [--threads 2]
    /usr/bin/python3 bench/peers/peer.py --check [--model-dir ...]   # can it run here? (see check.py)

Loads weights.pt into the torchvision architecture (bench/peers/archs.py; eager mode, CPU,
torch.set_num_threads(2), no_grad), then for every image file in --files (sorted, not recursive):
reads it, hashes it (SHA-256), decodes it (tifffile for TIFF, PIL for everything else and for TIFFs
tifffile cannot decode), scales by bit depth (uint8 / 255, uint16 / 65535), resizes to 224x224
(stretch, bilinear with antialiasing, torchvision), repeats grey into RGB, normalises with the
manifest's mean/std, classifies in batches and inserts one row per file into the sqlite table
`results` (sha256, path, p, class, time).

stdout, last line: {"images": n, "seconds": s, "imagesPerSecond": r, "decodeSeconds": d,
"inferenceSeconds": i, ...}. `seconds` is the wall time from the first file read to the last commit
(model loading is excluded and reported as loadSeconds). decodeSeconds covers read + hash + decode +
preprocessing; inferenceSeconds covers the model's forward passes. cpuSeconds is the process's CPU
time (all threads) over the same span: less sensitive than wall time to other work on a shared machine.
If the peer cannot run (torch, tifffile, ... missing) it prints {"skipped": "<reason>"} and exits 2.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from check import check  # noqa: E402  (standard library only)

EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Classify a folder of images with PyTorch, into sqlite.")
    parser.add_argument("--model-dir", type=Path, help="bench/models/<id> (weights.pt, model.json, torch.json)")
    parser.add_argument("--files", type=Path, help="folder of images")
    parser.add_argument("--db", type=Path, help="sqlite file (created if missing; rows are appended)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--check", action="store_true", help="only say whether the peer can run here")
    args = parser.parse_args()
    if not args.check and (args.model_dir is None or args.files is None or args.db is None):
        parser.error("--model-dir, --files and --db are required (or --check)")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    status = check(args.model_dir)
    if args.check:
        print(json.dumps(status))
        return 0 if status["ok"] else 2
    if not status["ok"]:
        print(json.dumps({"skipped": status["reason"]}))
        return 2

    import numpy as np
    import tifffile
    import torch
    import torchvision.transforms.functional as TF
    from PIL import Image

    import archs

    torch.set_num_threads(args.threads)

    # ---- model -------------------------------------------------------------------------------
    load_started = time.perf_counter()
    manifest = json.loads((args.model_dir / "model.json").read_text())
    torch_json = args.model_dir / "torch.json"
    arch = json.loads(torch_json.read_text())["arch"] if torch_json.is_file() else manifest["id"]
    model = archs.build(arch)
    model.load_state_dict(torch.load(args.model_dir / "weights.pt", map_location="cpu"))
    model.eval()
    size = (manifest["input"]["height"], manifest["input"]["width"])
    mean = manifest["preprocessing"]["mean"]
    std = manifest["preprocessing"]["std"]
    classes = manifest["classes"]
    threshold = manifest.get("threshold", 0.5)
    load_seconds = time.perf_counter() - load_started

    # ---- database ----------------------------------------------------------------------------
    db = sqlite3.connect(args.db)
    db.execute(
        "CREATE TABLE IF NOT EXISTS results ("
        " id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, path TEXT NOT NULL,"
        " p REAL NOT NULL, class TEXT NOT NULL, time TEXT NOT NULL)"
    )
    db.commit()

    # ---- decoding and preprocessing ------------------------------------------------------------
    def decode(data: bytes, suffix: str) -> np.ndarray:
        """The first page as a 2-D (grey) or 3-D (colour) array in the file's own dtype."""
        if suffix in (".tif", ".tiff"):
            try:
                return tifffile.imread(io.BytesIO(data), key=0)
            except Exception:  # e.g. LZW without imagecodecs: Pillow's libtiff reads it
                pass
        with Image.open(io.BytesIO(data)) as im:
            return np.array(im)

    def preprocess(pixels: np.ndarray) -> torch.Tensor:
        if pixels.dtype == np.uint8:
            scale = 255.0
        elif pixels.dtype == np.uint16:
            scale = 65535.0
        else:
            raise ValueError(f"unsupported sample type {pixels.dtype}")
        x = torch.from_numpy(pixels.astype(np.float32) / scale)
        if x.ndim == 2:
            x = x.unsqueeze(0)  # 1 x H x W
        else:
            x = x.permute(2, 0, 1)[:3]  # C x H x W
        x = TF.resize(x, list(size), antialias=True)  # stretch to 224 x 224
        if x.shape[0] == 1:
            x = x.repeat(3, 1, 1)  # grey -> RGB
        return TF.normalize(x, mean, std)

    # ---- the job ------------------------------------------------------------------------------
    files = sorted(p for p in args.files.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)
    decode_seconds = 0.0
    inference_seconds = 0.0
    done = 0
    failed = 0
    started = time.perf_counter()
    cpu_started = time.process_time()

    def flush(batch: list[tuple[str, str, torch.Tensor]]) -> None:
        nonlocal inference_seconds, done
        t = time.perf_counter()
        with torch.no_grad():
            logits = model(torch.stack([x for _, _, x in batch]))
        p = torch.sigmoid(logits[:, 0]).tolist()
        inference_seconds += time.perf_counter() - t
        now = datetime.now(timezone.utc).isoformat()
        rows = [
            (sha, path, prob, classes[1] if prob >= threshold else classes[0], now)
            for (sha, path, _), prob in zip(batch, p)
        ]
        db.executemany("INSERT INTO results (sha256, path, p, class, time) VALUES (?, ?, ?, ?, ?)", rows)
        db.commit()
        done += len(rows)

    batch: list[tuple[str, str, torch.Tensor]] = []
    for path in files:
        t = time.perf_counter()
        try:
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            x = preprocess(decode(data, path.suffix.lower()))
        except Exception as error:
            print(f"peer: {path}: {error}", file=sys.stderr)
            failed += 1
            continue
        finally:
            decode_seconds += time.perf_counter() - t
        batch.append((sha, str(path), x))
        if len(batch) == args.batch_size:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    db.close()

    print(
        json.dumps(
            {
                "images": done,
                "seconds": round(seconds, 4),
                "imagesPerSecond": round(done / seconds, 3) if seconds > 0 else None,
                "decodeSeconds": round(decode_seconds, 4),
                "inferenceSeconds": round(inference_seconds, 4),
                "cpuSeconds": round(cpu_seconds, 4),
                "loadSeconds": round(load_seconds, 4),
                "failed": failed,
                "model": manifest["id"],
                "batchSize": args.batch_size,
                "threads": args.threads,
                "torch": torch.__version__,
            }
        )
    )
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
