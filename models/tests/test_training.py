"""Unit tests of the training pipeline: pair geometry, photo sampling, the co3d frame pairs, the
network's encoders, the continuation schedule and the losses. Run with Debian's python3 (torch, opencv):

    /usr/bin/python3 -m unittest discover -s models/tests -v

`models/training.test.ts` runs them inside `npm test` when that python has torch and cv2.
"""
import math
import os
import shutil
import sys
import tempfile
import unittest

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from coam.data import PairSampler, group_weights, make_pair, random_views  # noqa: E402
from coam.losses import LossConfig, direction_loss, pair_loss, sparse_direction_loss  # noqa: E402
from coam.multiview import cached_multiview_pairs, derive_pairs, read_intrinsics  # noqa: E402
from coam.network import PRETRAINED_ROOT, CoamConfig, CoamNet  # noqa: E402
from coam.validate import pose_auc, pose_error_deg  # noqa: E402
from coam.realpairs import make_real_pair, pseudo_correspondences, relative_scale, scene_of  # noqa: E402
from train import continuation_lr, lr_at, parameter_groups, reference_blas  # noqa: E402

MOBILENETV2_WEIGHTS = os.path.join(PRETRAINED_ROOT, "mobilenetv2_batchnorm_nchw", "weights")
RESNET50V2_WEIGHTS = os.path.join(PRETRAINED_ROOT, "resnet50v2_nchw", "weights")


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


