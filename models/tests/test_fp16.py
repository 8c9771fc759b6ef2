"""Float16-exact weights (coam/fp16.py): the function survives, the ONNX weights become float16."""
from __future__ import annotations

import copy
import dataclasses
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from coam.fp16 import make_fp16_exact, store_initializers_fp16  # noqa: E402
from coam.network import CoamConfig, CoamNet  # noqa: E402


def randomised(encoder: str) -> CoamNet:
    """A network whose BatchNorms hold non-trivial statistics, as a trained one does."""
    torch.manual_seed(0)
    net = CoamNet(CoamConfig.for_encoder(encoder))
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                if m.affine:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
    return net.eval()


class Fp16Exact(unittest.TestCase):
    def check(self, encoder: str, folded_at_least: int, unfolded: int):
        net = randomised(encoder)
        a, b = torch.rand(1, 3, 64, 96), torch.rand(1, 3, 96, 64)
        with torch.no_grad():
            before = net(a, b)
            exact = copy.deepcopy(net)
            counts = make_fp16_exact(exact)
            after = exact(a, b)
            # Rebuilt from its config (epsilon 0) and state dict, as reference.py and export.py do.
            rebuilt = CoamNet(CoamConfig.from_dict(exact.config.to_dict())).eval()
            rebuilt.load_state_dict(exact.state_dict())
            again = rebuilt(a, b)
        self.assertGreaterEqual(counts["folded"], folded_at_least)
        self.assertEqual(counts["unfolded"], unfolded)
        self.assertEqual(exact.config.batchnorm_eps, 0.0)
        self.assertLess(float((before[0] - after[0]).abs().max()), 0.02, "only float16 rounding changes the output")
        self.assertGreater(float((before[0] - after[0]).abs().max()), 0.0, "the weights were rounded")
        for x, y in zip(after, again):
            self.assertTrue(torch.equal(x, y), "the config carries epsilon 0")
        for t in list(exact.parameters()) + list(exact.buffers()):
            if t.is_floating_point():
                self.assertTrue(torch.equal(t, t.half().float()))
        return exact

    def test_plain(self):
        self.check("plain", folded_at_least=15, unfolded=0)

    def test_mobilenetv2(self):
        self.check("mobilenetv2", folded_at_least=58, unfolded=0)

    def test_resnet50v2_keeps_its_pre_activation_batchnorms(self):
        # The input BN and each bottleneck's first BN read no conv: 1 + 13 of them.
        self.check("resnet50v2", folded_at_least=30, unfolded=14)

    def test_onnx_weights_become_float16(self):
        import onnx  # noqa: PLC0415
        from onnx import numpy_helper  # noqa: PLC0415

        net = randomised("plain")
        make_fp16_exact(net)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.onnx")
            m = net.config.multiple
            torch.onnx.export(net, (torch.rand(1, 3, m, m), torch.rand(1, 3, m, m)), path, opset_version=17,
                              input_names=["image", "condition"], output_names=["descriptors", "distinctiveness"])
            before = {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
            counts = store_initializers_fp16(path)
            graph = onnx.load(path).graph
        weights = sum(v.size for v in before.values() if v.dtype == np.float32)
        self.assertGreater(counts["fp16"], 0.99 * weights, counts)
        stored = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        casts = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Cast"}
        for name, value in before.items():
            if name in casts:
                half = stored[casts[name]]
                self.assertEqual(half.dtype, np.float16)
                self.assertTrue(np.array_equal(half.astype(np.float32), value), name)
        self.assertEqual(len(casts), sum(1 for n in graph.node if n.op_type == "Cast" and n.input[0].endswith("__fp16")))


if __name__ == "__main__":
    unittest.main()
