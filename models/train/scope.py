"""Scope check of the default model: is a capture like the crops the model was trained on?

Two parts, both stated in the model's manifest (`scope`) so the engine needs no model-specific code:

- **Feature distance.** The network's penultimate features (ONNX output `features`, the 304
  standardised values the linear head sees) are compared with the training crops: per-class means
  and one shared covariance, shrunk towards a multiple of the identity by Ledoit-Wolf, give a
  Mahalanobis distance to each class; the score is the smallest. A capture is in scope when its
  score is at most the manifest's threshold. `train.py` fits this (honestly, inside its
  cross-validation) and writes `scope.json`.
- **Input checks** that need no network: bit depth, channels, size, and one histogram statistic,
  `tailRatio`, that tells transmitted-light images (brightfield, phase contrast: a mid-grey
  background with darker and brighter detail) from fluorescence (a dark background with a long
  bright tail). See `tail_ratio`.

This module holds the engine's preprocessing as Python (resize, reference-quantile matching, crop
cutting), the statistics, and the foreign image sets the threshold is checked on. `train.py` imports
it. Run on its own it checks a model folder's input checks and scope.json without the network:

    /usr/bin/python3 models/train/scope.py --check models/default-next --data ../shared/data
"""

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.stats import rankdata

SIZE = 224

# ---------------------------------------------------------------------------------------------
# The engine's preprocessing, in Python


