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
from coam.data import PairSampler, group_weights, make_pair, random_views  # noqa: E402
from coam.losses import LossConfig, direction_loss, pair_loss, sparse_direction_loss  # noqa: E402
from coam.realpairs import make_real_pair, pseudo_correspondences, relative_scale, scene_of  # noqa: E402
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


def shapes(h: int, w: int, seed: int) -> np.ndarray:
    """A cluttered scene of filled shapes over texture: plenty of corners and blobs for SIFT."""
    rng = np.random.default_rng(seed)
    img = textured(h, w, seed)
    for _ in range(120):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(4, 30))
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), r, colour, -1)
        else:
            cv2.rectangle(img, (x, y), (x + r, y + int(rng.integers(4, 30))), colour, -1)
    return img


class RealPairs(unittest.TestCase):
    """Two photos of one scene: the pseudo ground truth and the crops around it. A known
    homography stands in for the second photo so every correspondence can be checked."""

    def setUp(self):
        self.img_a = shapes(360, 480, 3)
        self.H = np.array([[0.9, -0.25, 60], [0.2, 0.95, 10], [1e-4, -5e-5, 1]], np.float64)
        self.img_b = cv2.warpPerspective(self.img_a, self.H, (480, 360), flags=cv2.INTER_LINEAR)

    def test_scenes(self):
        self.assertEqual(scene_of("x/phototourism__london_bridge_19481797_2295892421.jpg"), "phototourism/london_bridge")
        self.assertEqual(scene_of("sacrecoeur__02928139_3448003521.jpg"), "sacrecoeur")
        self.assertIsNone(scene_of("bsds500__100007.jpg"), "single photos are not scenes")

    def test_pseudo_correspondences_follow_the_geometry(self):
        pa, pb = pseudo_correspondences(self.img_a, self.img_b)
        self.assertGreater(len(pa), 50)
        p = np.concatenate([pa, np.ones((len(pa), 1))], 1) @ self.H.T
        err = np.linalg.norm(p[:, :2] / p[:, 2:] - pb, axis=1)
        self.assertLess(np.median(err), 1.0)
        self.assertGreater((err < 3).mean(), 0.9)
        s = relative_scale(pa, pb)
        self.assertAlmostEqual(s, math.sqrt(abs(np.linalg.det(self.H[:2, :2]))), delta=0.1)

    def test_crops_keep_corresponding_pixels(self):
        rng = np.random.default_rng(4)
        ys, xs = np.mgrid[40:320:9, 40:440:9]
        pa = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
        p = np.concatenate([pa, np.ones((len(pa), 1))], 1) @ self.H.T
        pb = (p[:, :2] / p[:, 2:]).astype(np.float32)
        inside = np.all((pb > 2) & (pb < [477, 357]), axis=1)
        pa, pb = pa[inside], pb[inside]
        for _ in range(6):
            r = make_real_pair(self.img_a, self.img_b, pa, pb, relative_scale(pa, pb), 128, rng,
                               photometric_change=False, full_rotation=0.5)
            self.assertIsNotNone(r)
            a, b, corr = r
            self.assertEqual(a.shape, (128, 128, 3))
            self.assertGreaterEqual(len(corr), 12)
            self.assertTrue(((corr >= 0) & (corr <= 127)).all())
            ca = a[corr[:, 1].round().astype(int), corr[:, 0].round().astype(int)].astype(np.float32)
            cb = b[corr[:, 3].round().astype(int), corr[:, 2].round().astype(int)].astype(np.float32)
            self.assertLess(np.median(np.abs(ca - cb)), 25, "the same scene point in both crops")
            shuffled = cb[np.random.default_rng(0).permutation(len(cb))]
            self.assertGreater(np.median(np.abs(ca - shuffled)), np.median(np.abs(ca - cb)))

    def test_sampler_mixes_real_pairs_and_keeps_the_synthetic_stream(self):
        ys, xs = np.mgrid[40:320:9, 40:440:9]
        pa = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
        pb = pa + np.float32([5, 3])
        real = [(0, 1, pa, pb, 1.0)]
        images = [self.img_a, self.img_a]
        mixed = PairSampler(images, 64, 0, real_pairs=real, real_share=1.0).batch(3)
        self.assertTrue((mixed[6] > 0).all(), "every item real at share 1")
        self.assertEqual(mixed[5].shape[0], 3)
        plain = PairSampler(images, 64, 0).batch(2)
        unused = PairSampler(images, 64, 0, real_pairs=real, real_share=0.0).batch(2)
        self.assertTrue((plain[6] == 0).all())
        for x, y in zip(plain, unused):
            self.assertTrue(torch.equal(x, y), "share 0 draws the same synthetic pairs")


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

    def test_sparse_correspondences(self):
        cfg = LossConfig(points=64)
        xy = torch.rand(40, 2) * 60 + 2  # fed pixels of the 64x64 image
        same = sparse_direction_loss(self.desc, self.dist, self.desc, xy, xy, (64, 64), 4, cfg, self.gen)
        self.assertEqual(same[2].item(), 1.0, "a point's own descriptor is its best match")
        wrong = sparse_direction_loss(self.desc, self.dist, self.desc, xy, xy.flip(0), (64, 64), 4, cfg, self.gen)
        self.assertGreater(wrong[0].item(), same[0].item() + 1.0)
        self.assertIsNone(sparse_direction_loss(self.desc, self.dist, self.desc, xy[:5], xy[:5], (64, 64), 4, cfg, self.gen))

    def test_pair_loss_uses_correspondences_for_real_items(self):
        cfg = LossConfig(points=64)
        out = (self.desc[None], self.dist[None])
        valid = self.valid[None]
        far = torch.tensor([[[1.0, 0, 1000], [0, 1, 0], [0, 0, 1]]])  # no synthetic point lands in B
        self.assertIsNone(pair_loss(out, out, far, valid, valid, 4, cfg, self.gen))
        xy = torch.rand(1, 40, 2) * 60 + 2
        corr = torch.cat([xy, xy], 2)
        total, parts = pair_loss(out, out, far, valid, valid, 4, cfg, self.gen, corr, [40])
        self.assertEqual(parts["accuracy"], 1.0, "the correspondences, not H, supervise a real item")

    def test_out_of_view_points_are_skipped(self):
        cfg = LossConfig(points=64)
        far = torch.tensor([[1.0, 0, 1000], [0, 1, 0], [0, 0, 1]])  # everything lands outside B
        self.assertIsNone(direction_loss(self.desc, self.dist, self.desc, far, self.valid, self.valid, 4, cfg, self.gen))


if __name__ == "__main__":
    unittest.main()
