"""Training pairs with real geometry: two different photos of one scene.

A few groups of ../shared/data/train are several photos of the same place (the Image Matching
Challenge samples of Sacré-Cœur, London Bridge, Piazza San Marco, St Paul's, the US Capitol, and
TUM RGB-D frames). They carry what a synthetic homography cannot: 3D structure, parallax,
occlusion, other days and cameras. They have no poses, so their correspondences are pseudo
ground truth from a classical matcher: RootSIFT, ratio test 0.8, mutual nearest neighbours, then
the inliers of a MAGSAC fundamental matrix at 1 px. Those are sparse (tens to hundreds per pair)
and biased towards what SIFT can match, but each one is a real correspondence across a real
viewpoint change.

`make_real_pair` crops both photos around a shared anchor correspondence (B's crop scaled by the
pair's relative scale, then rotated and jittered like a synthetic view) and returns the
correspondences that land inside both crops, in fed pixels.
"""
from __future__ import annotations

import collections
import itertools
import math
import os

import cv2
import numpy as np

from .data import group_of, photometric, square_corners

# Groups whose photos show one scene (a scene per name prefix for the phototourism samples).
MULTI_VIEW_GROUPS = ("sacrecoeur", "freiburg", "phototourism")


def scene_of(path: str) -> str | None:
    group = group_of(path)
    if group not in MULTI_VIEW_GROUPS:
        return None
    if group == "phototourism":
        # phototourism__<scene>_<id>_<id>.jpg
        name = os.path.splitext(os.path.basename(path))[0].split("__", 1)[1]
        return group + "/" + name.rsplit("_", 2)[0]
    return group


def rootsift(gray: np.ndarray, features: int = 4000):
    sift = cv2.SIFT_create(features)
    kps, desc = sift.detectAndCompute(gray, None)
    if desc is None or len(kps) < 2:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    desc = np.sqrt(desc / (desc.sum(1, keepdims=True) + 1e-7)).astype(np.float32)
    return np.float32([k.pt for k in kps]), desc


def mutual_ratio_matches(fa, fb, ratio: float = 0.8):
    """RootSIFT matches that pass the ratio test and are mutual nearest neighbours: (pts_a, pts_b)."""
    (ka, da), (kb, db) = fa, fb
    empty = np.zeros((0, 2), np.float32)
    if len(ka) < 8 or len(kb) < 8:
        return empty, empty
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    knn = matcher.knnMatch(da, db, k=2)
    good = [m[0] for m in knn if len(m) == 2 and m[0].distance < ratio * m[1].distance]
    back = {m.queryIdx: m.trainIdx for m in matcher.match(db, da)}
    good = [m for m in good if back.get(m.trainIdx) == m.queryIdx]
    if not good:
        return empty, empty
    return ka[[m.queryIdx for m in good]], kb[[m.trainIdx for m in good]]


def pseudo_correspondences(img_a: np.ndarray, img_b: np.ndarray, features=None, ratio: float = 0.8,
                           threshold: float = 1.0):
    """Correspondences (pts_a [P,2], pts_b [P,2], pixels of the given RGB images): RootSIFT,
    ratio test, mutual nearest neighbours, inliers of a MAGSAC fundamental matrix."""
    ka, da = features[0] if features else rootsift(cv2.cvtColor(img_a, cv2.COLOR_RGB2GRAY))
    kb, db = features[1] if features else rootsift(cv2.cvtColor(img_b, cv2.COLOR_RGB2GRAY))
    empty = np.zeros((0, 2), np.float32)
    pa, pb = mutual_ratio_matches((ka, da), (kb, db), ratio)
    if len(pa) < 15:
        return empty, empty
    cv2.setRNGSeed(0)
    _, mask = cv2.findFundamentalMat(pa, pb, cv2.USAC_MAGSAC, threshold, 0.999, 10000)
    if mask is None:
        return empty, empty
    keep = mask.ravel() > 0
    return pa[keep], pb[keep]


def relative_scale(pa: np.ndarray, pb: np.ndarray, rng: np.random.Generator | None = None) -> float:
    """How much larger the scene looks in B than in A: the median ratio of distances between
    correspondences (robust to a few outliers)."""
    rng = rng or np.random.default_rng(0)
    n = len(pa)
    i, j = rng.integers(n, size=(2, min(2000, n * n)))
    da = np.linalg.norm(pa[i] - pa[j], axis=1)
    db = np.linalg.norm(pb[i] - pb[j], axis=1)
    ok = (da > 8) & (db > 8)
    return float(np.median(db[ok] / da[ok])) if ok.any() else 1.0