def quantiles_of(data, n):
    """electron/core/model/reference-quantiles.ts `quantilesOf`: MATLAB prctile at k/n, k = 1..n.

    The i-th smallest of m values (from 0) sits at probability (i + 0.5)/m, values between are
    interpolated linearly, beyond the ends the smallest and largest are taken.
    """
    s = np.sort(np.asarray(data).ravel()).astype(np.float64)
    m = s.size
    k = np.arange(1, n + 1, dtype=np.float64)
    position = np.clip(m * k / n - 0.5, 0, m - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(m - 1, below + 1)
    return s[below] + (position - below) * (s[above] - s[below])


def load_reference_quantiles(path, n=1000):
    """The reference cell's n quantiles (it is an 8-bit grey JPEG; colour would be turned grey)."""
    return quantiles_of(np.asarray(Image.open(path).convert("L")), n)


def match_to_reference(pixels, reference_q):
    """`matchToReference`: each pixel takes the reference quantile of the highest own quantile at or
    below it (the first when none is), rounded half up and clipped to 0..255 (the reference is 8-bit)."""
    own = quantiles_of(pixels, len(reference_q))
    # own is non-decreasing: the highest j with own[j] <= value, or 0.
    reached = np.maximum(0, np.searchsorted(own, pixels, side="right") - 1)
    return np.clip(np.floor(reference_q[reached] + 0.5), 0, 255).astype(np.uint8)


def resize_stretch(pixels, size=SIZE):
    """The engine's `resize: stretch` (sharp, kernel linear: bilinear, antialiased when shrinking) at
    the capture's own bit depth. Approximated with PIL's antialiased bilinear on the float image,
    rounded back to whole raw values as sharp returns them."""
    if pixels.shape == (size, size):
        return pixels
    image = Image.fromarray(pixels.astype(np.float32), mode="F").resize((size, size), Image.BILINEAR)
    top = 65535 if pixels.dtype == np.uint16 else 255
    return np.clip(np.floor(np.asarray(image) + 0.5), 0, top).astype(pixels.dtype)


def engine_input(pixels, reference_q):
    """A grey capture (uint8 or uint16, any size) as the model sees it: stretched to 224x224,
    matched to the reference, / 255. float32 [224,224]."""
    return match_to_reference(resize_stretch(pixels), reference_q).astype(np.float32) / 255.0


def cut_crop(field, cx, cy, size=SIZE):
    """electron/core/cells/crops.ts at native pixel size: the window's middle on the centre pixel's
    middle, x = round(cx + 0.5 - size/2) (half up); outside the field, mirrored without repeating
    the edge pixel (-1 -> 1)."""
    x = math.floor(cx + 0.5 - size / 2 + 0.5)
    y = math.floor(cy + 0.5 - size / 2 + 0.5)
    h, w = field.shape

    def mirror(i, n):
        period = 2 * (n - 1)
        i = np.abs(i) % period
        return np.where(i >= n, period - i, i)

    rows = mirror(np.arange(y, y + size), h)
    cols = mirror(np.arange(x, x + size), w)
    return field[np.ix_(rows, cols)]


# ---------------------------------------------------------------------------------------------
# Input statistic


def nearest_rank(sorted_values, q):
    """Percentile q (0..100) by nearest rank: the ceil(q/100 * n)-th smallest value (at least the 1st)."""
    n = sorted_values.size
    return float(sorted_values[max(1, math.ceil(q / 100 * n)) - 1])


def tail_ratio(pixels):
    """`tailRatio` = (p99 - p50) / (p50 - p1) of the raw grey values, all pixels, percentiles by
    nearest rank (`nearest_rank`), computed before any resize or intensity step.

    Brightfield and phase contrast: a mid-grey background with darker and brighter detail, so the two
    tails are of similar length (training crops 0.41-0.50). Fluorescence: a dark background and a
    long bright tail, so the ratio is large. When p50 == p1 the ratio is +inf if p99 > p50 and NaN
    (a flat image) if not; both are out of range. Invariant to gain and offset (so to a min..max
    stretch of the field), not to a non-linear tone curve.
    """
    s = np.sort(np.asarray(pixels).ravel())
    p1, p50, p99 = (nearest_rank(s, q) for q in (1, 50, 99))
    if p50 > p1:
        return (p99 - p50) / (p50 - p1)
    return math.inf if p99 > p50 else math.nan


def input_refusals(pixels, channels, input_scope, whole):
    """Why the manifest's input checks refuse a capture (empty list: accepted).

    `whole` is True for an image that is stretched to 224x224 (one-cell analysis); the side limits
    apply to it only, since crops cut from a field are always 224x224 at native pixel size."""
    reasons = []
    bit_depth = 16 if pixels.dtype == np.uint16 else 8
    if bit_depth not in input_scope["bitDepths"]:
        reasons.append("bitDepth")
    if channels not in input_scope["channels"]:
        reasons.append("channels")
    if whole and not (input_scope["minSide"] <= min(pixels.shape) and max(pixels.shape) <= input_scope["maxSide"]):
        reasons.append("size")
    for name, limits in input_scope["statistics"].items():
        value = {"tailRatio": tail_ratio}[name](pixels)
        if not (limits["min"] <= value <= limits["max"]):  # NaN fails too
            reasons.append(name)
    return reasons


# ---------------------------------------------------------------------------------------------
# Feature distance


def ledoit_wolf(centred):
    """Ledoit-Wolf (2004) shrinkage of the covariance of rows already centred: (1 - s) S + s mu I,
    with S = X'X / n, mu = trace(S) / p and s estimated from the data (as scikit-learn's LedoitWolf).
    Returns (shrunk covariance, s)."""
    x = np.asarray(centred, dtype=np.float64)
    n, p = x.shape
    s = x.T @ x / n
    mu = np.trace(s) / p
    delta = (np.sum(s * s) - 2 * mu * np.trace(s) + p * mu * mu) / p
    beta = (np.sum(np.sum(x * x, axis=1) ** 2) - n * np.sum(s * s)) / (n * n * p)
    shrinkage = 0.0 if delta == 0 else min(beta, delta) / delta
    return (1 - shrinkage) * s + shrinkage * mu * np.eye(p), float(shrinkage)


def fit_scope(features, labels):
    """Per-class means and the precision (inverse) of the shared, Ledoit-Wolf-shrunk within-class
    covariance. Returns {"means": [C,p], "precision": [p,p], "shrinkage": s}."""
    features = np.asarray(features, dtype=np.float64)
    classes = np.unique(labels)
    means = np.stack([features[labels == c].mean(0) for c in classes])
    centred = features - means[np.searchsorted(classes, labels)]
    covariance, shrinkage = ledoit_wolf(centred)
    precision = np.linalg.inv(covariance)
    return {"means": means, "precision": (precision + precision.T) / 2, "shrinkage": shrinkage}


def distances(features, scope):
    """Mahalanobis distance to every class mean, [N,C]: sqrt((f - m)' P (f - m))."""
    f = np.asarray(features, dtype=np.float64)
    out = []
    for mean in scope["means"]:
        d = f - mean
        out.append(np.sqrt(np.maximum(0.0, np.einsum("ij,jk,ik->i", d, scope["precision"], d))))
    return np.stack(out, 1)


def score(features, scope):
    """The scope score: the distance to the nearest class."""
    return distances(features, scope).min(1)


def float32_rounded(values):
    """float32, then 7 significant digits: what scope.json stores and the engine reads."""
    return np.vectorize(lambda v: float(f"{float(np.float32(v)):.7g}"))(np.asarray(values, dtype=np.float64))


def write_scope_json(path, scope, classes):
    """scope.json with one matrix row per line (304x304 numbers: about 1.2 MB)."""
    means = float32_rounded(scope["means"])
    precision = float32_rounded(scope["precision"])

    def row(values):
        return "[" + ", ".join(f"{v:.7g}" for v in values) + "]"

    lines = [
        "{",
        '  "method": "mahalanobis",',
        f'  "classes": {json.dumps(list(classes))},',
        f'  "dims": {precision.shape[0]},',
        '  "means": [',
        ",\n".join("    " + row(m) for m in means),
        "  ],",
        '  "precision": [',
        ",\n".join("    " + row(r) for r in precision),
        "  ]",
        "}",
    ]
    Path(path).write_text("\n".join(lines) + "\n")
    return {"means": means, "precision": precision}


# ---------------------------------------------------------------------------------------------
# Metrics with intervals


def auroc(inside, outside):
    """P(score of a foreign image > score of an in-distribution one), ties counting half."""
    inside, outside = np.asarray(inside, dtype=np.float64), np.asarray(outside, dtype=np.float64)
    ranks = rankdata(np.concatenate([inside, outside]))
    n_in, n_out = len(inside), len(outside)
    return float((ranks[n_in:].sum() - n_out * (n_out + 1) / 2) / (n_in * n_out))


def group_index(groups):
    members = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    return [np.array(v) for v in members.values()]


def resample(rng, groups):
    return np.concatenate([groups[j] for j in rng.integers(0, len(groups), len(groups))])


def interval(draws):
    return [float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))]


