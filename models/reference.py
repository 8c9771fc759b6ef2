#!/usr/bin/env python3
"""PyTorch reference outputs for the export check.

    /usr/bin/python3 models/reference.py [--weights models/coam.pt] [--out DIR]

Writes, for two input sizes (the condition a different size from the image), the random inputs
and PyTorch's outputs as raw little-endian float32 files plus an index `reference.json`; and, in
`attention.json`, the co-attention levels the encoder gives for those inputs with each level's
attention weights (CoAttention.weights). models/export.test.ts runs the ONNX graphs on the same
inputs in onnxruntime-web (wasm) and requires agreement within 1e-4.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coam.network import CoamConfig, CoamNet  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def cases(multiple: int):
    return [((2 * multiple, 3 * multiple), (3 * multiple, 2 * multiple)), ((4 * multiple, 4 * multiple), (2 * multiple, 3 * multiple))]


def write_tensor(out: str, case: int, name: str, t: torch.Tensor) -> dict:
    """One fixture tensor as raw little-endian float32; returns its index entry."""
    fname = f"case{case}-{name}.f32"
    t.contiguous().numpy().astype("<f4").tofile(os.path.join(out, fname))
    return {"file": fname, "shape": list(t.shape)}


@torch.no_grad()
def write_fixtures(model: CoamNet, out: str, seed: int = 1234) -> None:
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    index = []
    for i, ((h, w), (hc, wc)) in enumerate(cases(model.config.multiple)):
        image, condition = torch.rand(1, 3, h, w, generator=g), torch.rand(1, 3, hc, wc, generator=g)
        desc, dist = model.eval()(image, condition)
        pairs = (("image", image), ("condition", condition), ("descriptors", desc), ("distinctiveness", dist))
        index.append({name: write_tensor(out, i, name, t) for name, t in pairs})
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"seed": seed, "cases": index}, f, indent=2)


@torch.no_grad()
def write_attention_fixtures(model: CoamNet, out: str, seed: int = 1234) -> None:
    """The attention graph's inputs (the co-attention levels of image and condition) and outputs."""
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    model = model.eval()
    index = []
    first = len(model.config.widths) - model.config.coattention_levels
    strides = [2 ** (i + 1) for i in range(len(model.config.widths))]
    for i, ((h, w), (hc, wc)) in enumerate(cases(model.config.multiple)):
        image, condition = torch.rand(1, 3, h, w, generator=g), torch.rand(1, 3, hc, wc, generator=g)
        fa, fb = model.encode(image), model.encode(condition)
        entry = {}
        for j, attend in enumerate(model.coattention):
            level = first + j
            name = f"s{strides[level]}"
            weights = attend.weights(fa[level], fb[level])
            for key, t in ((name, fa[level]), (f"condition_{name}", fb[level]), (f"attention_{name}", weights)):
                entry[key] = write_tensor(out, i, key, t)
        index.append(entry)
    with open(os.path.join(out, "attention.json"), "w") as f:
        json.dump({"seed": seed, "cases": index}, f, indent=2)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--weights", default=os.path.join(HERE, "coam.pt"))
    p.add_argument("--out", default=os.path.join(HERE, "fixtures"))
    args = p.parse_args()
    ck = torch.load(args.weights, map_location="cpu")
    model = CoamNet(CoamConfig.from_dict(ck["config"]))
    model.load_state_dict(ck["model"])
    write_fixtures(model, args.out)
    write_attention_fixtures(model, args.out)
    print(f"wrote {args.out}/reference.json, {args.out}/attention.json")


if __name__ == "__main__":
    main()