def build_real_pairs(paths: list[str], images: list[np.ndarray], min_inliers: int = 30):
    """Every pair of photos of one scene with at least `min_inliers` pseudo correspondences, in
    both directions: a list of (index A, index B, pts_a, pts_b, scale of B relative to A)."""
    scenes: dict[str, list[int]] = collections.defaultdict(list)
    for i, p in enumerate(paths):
        s = scene_of(p)
        if s is not None:
            scenes[s].append(i)
    feats = {i: rootsift(cv2.cvtColor(images[i], cv2.COLOR_RGB2GRAY)) for idx in scenes.values() for i in idx}
    pairs = []
    for idx in scenes.values():
        for i, j in itertools.combinations(idx, 2):
            pa, pb = pseudo_correspondences(images[i], images[j], (feats[i], feats[j]))
            if len(pa) < min_inliers:
                continue
            s = relative_scale(pa, pb)
            pairs.append((i, j, pa, pb, s))
            pairs.append((j, i, pb, pa, 1.0 / s))
    return pairs


def crop_homography(cx: float, cy: float, side: float, angle: float, size: int) -> np.ndarray:
    """Photo -> fed pixels of a square crop of `side` px centred on (cx, cy), rotated by angle."""
    corners = square_corners(0, 0, side)
    c, s = math.cos(angle), math.sin(angle)
    corners = corners @ np.float32([[c, s], [-s, c]]) + np.float32([cx, cy])
    dst = np.float32([[0, 0], [size - 1, 0], [size - 1, size - 1], [0, size - 1]])
    return cv2.getPerspectiveTransform(corners.astype(np.float32), dst).astype(np.float64)


def apply_h(H: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.concatenate([pts, np.ones((len(pts), 1))], 1) @ H.T
    return (p[:, :2] / p[:, 2:]).astype(np.float32)


def make_real_pair(img_a: np.ndarray, img_b: np.ndarray, pa: np.ndarray, pb: np.ndarray, scale: float,
                   size: int, rng: np.random.Generator, photometric_change: bool = True,
                   full_rotation: float = 0.15, max_angle: float = 0.4, min_points: int = 12, tries: int = 8):
    """Crops of two photos of one scene around a shared correspondence. Returns A, B (uint8
    size x size x 3) and the correspondences inside both crops as [P,4] float32 (xA, yA, xB, yB in
    fed pixels), or None when no crop keeps `min_points` of them."""
    h, w = img_a.shape[:2]
    hb, wb = img_b.shape[:2]
    low = max(0.45, min(0.85, 0.75 * size / min(h, w)))  # as data.random_views: small photos are not blown up
    for _ in range(tries):
        k = int(rng.integers(len(pa)))
        side_a = min(h, w) * rng.uniform(low, 0.85)
        # The anchor sits anywhere in A's crop but its central 70 %; B's crop frames the same
        # region at B's scale, shifted and rotated like a synthetic view.
        off = rng.uniform(-0.35, 0.35, size=2) * side_a
        ca = np.clip(pa[k] + off, side_a / 2, np.float32([w, h]) - side_a / 2)  # A's crop stays in the photo
        off = ca - pa[k]
        side_b = side_a * scale * math.exp(rng.uniform(-0.2, 0.2))
        if side_b > 1.2 * min(hb, wb) or side_b < 64:
            continue
        angle = rng.uniform(-math.pi, math.pi) if rng.random() < full_rotation else rng.uniform(-max_angle, max_angle)
        cb = pb[k] + off * scale + rng.uniform(-0.15, 0.15, size=2) * side_b
        H_a = crop_homography(ca[0], ca[1], side_a, 0.0, size)
        H_b = crop_homography(cb[0], cb[1], side_b, angle, size)
        xa, xb = apply_h(H_a, pa), apply_h(H_b, pb)
        inside = np.all((xa >= 0) & (xa <= size - 1) & (xb >= 0) & (xb <= size - 1), axis=1)
        if inside.sum() < min_points:
            continue
        a = cv2.warpPerspective(img_a, H_a, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        b = cv2.warpPerspective(img_b, H_b, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        if photometric_change:
            a, b = photometric(a, rng), photometric(b, rng)
        return a, b, np.concatenate([xa[inside], xb[inside]], 1)
    return None
