#!/usr/bin/env python3
"""Export trained CoAM weights to the model contract: models/coam.onnx + models/coam.json.

    /usr/bin/python3 models/export.py                                  # from models/checkpoints/main/best.pt
    /usr/bin/python3 models/export.py --checkpoint path/to/best.pt --metrics eval.json

Writes:
  models/coam.onnx       inputs image [1,3,H,W], condition [1,3,Hc,Wc] (RGB in [0,1], dynamic sizes,
                         multiples of `multiple`); outputs descriptors [1,D,H/4,W/4] (unit L2) and
                         distinctiveness [1,1,H/4,W/4]; opset 17
  models/coam.json       the sidecar (stride, descriptorDim, multiple, training facts, metrics)
  models/coam.pt         the weights alone, so the reference outputs can be recomputed
  models/fixtures/       random inputs of two sizes with PyTorch's outputs (reference.py);
                         models/export.test.ts checks onnxruntime-web's wasm backend against them
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coam.network import CoamConfig, CoamNet, count_parameters  # noqa: E402
import reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load_model(checkpoint: str) -> tuple[CoamNet, dict]:
    ck = torch.load(checkpoint, map_location="cpu")
    model = CoamNet(CoamConfig.from_dict(ck["config"]) if "config" in ck else CoamConfig())
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def export_onnx(model: CoamNet, path: str) -> None:
    m = model.config.multiple
    image, condition = torch.rand(1, 3, 3 * m, 4 * m), torch.rand(1, 3, 4 * m, 3 * m)
    torch.onnx.export(
        model, (image, condition), path, opset_version=17,
        input_names=["image", "condition"], output_names=["descriptors", "distinctiveness"],
        dynamic_axes={
            "image": {2: "height", 3: "width"}, "condition": {2: "condition_height", 3: "condition_width"},
            "descriptors": {2: "grid_height", 3: "grid_width"}, "distinctiveness": {2: "grid_height", 3: "grid_width"},
        },
        do_constant_folding=True,
    )
    import onnx
    onnx.checker.check_model(onnx.load(path))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "main", "best.pt"))
    p.add_argument("--out", default=HERE)
    p.add_argument("--name", default="coam-web-scratch")
    p.add_argument("--version", default="")
    p.add_argument("--metrics", default="", help="a JSON of measured metrics to put in the sidecar")
    p.add_argument("--untrained", action="store_true", help="export random weights (a test model)")
    args = p.parse_args(argv)

    if args.untrained:
        torch.manual_seed(0)
        model, ck = CoamNet().eval(), {"step": 0, "elapsed": 0, "seed": 0, "objective": "none (untrained)"}
    else:
        model, ck = load_model(args.checkpoint)
    cfg = model.config
    onnx_path = os.path.join(args.out, "coam.onnx")
    export_onnx(model, onnx_path)
    torch.save({"model": model.state_dict(), "config": cfg.to_dict()}, os.path.join(args.out, "coam.pt"))

    metrics = {}
    sidecar_path = os.path.join(args.out, "coam.json")
    if args.metrics:
        with open(args.metrics) as f:
            metrics = json.load(f)
    elif os.path.exists(sidecar_path):  # keep measured metrics across re-exports of the same weights
        with open(sidecar_path) as f:
            old = json.load(f)
        if old.get("training", {}).get("steps") == ck.get("step"):
            metrics = old.get("metrics", {})
    step = int(ck.get("step", 0))
    sidecar = {
        "name": args.name,
        "version": args.version or f"0.1.{step}",
        "stride": cfg.stride,
        "descriptorDim": cfg.descriptor_dim,
        "multiple": cfg.multiple,
        "inputSize": {"longSide": 640},
        "inputs": {"image": "float32 [1,3,H,W] RGB in [0,1]", "condition": "float32 [1,3,Hc,Wc] RGB in [0,1]"},
        "outputs": {"descriptors": "float32 [1,D,H/stride,W/stride], unit L2 along axis 1",
                    "distinctiveness": "float32 [1,1,H/stride,W/stride] in [0,1]"},
        "architecture": {**cfg.to_dict(), "parameters": count_parameters(model)},
        "training": {
            "data": "../shared/data/train (834 photos; synthetic homographies + photometric changes); research use only",
            "objective": ck.get("objective", ck.get("args", {}).get("objective", "infonce")),
            "steps": step,
            "wallTimeMinutes": round(float(ck.get("elapsed", 0)) / 60, 1),
            "date": datetime.date.today().isoformat(),
            "seed": int(ck.get("seed", ck.get("args", {}).get("seed", 0))),
            "machine": "2-core x86_64 CPU, Debian torch 1.13, 2 threads",
            "batch": ck.get("args", {}).get("batch"),
            "size": ck.get("args", {}).get("size"),
        },
        "metrics": metrics,
    }
    with open(sidecar_path, "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    reference.write_fixtures(model, os.path.join(args.out, "fixtures"))
    size_mb = os.path.getsize(onnx_path) / 1e6
    print(f"wrote {onnx_path} ({size_mb:.2f} MB, {count_parameters(model) / 1e6:.2f} M parameters, step {step}), "
          f"{sidecar_path}, fixtures")


if __name__ == "__main__":
    main()