class MultiViewPairs(unittest.TestCase):
    """co3d-style sequences: frames of one textured scene under a slowly changing homography, plus
    a frame of another scene that no fit may pair with them."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="coam-multiview-")
        base = shapes(360, 480, 5)
        cls.H = []
        seq = os.path.join(cls.root, "toy_1")
        os.makedirs(seq)
        for k in range(5):
            t = k / 4
            H = np.array([[1 - 0.08 * t, -0.1 * t, 12 * t], [0.1 * t, 1 - 0.05 * t, 6 * t], [2e-4 * t, 0, 1]])
            cls.H.append(H)
            frame = cv2.warpPerspective(base, H, (480, 360), flags=cv2.INTER_LINEAR)
            cv2.imwrite(os.path.join(seq, f"frame{k:06d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        cv2.imwrite(os.path.join(seq, "frame000005.png"), cv2.cvtColor(shapes(360, 480, 99), cv2.COLOR_RGB2BGR))
        with open(os.path.join(cls.root, "intrinsics.txt"), "w") as f:
            f.write("toy_1 500.0,500.0 239.5,179.5\nmissing_2 500.0,500.0 239.5,179.5\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_intrinsics(self):
        K = read_intrinsics(self.root)
        self.assertEqual(sorted(K), ["missing_2", "toy_1"])
        self.assertEqual(K["toy_1"][0, 0], 500.0)
        self.assertEqual(K["toy_1"][1, 2], 179.5)

    def test_verified_pairs_follow_the_geometry_and_unrelated_frames_are_rejected(self):
        paths, pairs, facts = derive_pairs(self.root, max_side=480, gaps=(1, 2, 4, 5), anchor_every=1, log=lambda *_: None)
        self.assertEqual(len(paths), 6, "the sequence without frames is skipped")
        kept = {(f["a"], f["b"]) for f in facts if f["kept"]}
        self.assertIn((0, 1), kept)
        self.assertIn((0, 4), kept, "the far pair of the same scene survives")
        self.assertNotIn((0, 5), kept, "no frame pairs with a frame of another scene")
        self.assertNotIn((1, 5), kept)
        self.assertEqual(len(pairs), 2 * len(kept), "both directions")
        for i, j, pa, pb, scale in pairs:
            if i > j:
                continue
            H = self.H[j] @ np.linalg.inv(self.H[i])
            p = np.c_[pa, np.ones(len(pa))] @ H.T
            err = np.linalg.norm(p[:, :2] / p[:, 2:] - pb, axis=1)
            self.assertLess(np.median(err), 1.0, (i, j))
            self.assertGreater((err < 3).mean(), 0.95, (i, j))
        f = next(f for f in facts if (f["a"], f["b"]) == (0, 1))
        self.assertLess(f["median_px"], 1.0)
        self.assertGreater(f["share"], 0.3)

    def test_cache_returns_the_same_pairs(self):
        cache = os.path.join(self.root, "cache")
        first = cached_multiview_pairs(self.root, cache, log=lambda *_: None, max_side=480, gaps=(1, 3))
        self.assertEqual(len([f for f in os.listdir(cache) if f.endswith(".npz")]), 1)
        again = cached_multiview_pairs(self.root, cache, log=lambda *_: None, max_side=480, gaps=(1, 3))
        self.assertEqual(first[0], again[0])
        self.assertEqual(first[2], again[2])
        self.assertEqual(len(first[1]), len(again[1]))
        for x, y in zip(first[1], again[1]):
            self.assertEqual(x[:2], y[:2])
            self.assertTrue(np.array_equal(x[2], y[2]) and np.array_equal(x[3], y[3]))
            self.assertAlmostEqual(x[4], y[4])
        self.assertGreater(first[2]["1"]["kept"], 0)
        cached_multiview_pairs(self.root, cache, log=lambda *_: None, max_side=480, gaps=(2,))
        self.assertEqual(len([f for f in os.listdir(cache) if f.endswith(".npz")]), 2, "other options, another cache")


class Encoders(unittest.TestCase):
    def test_mobilenetv2_shapes_and_frozen_batchnorm(self):
        torch.manual_seed(0)
        net = CoamNet(CoamConfig.for_encoder("mobilenetv2"))
        self.assertEqual(net.config.widths, (16, 24, 32, 96, 128))
        x = torch.rand(1, 3, 64, 96)
        feats = net.eval().encode(x)
        self.assertEqual([tuple(f.shape) for f in feats],
                         [(1, 16, 32, 48), (1, 24, 16, 24), (1, 32, 8, 12), (1, 96, 4, 6), (1, 128, 2, 3)])
        wide = CoamNet(CoamConfig(encoder="mobilenetv2", widths=(16, 24, 32, 96, 320))).eval()
        self.assertIsNone(wide.neck, "no neck when the deepest level keeps its width")
        self.assertEqual(tuple(wide.encode(x)[-1].shape), (1, 320, 2, 3))
        desc, dist = net(x, torch.rand(1, 3, 96, 64))
        self.assertEqual(tuple(desc.shape), (1, 64, 16, 24))
        self.assertEqual(tuple(dist.shape), (1, 1, 16, 24))
        self.assertTrue(torch.allclose(desc.norm(dim=1), torch.ones(1, 16, 24), atol=1e-5))
        net.train()
        bns = [m for m in net.encoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        self.assertTrue(bns and not any(m.training for m in bns), "the encoder's BatchNorm stays in eval mode")
        self.assertTrue(net.decoder[0][1].training, "the decoder's BatchNorm trains")
        self.assertTrue(net.neck[1].training, "so does the neck's (it starts untrained)")
        before = bns[0].running_mean.clone()
        net.forward_pair(torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64))
        self.assertTrue(torch.equal(before, bns[0].running_mean), "frozen statistics")

    def test_output_stride_eight_drops_the_last_decoder_level(self):
        cfg = CoamConfig(encoder="mobilenetv2", widths=(16, 24, 32, 96, 128),
                         decoder_widths=CoamConfig.output_stride_widths(8))
        self.assertEqual((cfg.stride, CoamConfig.for_encoder("mobilenetv2").stride), (8, 4))
        net = CoamNet(cfg).eval()
        desc, dist = net(torch.rand(1, 3, 64, 96), torch.rand(1, 3, 96, 64))
        self.assertEqual((tuple(desc.shape), tuple(dist.shape)), ((1, 64, 8, 12), (1, 1, 8, 12)))
        self.assertEqual(CoamConfig.from_dict(cfg.to_dict()).stride, 8)
        with self.assertRaises(ValueError):
            CoamConfig.output_stride_widths(16)

    def test_encoder_learning_rate_groups(self):
        net = CoamNet(CoamConfig.for_encoder("mobilenetv2"))
        groups = parameter_groups(net, 0.1)
        self.assertEqual([g["lr_scale"] for g in groups], [1.0, 0.1])
        self.assertEqual(sum(len(g["params"]) for g in groups), len(list(net.parameters())))
        frozen = parameter_groups(CoamNet(CoamConfig.for_encoder("mobilenetv2")), 0.0)
        self.assertEqual(len(frozen), 1)
        self.assertEqual(len(parameter_groups(CoamNet(), 0.1)), 1, "a plain encoder trains at the base rate")

    def test_config_checks(self):
        with self.assertRaises(ValueError):
            CoamConfig(encoder="mobilenetv2")  # the plain widths do not fit MobileNetV2
        with self.assertRaises(ValueError):
            CoamConfig(encoder="vgg")
        cfg = CoamConfig.for_encoder("mobilenetv2")
        self.assertEqual(CoamConfig.from_dict(cfg.to_dict()), cfg)
        old = CoamConfig().to_dict()
        del old["encoder"]
        self.assertEqual(CoamConfig.from_dict(old).encoder, "plain", "checkpoints from before the choice load")

    def test_resnet50v2_shapes_projections_and_learning_rates(self):
        torch.manual_seed(0)
        net = CoamNet(CoamConfig.for_encoder("resnet50v2"))
        self.assertEqual(net.config.widths, (64, 64, 96, 128, 128))
        x = torch.rand(1, 3, 64, 96)
        feats = net.eval().encode(x)
        self.assertEqual([tuple(f.shape) for f in feats],
                         [(1, 64, 32, 48), (1, 64, 16, 24), (1, 96, 8, 12), (1, 128, 4, 6), (1, 128, 2, 3)])
        desc, dist = net(x, torch.rand(1, 3, 96, 64))
        self.assertEqual(tuple(desc.shape), (1, 64, 16, 24))
        self.assertTrue(torch.allclose(desc.norm(dim=1), torch.ones(1, 16, 24), atol=1e-5))
        net.train()
        self.assertFalse(any(m.training for m in net.encoder.modules() if isinstance(m, torch.nn.BatchNorm2d)))
        self.assertTrue(net.deepest[0][1].training, "the new stride-32 level's BatchNorm trains")
        self.assertTrue(net.projections[0][1].training, "so do the projections'")
        groups = parameter_groups(net, 0.1)
        encoder_ids = {id(p) for p in net.encoder.parameters()}
        slow = next(g for g in groups if g["lr_scale"] == 0.1)["params"]
        self.assertEqual({id(p) for p in slow}, encoder_ids, "only the ImageNet layers train slowly")
        self.assertTrue(all(id(p) not in encoder_ids for p in net.deepest.parameters()))
        with self.assertRaises(ValueError):
            CoamConfig(encoder="resnet50v2", widths=(16, 64, 96, 128, 128))  # the stem has 64 channels

    def test_missing_resnet_weights_are_a_clear_error(self):
        net = CoamNet(CoamConfig.for_encoder("resnet50v2"))
        with tempfile.TemporaryDirectory() as empty:
            with self.assertRaisesRegex(FileNotFoundError, "ResNet50 v2 ImageNet weights"):
                net.load_pretrained(empty)

    @unittest.skipUnless(os.path.isdir(RESNET50V2_WEIGHTS), "no ../shared/pretrained (ImageNet weights)")
    def test_resnet50v2_imagenet_weights_load_into_the_right_layers(self):
        net = CoamNet(CoamConfig.for_encoder("resnet50v2")).eval()
        self.assertEqual(net.load_pretrained(), 205)
        w = np.load(os.path.join(RESNET50V2_WEIGHTS, "resnetv24_stage3_conv18_weight.npy"))
        self.assertTrue(np.array_equal(net.encoder[3][-1].conv3.weight.detach().numpy(), w))
        # Each block's input has the per-channel means its first BatchNorm saw on ImageNet: true
        # only when every tensor sits in its own layer (a stage's block order included).
        img = shapes(192, 256, 7)
        x = (torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255 - net.mean) / net.std
        corr = []
        with torch.no_grad():
            x = net.encoder[0](x)
            for level in net.encoder[1:]:
                for block in level:
                    if isinstance(block, torch.nn.MaxPool2d):
                        x = block(x)
                        continue
                    corr.append(np.corrcoef(x.mean((0, 2, 3)).numpy(), block.bn1.running_mean.numpy())[0, 1])
                    x = block(x)
        # (On this synthetic image the correlations run 0.63-0.97; a tensor in the wrong layer gives ~0.)
        self.assertGreater(float(np.median(corr)), 0.6, corr)
        self.assertEqual(tuple(x.shape), (1, 1024, 12, 16))

    def test_missing_imagenet_weights_are_a_clear_error(self):
        net = CoamNet(CoamConfig.for_encoder("mobilenetv2"))
        with tempfile.TemporaryDirectory() as empty:
            with self.assertRaisesRegex(FileNotFoundError, "MobileNetV2 ImageNet weights"):
                net.load_pretrained(empty)

    @unittest.skipUnless(os.path.isdir(MOBILENETV2_WEIGHTS), "no ../shared/pretrained (ImageNet weights)")
    def test_imagenet_weights_load_into_the_right_layers(self):
        net = CoamNet(CoamConfig.for_encoder("mobilenetv2")).eval()
        self.assertEqual(net.load_pretrained(), 260)
        w = np.load(os.path.join(MOBILENETV2_WEIGHTS, "mobilenetv20_features_linearbottleneck16_conv2_weight.npy"))
        self.assertTrue(np.array_equal(net.encoder[4][-1].conv2.weight.detach().numpy(), w))
        # Each depthwise conv's output, on a photo-like image, has the per-channel means its
        # BatchNorm saw on ImageNet: true only when every tensor sits in its own layer.
        img = shapes(192, 256, 7)
        x = (torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255 - net.mean) / net.std
        blocks = [m for level in net.encoder for m in level]
        corr = []
        with torch.no_grad():
            for k, block in enumerate(blocks):
                if k > 0:
                    y = block.conv1(torch.nn.functional.relu6(block.bn0(block.conv0(x))))
                    corr.append(np.corrcoef(y.mean((0, 2, 3)).numpy(), block.bn1.running_mean.numpy())[0, 1])
                x = block(x)
        self.assertGreater(float(np.median(corr)), 0.8, corr)
        self.assertEqual(tuple(x.shape), (1, 320, 6, 8))


class CoAttentionWeights(unittest.TestCase):
    def test_weights_are_the_attention_forward_uses(self):
        torch.manual_seed(0)
        net = CoamNet(CoamConfig()).eval()
        attend = net.coattention[0]
        fa, fb = torch.randn(1, 96, 3, 4), torch.randn(1, 96, 5, 2)
        w = attend.weights(fa, fb)
        self.assertEqual(tuple(w.shape), (1, 12, 10))
        self.assertTrue(torch.allclose(w.sum(-1), torch.ones(1, 12), atol=1e-5))
        # forward's attended features are B's features under exactly these weights.
        with torch.no_grad():
            attended = torch.matmul(w, fb.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(1, 96, 3, 4)
            self.assertTrue(torch.allclose(attend(fa, fb), attend.fuse(torch.cat([fa, attended], dim=1)), atol=1e-6))
        # Row-major grids: position (y, x) of A is row y*w + x, and one position alone gives its row.
        self.assertTrue(torch.allclose(attend.weights(fa[:, :, 2:3, 1:2], fb)[0, 0], w[0, 2 * 4 + 1], atol=1e-6))


class PoseMonitor(unittest.TestCase):
    def test_pose_error_and_auc(self):
        rng = np.random.default_rng(0)
        X = np.c_[rng.uniform(-1, 1, (200, 2)), rng.uniform(4, 8, 200)]  # points in front of camera 1
        angle = math.radians(25)
        R = np.array([[math.cos(angle), 0, math.sin(angle)], [0, 1, 0], [-math.sin(angle), 0, math.cos(angle)]])
        t = np.array([-1.0, 0.1, 0.3]); t /= np.linalg.norm(t)
        K1 = np.array([[600.0, 0, 320], [0, 600, 240], [0, 0, 1]])
        K2 = np.array([[500.0, 0, 300], [0, 500, 250], [0, 0, 1]])
        project = lambda K, P: (P @ K.T)[:, :2] / (P @ K.T)[:, 2:]
        xa, xb = project(K1, X), project(K2, X @ R.T + t)
        self.assertLess(pose_error_deg(xa, xb, K1, K2, R, t), 0.5)
        R_wrong = np.eye(3)
        self.assertGreater(pose_error_deg(xa, xb, K1, K2, R_wrong, t), 20)
        self.assertEqual(pose_error_deg(xa[:5], xb[:5], K1, K2, R, t), math.inf)
        self.assertEqual(pose_auc([1, 2, 30, math.inf], (5, 10, 20)), [0.4, 0.45, 0.475])
        self.assertEqual(pose_auc([math.inf], (10,)), [0.0])


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
    def test_reference_blas_is_named_and_openblas_is_not(self):
        ref = "7f00-7f01 r-xp 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"
        fast = "7f00-7f01 r-xp 00000000 08:01 13 /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"
        self.assertEqual(reference_blas("7f00-7f01 rw-p 0 0 0\n" + ref), "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0")
        self.assertIsNone(reference_blas(fast))
        self.assertIsNone(reference_blas(""))

    def test_continuation_lr_warms_up_then_anneals_to_five_percent(self):
        base = 5e-4
        self.assertLess(continuation_lr(0, 0.0, base), base * 0.02)
        self.assertAlmostEqual(continuation_lr(99, 0.0, base), base)
        mids = [continuation_lr(1000, f, base) for f in np.linspace(0, 1, 11)]
        self.assertTrue(all(x >= y for x, y in zip(mids, mids[1:])), "decreasing over the run")
        self.assertAlmostEqual(mids[-1], 0.05 * base)
        self.assertAlmostEqual(continuation_lr(1000, 2.0, base), 0.05 * base, msg="clamped past the end")

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

class CompactCheckpointTest(unittest.TestCase):
    def test_compact_optimiser_state_resumes_adam(self):
        from coam.checkpoint import compact_optimiser_state, expand_optimiser_state
        torch.manual_seed(0)
        net = torch.nn.Linear(8, 4)
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(5):
            opt.zero_grad(); net(torch.randn(16, 8)).pow(2).sum().backward(); opt.step()
        full = opt.state_dict()
        compact = compact_optimiser_state(full)
        self.assertTrue(all("exp_avg" not in s for s in compact["state"].values()))
        self.assertTrue(all(s["exp_avg_sq"].dtype == torch.bfloat16 for s in compact["state"].values()))
        fresh = torch.optim.Adam(net.parameters(), lr=1e-2)
        fresh.load_state_dict(expand_optimiser_state(compact))
        for key, s in fresh.state_dict()["state"].items():
            ref = full["state"][key]
            self.assertEqual(float(s["step"]), float(ref["step"]))
            self.assertTrue(torch.equal(s["exp_avg"], torch.zeros_like(ref["exp_avg"])))
            torch.testing.assert_close(s["exp_avg_sq"], ref["exp_avg_sq"], rtol=1e-2, atol=1e-12)
        # A full state passes through, and the resumed optimiser still steps.
        self.assertIs(expand_optimiser_state(full), full)
        fresh.zero_grad(); net(torch.randn(16, 8)).pow(2).sum().backward(); fresh.step()


if __name__ == "__main__":
    unittest.main()

