"""Synthetic training pairs: one photo, two views related by a known homography.

We have no MegaDepth, so supervision comes from geometry we control: a crop of a photo (A) and
the same scene seen through a strong random homography (B: perspective, rotation, scale 0.5-2),
each with its own photometric change (brightness, contrast, gamma, blur, noise, JPEG).
Ground truth: H_ab maps A's pixels to B's. A point of A is a valid correspondence only if its
source pixel lies inside the photo and it lands inside B (out-of-view is masked).
"""
from __future__ import annotations

import glob
import math
import os

import cv2
import numpy as np
import torch


def list_images(root: str) -> list[str]:
    paths = sorted(p for ext in ("jpg", "jpeg", "png") for p in glob.glob(os.path.join(root, f"*.{ext}")))
    if not paths:
        raise FileNotFoundError(f"no training images in {root}")
    return paths


def group_of(path: str) -> str:
    """Training photos are named `<group>__<name>.jpg` (../shared/data/SOURCES.md)."""
    name = os.path.basename(path)
    return name.split("__", 1)[0] if "__" in name else ""


def group_weights(paths: list[str], power: float = 0.5) -> np.ndarray:
    """Sampling probability per photo: each group gets a share proportional to (its size)^power,
    split evenly among its photos. power 1 samples photos uniformly; 0.5 keeps the 500 small
    BSDS500 nature shots from drowning the buildings and street scenes that matching is about."""
    groups = [group_of(p) for p in paths]
    counts = {g: groups.count(g) for g in set(groups)}
    w = np.array([counts[g] ** power / counts[g] for g in groups], dtype=np.float64)
    return w / w.sum()


def load_images(paths: list[str], max_side: int = 640) -> list[np.ndarray]:
    """Photos as RGB arrays, in the order of `paths` (an unreadable file is an error)."""
    images = []
    for p in paths:
        img = cv2.imread(p, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"cannot read training photo {p}")
        h, w = img.shape[:2]
        s = max_side / max(h, w)
        if s < 1:
            img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        images.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    return images


def square_corners(cx: float, cy: float, side: float) -> np.ndarray:
    r = side / 2
    return np.float32([[cx - r, cy - r], [cx + r, cy - r], [cx + r, cy + r], [cx - r, cy + r]])


def random_views(h: int, w: int, size: int, rng: np.random.Generator,
                 scale_range: float = 2.0, full_rotation: float = 0.15, max_angle: float = 0.6):
    """Homographies photo->A and photo->B. A is a mild crop; B is A's region rotated (any angle for
    a share full_rotation of pairs, else within +-max_angle rad), scaled (log-uniform in
    [1/scale_range, scale_range] relative to A) and put in perspective."""
    # Crops of small photos stay large enough not to be blown up much beyond their resolution.
    low = max(0.45, min(0.85, 0.75 * size / min(h, w)))
    side = min(h, w) * rng.uniform(low, 0.85)
    cx = rng.uniform(side / 2, w - side / 2)
    cy = rng.uniform(side / 2, h - side / 2)
    src_a = square_corners(cx, cy, side)
    dst = np.float32([[0, 0], [size - 1, 0], [size - 1, size - 1], [0, size - 1]])
    H_a = cv2.getPerspectiveTransform(src_a, dst)

    # B: the region of the photo that B shows, expressed as a transformed square.
    scale = math.exp(rng.uniform(-math.log(scale_range), math.log(scale_range)))  # >1: B zooms in
    angle = rng.uniform(-math.pi, math.pi) if rng.random() < full_rotation else rng.uniform(-max_angle, max_angle)
    shift = rng.uniform(-0.2, 0.2, size=2) * side
    corners = square_corners(0, 0, side / scale)
    c, s = math.cos(angle), math.sin(angle)
    corners = corners @ np.float32([[c, s], [-s, c]])
    corners += rng.uniform(-0.15, 0.15, size=(4, 2)).astype(np.float32) * (side / scale)  # perspective
    src_b = (corners + np.float32([cx, cy]) + shift).astype(np.float32)
    H_b = cv2.getPerspectiveTransform(src_b, dst)
    return H_a, H_b


def photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = img.astype(np.float32) / 255.0
    x = x * rng.uniform(0.7, 1.3) + rng.uniform(-0.15, 0.15)  # contrast, brightness
    x = np.clip(x, 0, 1) ** rng.uniform(0.7, 1.5)  # gamma
    x = x * rng.uniform(0.9, 1.1, size=3).astype(np.float32)  # colour cast
    if rng.random() < 0.3:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < 0.5:
        x = x + rng.normal(0, rng.uniform(0.005, 0.03), size=x.shape).astype(np.float32)
    x = (np.clip(x, 0, 1) * 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", x, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 95))])
        x = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return x


def make_pair(img: np.ndarray, size: int, rng: np.random.Generator, photometric_change: bool = True, **views):
    """Returns A, B (uint8 HxWx3), H_ab (3x3 float64, A's pixels to B's) and the valid masks of A's
    and B's pixels (those that came from inside the photo). `photometric_change=False` leaves the
    pixels as warped (for tests of the geometry)."""
    h, w = img.shape[:2]
    H_a, H_b = random_views(h, w, size, rng, **views)
    a = cv2.warpPerspective(img, H_a, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    b = cv2.warpPerspective(img, H_b, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    inside = np.full((h, w), 255, np.uint8)
    valid_b = cv2.warpPerspective(inside, H_b, (size, size), flags=cv2.INTER_NEAREST) > 0
    valid_a = cv2.warpPerspective(inside, H_a, (size, size), flags=cv2.INTER_NEAREST) > 0
    H_ab = H_b.astype(np.float64) @ np.linalg.inv(H_a.astype(np.float64))
    if rng.random() < 0.5:  # either image may be the harder view
        a, b, valid_a, valid_b, H_ab = b, a, valid_b, valid_a, np.linalg.inv(H_ab)
    if photometric_change:
        a, b = photometric(a, rng), photometric(b, rng)
    return a, b, H_ab / H_ab[2, 2], valid_a, valid_b


class PairSampler:
    """Seeded stream of batches: A, B as float tensors [N,3,S,S] in [0,1], H_ab [N,3,3],
    valid masks [N,S,S]."""

    def __init__(self, images: list[np.ndarray], size: int, seed: int,
                 scale_range: float = 2.0, full_rotation: float = 0.15, weights: np.ndarray | None = None,
                 real_pairs: list | None = None, real_share: float = 0.0, max_angle: float | None = None,
                 real_images: list[np.ndarray] | None = None, real_weights: np.ndarray | None = None):
        self.images = images
        self.weights = weights
        self.views = {"scale_range": scale_range, "full_rotation": full_rotation}
        # None keeps each source's own default (synthetic +-0.6 rad, real pairs +-0.4 rad).
        self.max_angle = max_angle
        if max_angle is not None:
            self.views["max_angle"] = max_angle
        self.size = size
        self.rng = np.random.default_rng(seed)
        # Pairs of two photos of one scene with pseudo correspondences (coam.realpairs, coam.multiview);
        # each item of a batch is one of them with probability real_share. Their indices point into
        # real_images (default: the training photos), drawn with probabilities real_weights
        # (default: uniform).
        self.real_pairs = real_pairs or []
        self.real_share = real_share if self.real_pairs else 0.0
        self.real_images = real_images if real_images is not None else images
        self.real_weights = real_weights

    def _real(self):
        from .realpairs import make_real_pair  # noqa: PLC0415 (realpairs imports this module)
        if self.real_weights is None:
            k = int(self.rng.integers(len(self.real_pairs)))
        else:
            k = int(self.rng.choice(len(self.real_pairs), p=self.real_weights))
        i, j, pa, pb, scale = self.real_pairs[k]
        return make_real_pair(self.real_images[i], self.real_images[j], pa, pb, scale, self.size, self.rng,
                              full_rotation=self.views["full_rotation"],
                              **({} if self.max_angle is None else {"max_angle": self.max_angle}))

    def batch(self, n: int):
        """A, B [N,3,S,S] in [0,1]; H_ab [N,3,3]; valid masks [N,S,S]; correspondences [N,P,4]
        (xA, yA, xB, yB in fed pixels, zero-padded) and their counts [N]. An item with a count of
        0 is a synthetic pair supervised by H_ab; any other is a real pair supervised by its
        correspondences (its H_ab is the identity and unused)."""
        A, B, H, VA, VB, C = [], [], [], [], [], []
        full = np.ones((self.size, self.size), bool)
        for _ in range(n):
            real = self._real() if self.real_share and self.rng.random() < self.real_share else None
            if real is not None:
                a, b, corr = real
                A.append(a); B.append(b); H.append(np.eye(3)); VA.append(full); VB.append(full); C.append(corr)
                continue
            if self.weights is None:
                img = self.images[int(self.rng.integers(len(self.images)))]
            else:
                img = self.images[int(self.rng.choice(len(self.images), p=self.weights))]
            a, b, h, va, vb = make_pair(img, self.size, self.rng, **self.views)
            A.append(a); B.append(b); H.append(h); VA.append(va); VB.append(vb); C.append(np.zeros((0, 4), np.float32))
        to_t = lambda xs: torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float() / 255.0
        counts = [len(c) for c in C]
        corr = np.zeros((n, max(1, max(counts)), 4), np.float32)
        for k, c in enumerate(C):
            corr[k, : len(c)] = c
        return (to_t(A), to_t(B), torch.from_numpy(np.stack(H)).float(),
                torch.from_numpy(np.stack(VA)), torch.from_numpy(np.stack(VB)),
                torch.from_numpy(corr), torch.tensor(counts, dtype=torch.long))


class PairStream(torch.utils.data.IterableDataset):
    """Endless batches from DataLoader workers (for a GPU, which one process cannot feed: a pair
    costs ~9 ms of CPU). Worker w draws from its own PairSampler seeded with (seed, w): seeded,
    but a resumed run continues a different stream, not the same one."""

    def __init__(self, images: list[np.ndarray], size: int, seed: int, batch: int, **sampler_kwargs):
        super().__init__()
        self.images, self.size, self.seed, self.batch, self.kwargs = images, size, seed, batch, sampler_kwargs

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker = info.id if info is not None else 0
        sampler = PairSampler(self.images, self.size, self.seed * 1009 + worker, **self.kwargs)
        while True:
            yield sampler.batch(self.batch)