def foreign_summary(inside, inside_groups, outside, outside_groups, threshold, seed, reps=2000):
    """AUROC (in-distribution vs this set) and the share refused (score > threshold), each with a 95%
    percentile bootstrap interval that resamples whole groups (frames; fields; images) on both sides."""
    inside, outside = np.asarray(inside), np.asarray(outside)
    rng = np.random.default_rng(seed)
    gin, gout = group_index(inside_groups), group_index(outside_groups)
    result = {
        "n": int(len(outside)),
        "groups": len(gout),
        "auroc": auroc(inside, outside),
        "refused": float(np.mean(outside > threshold)),
        "median_score": float(np.median(outside)),
        "min_score": float(np.min(outside)),
    }
    if len(gout) > 1:
        a, r = [], []
        for _ in range(reps):
            o = outside[resample(rng, gout)]
            a.append(auroc(inside[resample(rng, gin)], o))
            r.append(np.mean(o > threshold))
        result["auroc_ci95"], result["refused_ci95"] = interval(a), interval(r)
    return result


def share_interval(flags, groups, seed, reps=2000):
    flags = np.asarray(flags, dtype=np.float64)
    rng = np.random.default_rng(seed)
    g = group_index(groups)
    return {
        "value": float(flags.mean()),
        "ci95": interval([flags[resample(rng, g)].mean() for _ in range(reps)]),
    }


# ---------------------------------------------------------------------------------------------
# Foreign image sets (read from the shared data folder, never copied)


def phase_fields(data_root):
    """The 45 phase-contrast fields: [(name, uint16 field, label map)]."""
    import tifffile

    folder = Path(data_root) / "phase-contrast-fields"
    out = []
    for path in sorted((folder / "images").glob("set*.tif")):
        labels = np.asarray(Image.open(folder / "masks" / f"{path.stem}.png"))
        out.append((path.stem, tifffile.imread(path), labels))
    if not out:
        sys.exit(f"No phase-contrast fields in {folder}")
    return out


def cell_centres(labels):
    """Each label's centroid, rounded to the nearest pixel: [(x, y)]."""
    ids = np.unique(labels)
    ids = ids[ids > 0]
    centres = ndimage.center_of_mass(np.ones_like(labels, dtype=np.float64), labels, ids)
    return [(int(round(cx)), int(round(cy))) for cy, cx in centres]


