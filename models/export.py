#!/usr/bin/env python3
"""Export trained CoAM weights to the model contract (models/coam.onnx + models/coam.json) and to
a split of the same weights into an encoder and a conditioned decoder.

    /usr/bin/python3 models/export.py                                  # from models/checkpoints/v2-mnv2/latest.pt (the bundled run)
    /usr/bin/python3 models/export.py --checkpoint path/to/best.pt --metrics eval.json
    /usr/bin/python3 models/export.py --fp16                           # weights stored as float16 (every graph)
    /usr/bin/python3 models/export.py --attention-only                 # add coam-attention.onnx beside models/coam.pt

Writes:
  models/coam.onnx       inputs image [1,3,H,W], condition [1,3,Hc,Wc] (RGB in [0,1], dynamic sizes,
                         multiples of `multiple`); outputs descriptors [1,D,H/4,W/4] (unit L2) and
                         distinctiveness [1,1,H/4,W/4]; opset 17
  models/coam-encoder.onnx   input image [1,3,H,W]; outputs the encoder levels the decoder reads,
                         named by stride: s4, s8, s16, s32 (float32 [1,C,H/s,W/s])
  models/coam-decoder.onnx   inputs the image's s4, s8, s16, s32 and the condition's
                         condition_s16, condition_s32 (the co-attention levels); outputs descriptors
                         and distinctiveness exactly as coam.onnx. A pair then encodes each image
                         once and decodes twice (A|B, B|A) instead of encoding both images per pass.
  models/coam-attention.onnx inputs the image's and the condition's co-attention levels (s16, s32,
                         condition_s16, condition_s32: the encoder graph's outputs); outputs
                         attention_s16, attention_s32, float32 [1,hA*wA,hB*wB], each row the softmax
                         over B's grid (row-major, y*w + x): where each cell of A looked in B
  --fp16                 stores every weight as float16, the attention graph's too (coam/fp16.py makes
                         the network float16-exact first, so PyTorch's reference and the parity tests
                         still hold); --attention-only stores the attention graph's as float16 when the
                         sidecar says the weights beside it are (or --fp16 asks)
  models/coam.json       the sidecar (stride, descriptorDim, multiple, training facts, metrics, and
                         `split`: the two graphs' file names and feature names; `attention`: the
                         attention graph, its levels, inputs and outputs)
  models/coam.pt         the weights alone, so the reference outputs can be recomputed
  models/fixtures/       random inputs of two sizes with PyTorch's outputs (reference.py);
                         models/export.test.ts checks onnxruntime-web's wasm backend against them
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coam.network import ENCODERS, PRETRAINED_ROOT, CoamConfig, CoamNet, count_parameters  # noqa: E402
from coam.fp16 import make_fp16_exact, store_initializers_fp16  # noqa: E402
import reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load_model(checkpoint: str) -> tuple[CoamNet, dict]:
    ck = torch.load(checkpoint, map_location="cpu", weights_only=False)
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


class Encoder(nn.Module):
    """image -> the encoder levels the decoder reads (A's skips and co-attention levels, B's
    co-attention levels): every level but the first (stride 2), which the decoder never uses."""

    def __init__(self, net: CoamNet):
        super().__init__()
        self.net = net

    def forward(self, image):
        return tuple(self.net.encode(image)[1:])


class ConditionedDecoder(nn.Module):
    """The image's levels + the condition's co-attention levels -> descriptors, distinctiveness."""

    def __init__(self, net: CoamNet):
        super().__init__()
        self.net = net
        self.levels = len(net.config.widths)

    def forward(self, *feats):
        image_feats, condition_feats = feats[: self.levels - 1], feats[self.levels - 1:]
        attended = self.levels - len(condition_feats)
        # The decoder reads neither the stride-2 level nor the condition's levels below co-attention.
        feats_a = [None, *image_feats]
        feats_b = [None] * attended + list(condition_feats)
        return self.net.decode(feats_a, feats_b)


def split_names(cfg: CoamConfig) -> tuple[list[str], list[str]]:
    """Feature names by stride: the encoder's outputs, and which of them condition the decoder."""
    levels = len(cfg.widths)
    strides = [2 ** (i + 1) for i in range(levels)]
    features = [f"s{s}" for s in strides[1:]]
    conditioning = [f"s{s}" for s in strides[levels - cfg.coattention_levels:]]
    return features, conditioning


