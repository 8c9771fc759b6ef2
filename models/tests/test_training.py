"""Unit tests of the training pipeline: pair geometry, photo sampling, the session schedule and the
losses. Run with Debian's python3 (torch, opencv):

    /usr/bin/python3 -m unittest discover -s models/tests -v

`models/training.test.ts` runs them inside `npm test` when that python has torch and cv2.
"""
import math
import os
import sys
import unittest

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from coam.data import group_weights, make_pair, random_views  # noqa: E402
from coam.losses import LossConfig, direction_loss  # noqa: E402
from train import lr_at, session_lr  # noqa: E402


def textured(h: int, w: int, seed: int) -> np.ndarray:
    """Smooth random texture: warps of it can be compared pixel by pixel."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, size=(h // 8, w // 8, 3)).astype(np.float32)
    return np.clip(cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC), 0, 255).astype(np.uint8)


class PairGeometry(unittest.TestCase):
    def test_h_ab_maps_a_onto_b(self):
        img = textured(480, 640, 0)
        rng = np.random.default_rng(1)
        for _ in range(8):
            a, b, H, va, vb = make_pair(img, 128, rng, photometric_change=False, scale_range=2.5, full_rotation=0.25)
            self.assertEqual(a.shape, (128, 128, 3))
            warped = cv2.warpPerspective(a, H, (128, 128), flags=cv2.INTER_LINEAR)
            inside = cv2.warpPerspective(va.astype(np.uint8) * 255, H, (128, 128), flags=cv2.INTER_NEAREST) > 0
            # Interior only: away from the masks' edges, where both views interpolate real pixels.
            both = cv2.erode((inside & vb).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
            if both.sum() < 200:
                continue
            err = np.abs(warped.astype(np.float32) - b.astype(np.float32))[both].mean()
            self.assertLess(err, 12.0, "warping A by H_ab reproduces B")
            # A wrong homography does not.
            shifted = np.array([[1, 0, 6], [0, 1, 0], [0, 0, 1]], np.float64) @ H
            bad = cv2.warpPerspective(a, shifted, (128, 128), flags=cv2.INTER_LINEAR)
            self.assertGreater(np.abs(bad.astype(np.float32) - b.astype(np.float32))[both].mean(), err * 1.5)

    def test_views_respect_scale_and_rotation_ranges(self):
        rng = np.random.default_rng(2)
        scales = []
        for _ in range(300):
            H_a, H_b = random_views(480, 640, 256, rng, scale_range=2.0, full_rotation=0.0)
            H_ab = H_b @ np.linalg.inv(H_a)
            J = H_ab[:2, :2] / H_ab[2, 2]  # near the origin: the local linear map
            scales.append(math.sqrt(abs(np.linalg.det(J))))
            angle = math.atan2(J[1, 0] - J[0, 1], J[0, 0] + J[1, 1])
            self.assertLess(abs(angle), 0.6 + 0.35, "no full turns when full_rotation is 0")
        scales = np.array(scales)
        self.assertGreater(scales.max() / scales.min(), 2.0)


class PhotoSampling(unittest.TestCase):
    def test_group_weights(self):
        paths = [f"bsds500__{i}.jpg" for i in range(400)] + [f"urban100__img_{i}.jpg" for i in range(100)]
        w = group_weights(paths, 0.5)
        self.assertAlmostEqual(w.sum(), 1.0, places=9)
        bsds = w[:400].sum()
        self.assertAlmostEqual(bsds, 20 / 30, places=6)  # sqrt(400) : sqrt(100)
        self.assertTrue(np.allclose(w[:400], w[0]), "equal within a group")
        self.assertTrue(np.allclose(group_weights(paths, 1.0), 1 / 500), "power 1: every photo equally likely")


class Schedules(unittest.TestCase):
    def test_session_lr_warms_up_then_anneals_to_five_percent(self):
        base = 5e-4
        self.assertLess(session_lr(0, 0.0, base), base * 0.02)
        self.assertAlmostEqual(session_lr(99, 0.0, base), base)
        mids = [session_lr(1000, f, base) for f in np.linspace(0, 1, 11)]
        self.assertTrue(all(x >= y for x, y in zip(mids, mids[1:])), "decreasing over the session")
        self.assertAlmostEqual(mids[-1], 0.05 * base)
        self.assertAlmostEqual(session_lr(1000, 2.0, base), 0.05 * base, msg="clamped past the end")

    def test_step_schedule(self):
        self.assertAlmostEqual(lr_at(199, 1000, 1e-3), 1e-3)
        self.assertAlmostEqual(lr_at(1000, 1000, 1e-3), 5e-5)


class Losses(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.gen = torch.Generator().manual_seed(0)
        d = torch.nn.functional.normalize(torch.randn(16, 16, 16), dim=0)  # D, h, w at stride 4: 64x64 px
        self.desc = d
        self.dist = torch.full((1, 16, 16), 0.5)
        self.valid = torch.ones(64, 64, dtype=torch.bool)
        self.H = torch.eye(3)

    def test_identical_descriptors_are_retrieved(self):
        for objective in ("infonce", "hinge"):
            cfg = LossConfig(objective=objective, points=64)
            desc_loss, dist_loss, acc = direction_loss(self.desc, self.dist, self.desc, self.H, self.valid, self.valid, 4, cfg, self.gen)
            self.assertEqual(acc.item(), 1.0, objective)
            # Random unit vectors in 16-d are far apart: each point's only confusion is itself, so
            # the distinctiveness target is 1 and the prediction 0.5 costs 0.5.
            self.assertAlmostEqual(dist_loss.item(), 0.5, places=5)

    def test_unrelated_descriptors_score_worse(self):
        cfg = LossConfig(points=64)
        other = torch.nn.functional.normalize(torch.randn(16, 16, 16), dim=0)
        same = direction_loss(self.desc, self.dist, self.desc, self.H, self.valid, self.valid, 4, cfg, self.gen)
        diff = direction_loss(self.desc, self.dist, other, self.H, self.valid, self.valid, 4, cfg, self.gen)
        self.assertGreater(diff[0].item(), same[0].item() + 1.0)
        self.assertLess(diff[2].item(), 0.5)

    def test_out_of_view_points_are_skipped(self):
        cfg = LossConfig(points=64)
        far = torch.tensor([[1.0, 0, 1000], [0, 1, 0], [0, 0, 1]])  # everything lands outside B
        self.assertIsNone(direction_loss(self.desc, self.dist, self.desc, far, self.valid, self.valid, 4, cfg, self.gen))


if __name__ == "__main__":
    unittest.main()