def fluorescence_tiff(data_root):
    import tifffile

    return tifffile.imread(Path(data_root) / "microscope-tiff" / "cellprofiler-illumination-cherry-uint16.tif")


def tiles(image, size=SIZE):
    """Non-overlapping size x size tiles from the top left; the remainder at the right and bottom is dropped."""
    h, w = image.shape
    return [image[r : r + size, c : c + size] for r in range(0, h - size + 1, size) for c in range(0, w - size + 1, size)]


def foreign_sets(data_root, seed, cells_per_field=5):
    """The raw captures of each foreign set, as {name: {"raw": [arrays], "groups": [...], "whole": bool}}.

    - phase-whole: the 45 phase-contrast fields (1022x1024, 16-bit), each stretched to 224x224.
    - phase-cells: 224x224 crops at native pixel size around `cells_per_field` cells per field (drawn
      with the seed), centred on each cell's centroid.
    - fluorescence-whole: the 16-bit widefield fluorescence TIFF, stretched to 224x224.
    - fluorescence-tiles: its 24 non-overlapping 224x224 tiles.
    """
    rng = np.random.default_rng(seed)
    sets = {name: {"raw": [], "groups": [], "whole": name.endswith("whole")} for name in
            ("phase-whole", "phase-cells", "fluorescence-whole", "fluorescence-tiles")}
    for name, field, labels in phase_fields(data_root):
        sets["phase-whole"]["raw"].append(field)
        sets["phase-whole"]["groups"].append(name)
        centres = cell_centres(labels)
        for i in rng.choice(len(centres), size=min(cells_per_field, len(centres)), replace=False):
            sets["phase-cells"]["raw"].append(cut_crop(field, *centres[i]))
            sets["phase-cells"]["groups"].append(name)
    tiff = fluorescence_tiff(data_root)
    sets["fluorescence-whole"]["raw"].append(tiff)
    sets["fluorescence-whole"]["groups"].append("cherry")
    for i, tile in enumerate(tiles(tiff)):
        sets["fluorescence-tiles"]["raw"].append(tile)
        sets["fluorescence-tiles"]["groups"].append(f"tile{i}")
    return sets


def inverted(crop):
    """Flipped contrast of an 8-bit crop."""
    return (255 - crop.astype(np.int32)).astype(np.uint8)


def blurred(crop, sigma=4.0):
    """Gaussian blur (sigma in pixels, mirrored edges), rounded back to 8 bits."""
    return np.clip(np.floor(ndimage.gaussian_filter(crop.astype(np.float64), sigma, mode="mirror") + 0.5), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Standalone check: a model folder's input checks on the data sets, and the shape of scope.json


def check(model_dir, data_root, seed):
    manifest = json.loads((model_dir / "model.json").read_text())
    scope_section = manifest["scope"]
    scope_file = json.loads((model_dir / scope_section["features"]["file"]).read_text())
    dims = scope_file["dims"]
    assert np.asarray(scope_file["precision"]).shape == (dims, dims), "precision is not dims x dims"
    assert np.asarray(scope_file["means"]).shape == (len(scope_file["classes"]), dims), "means are not classes x dims"
    precision = np.asarray(scope_file["precision"])
    print(f"scope.json: {len(scope_file['classes'])} classes, {dims} dims, precision symmetric to "
          f"{np.abs(precision - precision.T).max():.2g}, smallest eigenvalue {np.linalg.eigvalsh(precision).min():.3g}")
    rule = scope_section["input"]
    train = [np.asarray(Image.open(p)) for p in sorted((data_root / "brightfield-celltype").glob("*/*.jpg"))]
    refused = [bool(input_refusals(a, 1, rule, whole=True)) for a in train]
    print(f"brightfield training crops refused by the input checks: {sum(refused)} of {len(train)}")
    for name, entry in foreign_sets(data_root, seed).items():
        reasons = [input_refusals(a, 1, rule, entry["whole"]) for a in entry["raw"]]
        counts = {}
        for r in reasons:
            for k in r:
                counts[k] = counts.get(k, 0) + 1
        print(f"{name}: {sum(bool(r) for r in reasons)} of {len(reasons)} refused by the input checks {counts}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", type=Path, required=True, help="model folder (model.json with a scope section)")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data folder")
    parser.add_argument("--seed", type=int, default=20190109)
    args = parser.parse_args()
    check(args.check, args.data, args.seed)


if __name__ == "__main__":
    main()