def export_split(model: CoamNet, encoder_path: str, decoder_path: str) -> dict:
    """The encoder and conditioned-decoder graphs from the same weights; returns the sidecar's `split`."""
    import onnx
    m = model.config.multiple
    features, conditioning = split_names(model.config)
    image = torch.rand(1, 3, 3 * m, 4 * m)
    torch.onnx.export(
        Encoder(model).eval(), (image,), encoder_path, opset_version=17,
        input_names=["image"], output_names=features,
        dynamic_axes={"image": {2: "height", 3: "width"},
                      **{f: {2: f"{f}_height", 3: f"{f}_width"} for f in features}},
        do_constant_folding=True,
    )
    with torch.no_grad():
        feats_a = dict(zip(features, Encoder(model).eval()(image)))
        feats_b = dict(zip(features, Encoder(model).eval()(torch.rand(1, 3, 4 * m, 3 * m))))
    condition_inputs = [f"condition_{f}" for f in conditioning]
    args = tuple(feats_a[f] for f in features) + tuple(feats_b[f] for f in conditioning)
    torch.onnx.export(
        ConditionedDecoder(model).eval(), args, decoder_path, opset_version=17,
        input_names=features + condition_inputs, output_names=["descriptors", "distinctiveness"],
        dynamic_axes={
            **{f: {2: f"{f}_height", 3: f"{f}_width"} for f in features},
            **{c: {2: f"{c}_height", 3: f"{c}_width"} for c in condition_inputs},
            "descriptors": {2: "grid_height", 3: "grid_width"}, "distinctiveness": {2: "grid_height", 3: "grid_width"},
        },
        do_constant_folding=True,
    )
    for path in (encoder_path, decoder_path):
        graph = onnx.load(path)
        onnx.checker.check_model(graph)
        ops = {n.op_type for n in graph.graph.node}
        assert "GridSample" not in ops, f"{path} uses GridSample"
    return {
        "encoder": os.path.basename(encoder_path),
        "decoder": os.path.basename(decoder_path),
        # Encoder outputs = the decoder's image inputs; the decoder's condition inputs are
        # condition_<name> for each conditioning feature, fed from the condition's encoder outputs.
        "featureNames": features,
        "conditionFeatureNames": conditioning,
    }


class CoAttentionWeights(nn.Module):
    """The image's and the condition's co-attention levels -> each level's attention weights
    (CoAttention.weights, the very tensor the decoder's co-attention uses)."""

    def __init__(self, net: CoamNet):
        super().__init__()
        self.net = net

    def forward(self, *feats):
        levels = len(self.net.coattention)
        image_feats, condition_feats = feats[:levels], feats[levels:]
        return tuple(attend.weights(a, b) for attend, a, b in zip(self.net.coattention, image_feats, condition_feats))


def export_attention(model: CoamNet, path: str, contract_path: str) -> dict:
    """The co-attention weights as a graph of their own, fed the encoder graph's outputs; returns
    the sidecar's `attention`. Inputs s16, s32 (the image's levels) and condition_s16,
    condition_s32; outputs attention_s16, attention_s32, float32 [1, hA*wA, hB*wB], rows softmaxed."""
    import onnx
    m = model.config.multiple
    features, levels = split_names(model.config)
    with torch.no_grad():
        feats_a = dict(zip(features, Encoder(model).eval()(torch.rand(1, 3, 3 * m, 4 * m))))
        feats_b = dict(zip(features, Encoder(model).eval()(torch.rand(1, 3, 4 * m, 3 * m))))
    condition_inputs = [f"condition_{f}" for f in levels]
    outputs = [f"attention_{f}" for f in levels]
    torch.onnx.export(
        CoAttentionWeights(model).eval(), tuple(feats_a[f] for f in levels) + tuple(feats_b[f] for f in levels), path,
        opset_version=17, input_names=levels + condition_inputs, output_names=outputs,
        dynamic_axes={
            **{f: {2: f"{f}_height", 3: f"{f}_width"} for f in levels},
            **{c: {2: f"{c}_height", 3: f"{c}_width"} for c in condition_inputs},
            **{o: {1: f"{o}_cells", 2: f"{o}_condition_cells"} for o in outputs},
        },
        do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(path))
    return {
        "graph": os.path.basename(path),
        "levels": levels,
        "inputs": levels + condition_inputs,
        "outputs": outputs,
        # Fed the encoder outputs of the split exported beside this contract graph.
        "contractSha256": sha256(contract_path),
    }


