"""Builds the tiny ONNX models the core's tests run through onnxruntime-web (never a mock of ORT).

Run with the system python (torch + onnx):  /usr/bin/python3 src/core/__fixtures__/make_fixtures.py
Outputs (a few KB each, committed):
  tiny_coam.onnx / tiny_coam.json  a random-weight model that keeps the model contract (stride 4, D 16)
  tiny_coam.reference.json         its torch outputs on a deterministic input, for the 1e-4 check
  bad_names.onnx                   inputs/outputs named wrongly (caught at load time)
  bad_outputs.onnx                 right names, but stride-8 grid, unnormalised descriptors and
                                   distinctiveness outside [0, 1] (caught on each run)
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
D = 16
STRIDE = 4


class TinyCoam(nn.Module):
    """Image features at 1/stride, shifted by a pooled summary of the condition image."""

    def __init__(self, stride=STRIDE, dim=D, normalise=True, squash=True):
        super().__init__()
        self.image_stem = nn.Conv2d(3, 8, kernel_size=stride, stride=stride)
        self.condition_stem = nn.Conv2d(3, 8, kernel_size=stride, stride=stride)
        self.head = nn.Conv2d(8, dim, 3, padding=1)
        self.distinctiveness = nn.Conv2d(8, 1, 3, padding=1)
        self.normalise = normalise
        self.squash = squash

    def forward(self, image, condition):
        image = (image - 0.45) / 0.25
        condition = (condition - 0.45) / 0.25
        f = torch.relu(self.image_stem(image))
        g = torch.relu(self.condition_stem(condition)).mean(dim=(2, 3), keepdim=True)
        h = f + g
        d = self.head(h)
        if self.normalise:
            d = F.normalize(d, dim=1)
        s = self.distinctiveness(h)
        if self.squash:
            s = torch.sigmoid(s)
        return d, s


def export(model, path, input_names, output_names):
    image = torch.rand(1, 3, 32, 48)
    condition = torch.rand(1, 3, 48, 32)
    dyn = {input_names[0]: {2: "h", 3: "w"}, input_names[1]: {2: "hc", 3: "wc"},
           output_names[0]: {2: "gh", 3: "gw"}, output_names[1]: {2: "gh", 3: "gw"}}
    torch.onnx.export(model, (image, condition), path, input_names=input_names,
                      output_names=output_names, dynamic_axes=dyn, opset_version=17)


def deterministic_input(c, h, w, salt):
    """The same formula is computed in TypeScript by the test (values k/16 are exact in float32)."""
    x = torch.zeros(1, c, h, w)
    for ci in range(c):
        for yi in range(h):
            for xi in range(w):
                x[0, ci, yi, xi] = ((ci * 7 + yi * 3 + xi * 5 + salt) % 17) / 16.0
    return x


def main():
    torch.manual_seed(0)
    good = TinyCoam().eval()
    export(good, os.path.join(HERE, "tiny_coam.onnx"), ["image", "condition"], ["descriptors", "distinctiveness"])
    sidecar = {
        "name": "tiny-coam-test",
        "version": "0.0.1",
        "stride": STRIDE,
        "descriptorDim": D,
        "multiple": 16,
        "inputSize": {"longSide": 64},
        "training": {"data": "none (random weights, test fixture)", "steps": 0, "date": "2026-11-26", "seed": 0},
        "metrics": {},
    }
    with open(os.path.join(HERE, "tiny_coam.json"), "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")

    image = deterministic_input(3, 32, 48, 0)
    condition = deterministic_input(3, 48, 32, 5)
    with torch.no_grad():
        d, s = good(image, condition)
    ref = {
        "image": {"height": 32, "width": 48, "salt": 0},
        "condition": {"height": 48, "width": 32, "salt": 5},
        "descriptorsShape": list(d.shape),
        "distinctivenessShape": list(s.shape),
        "descriptors": [round(v, 7) for v in d.flatten().tolist()],
        "distinctiveness": [round(v, 7) for v in s.flatten().tolist()],
    }
    with open(os.path.join(HERE, "tiny_coam.reference.json"), "w") as f:
        json.dump(ref, f)

    torch.manual_seed(1)
    export(TinyCoam().eval(), os.path.join(HERE, "bad_names.onnx"), ["img", "condition"], ["desc", "distinctiveness"])
    torch.manual_seed(2)
    bad = TinyCoam(stride=8, dim=D, normalise=False, squash=False).eval()
    with torch.no_grad():
        bad.distinctiveness.bias.fill_(3.0)  # pushes distinctiveness well above 1
    export(bad, os.path.join(HERE, "bad_outputs.onnx"), ["image", "condition"], ["descriptors", "distinctiveness"])


if __name__ == "__main__":
    main()
