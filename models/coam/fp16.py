"""Half-precision weights without losing the parity test.

The browser downloads the weights, so storing them as float16 halves the download; the graphs
still compute in float32 (each float16 initializer goes through a Cast). Rounding the exported
weights after the fact would leave PyTorch's reference and the ONNX graphs disagreeing by the
rounding, so the network is first made float16-exact in PyTorch:

1. Every BatchNorm that directly follows a conv is folded into it: the conv's weights take the
   BN's scale and the BN keeps only its shift (gamma 1, mean 0, variance 1). Exporting then fuses
   the two without changing a bit, because the BN's remaining scale is exactly 1.
2. The other BatchNorms (the pre-activation ones of ResNet v2, the input normalisation) take
   their epsilon into their variance, and every BatchNorm's epsilon becomes 0
   (`CoamConfig.batchnorm_eps`), so no graph adds a constant that float16 cannot hold.
3. Every floating-point parameter and buffer is rounded to the nearest float16 value.

The network computes the same function up to that rounding; PyTorch's reference outputs are
computed from these weights, so the exported graphs (weights stored as float16) agree with them as
closely as the float32 graphs did. `store_initializers_fp16` then stores every float32
initializer that float16 represents exactly as float16 plus a Cast, and leaves the rest (a few
small vectors that exporting computes, e.g. shapes' arithmetic) in float32.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn


def _pairs(model: nn.Module) -> list[tuple[nn.Conv2d, nn.BatchNorm2d]]:
    """(conv, bn) where the BN's input is the conv's output and nothing else."""
    pairs = []
    for module in model.modules():
        named = getattr(module, "CONV_BN_PAIRS", None)
        if named:
            pairs.extend((getattr(module, c), getattr(module, b)) for c, b in named)
        elif isinstance(module, nn.Sequential):
            children = list(module)
            for first, second in zip(children, children[1:]):
                if isinstance(first, nn.Conv2d) and isinstance(second, nn.BatchNorm2d):
                    pairs.append((first, second))
    return pairs


@torch.no_grad()
def make_fp16_exact(model: nn.Module) -> dict:
    """Fold, drop epsilon and round, in place (model in eval mode); returns counts for the log."""
    model.eval()
    pairs = _pairs(model)
    # Checked before anything changes: the folded shift lives in the BN's bias.
    if any(not bn.affine for _, bn in pairs):
        raise ValueError("a BatchNorm without affine parameters cannot take a folded shift")
    folded = {id(bn) for _, bn in pairs}
    for conv, bn in pairs:
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        conv.weight.mul_(scale.view(-1, 1, 1, 1))
        shift = bn.bias - bn.running_mean * scale
        if conv.bias is not None:
            shift = shift + conv.bias * scale
            conv.bias.zero_()
        bn.bias.copy_(shift)
        bn.weight.fill_(1.0)
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0)
    others = 0
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            if id(m) not in folded:
                m.running_var.add_(m.eps)
                others += 1
            m.eps = 0.0
    if hasattr(model, "config"):
        model.config.batchnorm_eps = 0.0
    rounded = 0
    for t in list(model.parameters()) + list(model.buffers()):
        if t.is_floating_point():
            t.copy_(t.half().float())
            rounded += t.numel()
    return {"folded": len(pairs), "unfolded": others, "rounded": rounded}


def store_initializers_fp16(path: str) -> dict:
    """Rewrite an ONNX file: each float32 initializer that float16 holds exactly becomes a float16
    initializer and a Cast to float32 under the old name. Returns sizes for the log."""
    import onnx  # noqa: PLC0415
    from onnx import helper, numpy_helper  # noqa: PLC0415

    model = onnx.load(path)
    graph = model.graph
    kept, halved, casts = [], 0, []
    kept_fp32 = 0
    for init in graph.initializer:
        if init.data_type != onnx.TensorProto.FLOAT:
            kept.append(init)
            continue
        value = numpy_helper.to_array(init)
        half = value.astype(np.float16)
        if value.size < 16 or not np.array_equal(half.astype(np.float32), value):
            kept.append(init)
            kept_fp32 += value.size
            continue
        stored = numpy_helper.from_array(half, init.name + "__fp16")
        kept.append(stored)
        casts.append(helper.make_node("Cast", [stored.name], [init.name], to=onnx.TensorProto.FLOAT,
                                      name=init.name + "__cast"))
        halved += value.size
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return {"fp16": halved, "fp32": kept_fp32}