def store_fp16(path: str) -> None:
    """Store a graph's float16-exact weights as float16 (coam/fp16.py) and say how many."""
    counts = store_initializers_fp16(path)
    print(f"{os.path.basename(path)}: {counts['fp16']} weights stored as float16, {counts['fp32']} kept float32")


def add_attention(out: str, fp16: bool = False) -> None:
    """The attention graph for the weights already exported in `out` (coam.pt), and the sidecar's
    `attention` key; every other file there stays as it is. Its weights are stored as float16 when
    the sidecar says the others are (an --fp16 export's coam.pt is float16-exact), or `fp16` asks:
    only values float16 holds exactly are stored so, so the graph computes the same either way."""
    model, _ = load_model(os.path.join(out, "coam.pt"))
    sidecar_path = os.path.join(out, "coam.json")
    with open(sidecar_path) as f:
        sidecar = json.load(f)
    attention_path = os.path.join(out, "coam-attention.onnx")
    sidecar["attention"] = export_attention(model, attention_path, os.path.join(out, "coam.onnx"))
    if fp16 or str(sidecar.get("weights", "")).startswith("float16"):
        store_fp16(attention_path)
    with open(sidecar_path, "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    reference.write_attention_fixtures(model, os.path.join(out, "fixtures"))
    print(f"wrote {sidecar['attention']['graph']}, the sidecar's 'attention' and its fixtures")


def training_data(cfg: CoamConfig, args: dict) -> str:
    """What the weights were trained on (and initialised from), for the sidecar."""
    text = "../shared/data/train (834 photos; synthetic homographies + photometric changes)"
    share = args.get("real_share") or 0
    if share:
        text += f"; {share:.0%} real pairs (photos of one scene with RootSIFT + MAGSAC correspondences"
        if args.get("co3d") and (args.get("co3d_share") or 0) > 0:
            text += f"; {args['co3d_share']:.0%} of them co3d video frame pairs, CC BY-NC 4.0"
        text += ")"
    if cfg.encoder == "mobilenetv2":
        text += "; encoder initialised from ImageNet MobileNetV2 1.0 (ONNX model zoo, Apache-2.0)"
    elif cfg.encoder == "resnet50v2":
        text += ("; encoder stem and stages 1-3 initialised from ImageNet ResNet50 v2 (ONNX model zoo resnet50-v2-7, "
                 "Apache-2.0)")
    return text + "; research use only"


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "v2-mnv2", "latest.pt"))
    p.add_argument("--out", default=HERE)
    p.add_argument("--name", default="", help="the model's name (default: coam-web-scratch, or coam-web-<encoder> "
                                               "for an ImageNet-initialised encoder)")
    p.add_argument("--version", default="", help="the model's version (default: 0.1.<training step>, or "
                                                  "0.2.<training step> for an ImageNet-initialised encoder)")
    p.add_argument("--metrics", default="", help="a JSON of measured metrics to put in the sidecar")
    p.add_argument("--untrained", action="store_true", help="export random weights (a test model)")
    p.add_argument("--fp16", action="store_true",
                   help="store the weights as float16 (half the download; the graphs compute in float32). "
                        "The weights are made float16-exact first (coam/fp16.py), so the parity tests hold")
    p.add_argument("--encoder", choices=list(ENCODERS), default="plain",
                   help="with --untrained: the encoder (mobilenetv2 and resnet50v2 start from ImageNet when "
                        "../shared/pretrained is there)")
    p.add_argument("--attention-only", action="store_true",
                   help="only add the co-attention graph (coam-attention.onnx) and the sidecar's 'attention' for the "
                        "weights already in --out (coam.pt); the other files stay as they are")
    args = p.parse_args(argv)
    if args.attention_only:
        add_attention(args.out, args.fp16)
        return

    if args.untrained:
        torch.manual_seed(0)
        model = CoamNet(CoamConfig.for_encoder(args.encoder))
        if model.pretrained_encoder and os.path.isdir(PRETRAINED_ROOT):
            model.load_pretrained()
        model, ck = model.eval(), {"step": 0, "elapsed": 0, "seed": 0, "objective": "none (untrained)"}
    else:
        model, ck = load_model(args.checkpoint)
    if args.fp16:
        print(f"float16-exact weights: {make_fp16_exact(model)}")
    cfg = model.config
    onnx_path = os.path.join(args.out, "coam.onnx")
    export_onnx(model, onnx_path)
    split = export_split(model, os.path.join(args.out, "coam-encoder.onnx"), os.path.join(args.out, "coam-decoder.onnx"))
    if args.fp16:
        for name in (os.path.basename(onnx_path), split["encoder"], split["decoder"]):
            store_fp16(os.path.join(args.out, name))
    # Ties the split to this contract graph: a loader uses the split only beside the graph it came from.
    split["contractSha256"] = sha256(onnx_path)
    # The co-attention graph, fed the split's encoder outputs (tied to the same contract graph).
    attention_path = os.path.join(args.out, "coam-attention.onnx")
    attention = export_attention(model, attention_path, onnx_path)
    if args.fp16:
        store_fp16(attention_path)
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
        "name": args.name or ("coam-web-scratch" if cfg.encoder == "plain" else f"coam-web-{cfg.encoder}"),
        # 0.1.<step>: the encoder trained from scratch; 0.2.<step>: an ImageNet-initialised one.
        "version": args.version or f"{'0.1' if cfg.encoder == 'plain' else '0.2'}.{step}",
        "stride": cfg.stride,
        "descriptorDim": cfg.descriptor_dim,
        "multiple": cfg.multiple,
        "inputSize": {"longSide": 640},
        "inputs": {"image": "float32 [1,3,H,W] RGB in [0,1]", "condition": "float32 [1,3,Hc,Wc] RGB in [0,1]"},
        "outputs": {"descriptors": "float32 [1,D,H/stride,W/stride], unit L2 along axis 1",
                    "distinctiveness": "float32 [1,1,H/stride,W/stride] in [0,1]"},
        "weights": "float16 (computed in float32)" if args.fp16 else "float32",
        "architecture": {**cfg.to_dict(), "parameters": count_parameters(model)},
        "training": {
            "data": training_data(cfg, ck.get("args", {})),
            "objective": ck.get("objective", ck.get("args", {}).get("objective", "infonce")),
            "steps": step,
            "wallTimeMinutes": round(float(ck.get("elapsed", 0)) / 60, 1),
            "date": datetime.date.today().isoformat(),
            "seed": int(ck.get("seed", ck.get("args", {}).get("seed", 0))),
            "machine": "2-core x86_64 CPU (AMD EPYC), no GPU; Debian torch 1.13 with 1-2 threads, shared with development work",
            "batch": ck.get("args", {}).get("batch"),
            "size": ck.get("args", {}).get("size"),
        },
        "metrics": metrics,
        "split": split,
        "attention": attention,
    }
    with open(sidecar_path, "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    reference.write_fixtures(model, os.path.join(args.out, "fixtures"))
    reference.write_attention_fixtures(model, os.path.join(args.out, "fixtures"))
    size_mb = os.path.getsize(onnx_path) / 1e6
    print(f"wrote {onnx_path} ({size_mb:.2f} MB, {count_parameters(model) / 1e6:.2f} M parameters, step {step}), "
          f"{split['encoder']}, {split['decoder']}, {attention['graph']}, {sidecar_path}, fixtures")


if __name__ == "__main__":
    main()
