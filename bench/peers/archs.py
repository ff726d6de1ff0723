"""The benchmark's model architectures, shared by bench/models/generate.py and bench/peers/peer.py.

Each is a torchvision architecture at 224x224 with 3 input channels whose ImageNet classifier head is
replaced by a single-unit linear layer (one logit; sigmoid gives p(class-1)). Keeping the builder in
one place guarantees that the ONNX graph the Node bench runs and the eager model the Python peer runs
are the same network with the same weights (weights.pt).
"""

from __future__ import annotations

import torch
import torchvision

# id -> (torchvision builder name, human name)
ARCHS = {
    "resnet50": ("resnet50", "ResNet-50"),
    "efficientnet-b0": ("efficientnet_b0", "EfficientNet-B0"),
}


def build(model_id: str) -> torch.nn.Module:
    """The architecture for `model_id` with a 1-unit head and torchvision's default (random) init."""
    if model_id not in ARCHS:
        raise ValueError(f"unknown model id {model_id!r}; known: {', '.join(ARCHS)}")
    builder, _ = ARCHS[model_id]
    model = getattr(torchvision.models, builder)(weights=None)
    if builder.startswith("resnet"):
        model.fc = torch.nn.Linear(model.fc.in_features, 1)
    elif builder.startswith("efficientnet"):
        last = model.classifier[-1]
        assert isinstance(last, torch.nn.Linear)
        model.classifier[-1] = torch.nn.Linear(last.in_features, 1)
    else:  # pragma: no cover - ARCHS and this function change together
        raise ValueError(f"no head replacement for {builder}")
    return model


def head(model: torch.nn.Module) -> torch.nn.Linear:
    """The 1-unit output layer."""
    layer = model.fc if hasattr(model, "fc") else model.classifier[-1]
    assert isinstance(layer, torch.nn.Linear) and layer.out_features == 1
    return layer
