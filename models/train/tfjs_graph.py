"""Minimal reader + PyTorch executor for TensorFlow.js graph models (model.json + *.bin).

Reader: parses modelTopology.node and weightsManifest; dequantises float16 weights to float32.

Executor (TFGraph): evaluates the graph node by node on demand from requested outputs, with
tensors kept in torch NCHW layout (4-D activations). Float constants that feed convolutions
become nn.Parameters (in torch layout), so parts of the graph can be fine-tuned and the
module traces to ONNX. Implements only what the backbone's layers in backbone.py use:
Placeholder, Const, _FusedConv2D and FusedDepthwiseConv2dNative (SAME or VALID padding, fused
BiasAdd and Relu), Add, Mul, Relu6 and Mean. Anything else raises NotImplementedError.
"""

import base64
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1, -1: 1, -2: 3, -3: 2, -4: 0}


def _s(attr, key, default=None):
    v = attr.get(key)
    if v is None:
        return default
    return base64.b64decode(v["s"]).decode()


def _ints(attr, key, default=None):
    v = attr.get(key)
    if v is None:
        return default
    return [int(i) for i in v.get("list", {}).get("i", [])]


def _fused(attr):
    v = attr.get("fused_ops")
    if v is None:
        return []
    return [base64.b64decode(s).decode() for s in v.get("list", {}).get("s", [])]


def load_weights(model_dir, manifest):
    """Returns {name: np.ndarray float32/int32} from the weightsManifest groups."""
    out = {}
    for group in manifest:
        buf = b"".join((Path(model_dir) / p).read_bytes() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            dtype = w["dtype"]
            if q:
                if q["dtype"] != "float16" or dtype != "float32":
                    raise NotImplementedError(f"{dtype} weights quantized as {q['dtype']}")
                arr = np.frombuffer(buf, np.float16, n, off).astype(np.float32)
                off += 2 * n
            else:
                npd = {"float32": np.float32, "int32": np.int32}[dtype]
                arr = np.frombuffer(buf, npd, n, off).copy()
                off += arr.itemsize * n
            out[w["name"]] = arr.reshape(shape)
        assert off == len(buf), (off, len(buf))
    return out


def _same_pad(n, k, s, d):
    out = math.ceil(n / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _pad_for(x, attr, kh, kw):
    padding = _s(attr, "padding", "VALID")
    strides = _ints(attr, "strides", [1, 1, 1, 1])
    dil = _ints(attr, "dilations", [1, 1, 1, 1]) or [1, 1, 1, 1]
    sh, sw = strides[1], strides[2]
    dh, dw = dil[1], dil[2]
    if padding == "SAME":
        pt, pb = _same_pad(x.shape[2], kh, sh, dh)
        pl, pr = _same_pad(x.shape[3], kw, sw, dw)
        if pt or pb or pl or pr:
            x = F.pad(x, (pl, pr, pt, pb))
    elif padding != "VALID":
        raise NotImplementedError(padding)
    return x, (sh, sw), (dh, dw)


def _act(y, ops):
    for op in ops:
        if op == "BiasAdd":
            continue
        if op == "Relu":
            y = F.relu(y)
        else:
            raise NotImplementedError(f"fused op {op}")
    return y


class TFGraph(nn.Module):
    def __init__(self, json_path):
        super().__init__()
        json_path = Path(json_path)
        j = json.loads(json_path.read_text())
        self.nodes = {n["name"]: n for n in j["modelTopology"]["node"]}
        weights = load_weights(json_path.parent, j["weightsManifest"])
        # Convert weights used as conv filters to torch layout; keep the rest as buffers.
        conv_filters, dw_filters = set(), set()
        for n in self.nodes.values():
            if n["op"] == "_FusedConv2D":
                conv_filters.add(n["input"][1])
            if n["op"] == "FusedDepthwiseConv2dNative":
                dw_filters.add(n["input"][1])
        self.params = nn.ParameterDict()
        self.key = {}
        self.consts = {}
        for i, (name, arr) in enumerate(weights.items()):
            if name in conv_filters:  # HWIO -> OIHW
                t = torch.from_numpy(np.ascontiguousarray(arr.transpose(3, 2, 0, 1)))
            elif name in dw_filters:  # H W C M -> (C*M) 1 H W
                h, w, c, m = arr.shape
                t = torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 3, 0, 1).reshape(c * m, 1, h, w)))
            else:
                t = torch.from_numpy(np.array(arr))
            if t.dtype == torch.float32 and t.dim() >= 1:
                key = f"w{i}"
                self.key[name] = key
                self.params[key] = nn.Parameter(t)
            else:
                self.consts[name] = t

    def tensor(self, name):
        if name in self.key:
            return self.params[self.key[name]]
        return self.consts[name]

    def forward(self, feeds, outputs):
        """feeds: {placeholder_name: NCHW tensor}; outputs: list of node names."""
        cache = dict(feeds)
        return [self._eval(o, cache) for o in outputs]

    def _eval(self, ref, cache):
        name, _, idx = ref.partition(":")
        if name in cache:
            return cache[name]
        node = self.nodes[name]
        op = node["op"]
        attr = node.get("attr", {})
        if op == "Const":
            v = self.tensor(name)
            cache[name] = v
            return v
        ins = [self._eval(i, cache) for i in node.get("input", []) if not i.startswith("^")]
        y = self._run(op, attr, ins, node)
        cache[name] = y
        return y

    def _run(self, op, attr, ins, node):
        if op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            x, w = ins[0], ins[1]
            x, stride, dil = _pad_for(x, attr, w.shape[2], w.shape[3])
            fused = _fused(attr)
            if fused[:1] != ["BiasAdd"]:
                raise NotImplementedError(fused)
            groups = x.shape[1] if op == "FusedDepthwiseConv2dNative" else 1
            return _act(F.conv2d(x, w, ins[2], stride, 0, dil, groups=groups), fused)
        if op in ("Add", "Mul"):
            a, b = (self._bcast(t, ins) for t in ins)
            return (torch.add if op == "Add" else torch.mul)(a, b)
        if op == "Relu6":
            return F.relu6(ins[0])
        if op == "Mean":
            x, axes = ins[0], ins[1]
            axes = [int(a) for a in torch.as_tensor(axes).flatten().tolist()]
            keep = attr.get("keep_dims", {}).get("b", False)
            assert x.dim() == 4 and keep, "Mean: only 4-D keep_dims implemented"
            dims = sorted(NHWC_TO_NCHW_AXIS[a] for a in axes)
            return x.mean(dim=dims, keepdim=True)
        raise NotImplementedError(f"op {op} ({node['name']})")

    @staticmethod
    def _bcast(t, ins):
        """A rank-1 constant [C] broadcasting against NHWC means a channel vector in NCHW."""
        if t.dim() == 1 and t.numel() > 1 and any(o.dim() == 4 for o in ins):
            return t.view(1, -1, 1, 1)
        return t
