"""Training pairs from real multi-view video: frames of one sequence circling an object.

../shared/data/multiview/co3d holds CO3D sequences (200 frames each, a hand-held phone going round
an object), no poses, and an `intrinsics.txt` whose focal lengths differ by the frames' aspect ratio
(fx/fy = 1.78: NDC-converted values, not square pixels), so nothing here trusts K. Correspondences
come from a fit that needs none: RootSIFT at the frames' stored resolution, ratio test 0.8, mutual
nearest neighbours, then the inliers of a MAGSAC fundamental matrix at 1 px. Frames a few apart
overlap heavily; farther pairs (a wider turn around the object) are kept only when they pass
every check:

- at least `min_inliers` inliers and an inlier share of at least `min_inlier_share` of the
  mutual matches (a wrong fit on a wide pair keeps a small share);
- the inliers' median symmetric epipolar distance at most `max_median_px`.

Each kept pair goes in both directions into the same list `realpairs.build_real_pairs` makes
(index A, index B, pts_a, pts_b, relative scale), so `realpairs.make_real_pair` crops it. The
derivation takes minutes on a CPU; its result is cached (see `cached_multiview_pairs`).
"""
from __future__ import annotations

import glob
import hashlib
import json
import os

import cv2
import numpy as np

from .realpairs import mutual_ratio_matches, relative_scale

# Frame gaps tried from every `anchor_every`-th frame: neighbours up to a wide turn.
DEFAULT_GAPS = (3, 8, 16, 30)


def read_intrinsics(root: str) -> dict[str, np.ndarray]:
    """`intrinsics.txt`: one line per sequence, `name fx,fy cx,cy` (pixels of the stored frames)."""
    path = os.path.join(root, "intrinsics.txt")
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            fx, fy = (float(v) for v in parts[1].split(","))
            cx, cy = (float(v) for v in parts[2].split(","))
            out[parts[0]] = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], np.float64)
    if not out:
        raise ValueError(f"no intrinsics in {path}")
    return out


def list_sequences(root: str) -> list[tuple[str, list[str], np.ndarray]]:
    """(name, sorted frame paths, K) of each sequence that has intrinsics and frames."""
    intrinsics = read_intrinsics(root)
    out = []
    for name in sorted(intrinsics):
        frames = sorted(p for ext in ("jpg", "jpeg", "png") for p in glob.glob(os.path.join(root, name, f"*.{ext}")))
        if frames:
            out.append((name, frames, intrinsics[name]))
    return out


def symmetric_epipolar_px(F: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """Mean of the two point-to-epipolar-line distances, per correspondence (pixels)."""
    p1 = np.c_[pa, np.ones(len(pa))]
    p2 = np.c_[pb, np.ones(len(pb))]
    l2, l1 = p1 @ F.T, p2 @ F
    r = np.abs((l2 * p2).sum(1))
    return (r / np.linalg.norm(l2[:, :2], axis=1) + r / np.linalg.norm(l1[:, :2], axis=1)) / 2


def frame_features(path: str, max_side: int, features: int = 4000, contrast: float = 0.01):
    """RootSIFT of a frame detected at its stored resolution (CO3D frames are soft: at the training
    size and SIFT's default contrast threshold a frame of the apple gives ~60 keypoints, at full
    size and 0.01 ~700), with the keypoints in the pixels of the frame resized to max_side."""
    gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise ValueError(f"cannot read frame {path}")
    s = min(1.0, max_side / max(gray.shape))
    kps, desc = cv2.SIFT_create(features, contrastThreshold=contrast).detectAndCompute(gray, None)
    if desc is None or len(kps) < 2:
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    desc = np.sqrt(desc / (desc.sum(1, keepdims=True) + 1e-7)).astype(np.float32)
    return ((np.float32([k.pt for k in kps]) + 0.5) * s - 0.5).astype(np.float32), desc


def verified_correspondences(fa, fb, threshold: float = 1.0, min_inliers: int = 40,
                             min_inlier_share: float = 0.3, max_median_px: float = 1.0):
    """The correspondences of two frames that survive the fit and its checks, with what was measured:
    (pts_a, pts_b, facts) where facts has matches, inliers, share, median_px and `kept`; the points
    are empty when the pair is rejected."""
    pa, pb = mutual_ratio_matches(fa, fb)
    facts = {"matches": len(pa), "inliers": 0, "share": 0.0, "median_px": None, "kept": False}
    empty = np.zeros((0, 2), np.float32)
    if len(pa) < max(15, min_inliers):
        return empty, empty, facts
    cv2.setRNGSeed(0)
    F, mask = cv2.findFundamentalMat(pa, pb, cv2.USAC_MAGSAC, threshold, 0.999, 10000)
    if F is None or F.shape != (3, 3) or mask is None:
        return empty, empty, facts
    inl = mask.ravel() > 0
    facts["inliers"], facts["share"] = int(inl.sum()), float(inl.mean())
    if inl.sum() < 8:
        return empty, empty, facts
    facts["median_px"] = float(np.median(symmetric_epipolar_px(F, pa[inl], pb[inl])))
    facts["kept"] = (facts["inliers"] >= min_inliers and facts["share"] >= min_inlier_share
                     and facts["median_px"] <= max_median_px)
    if not facts["kept"]:
        return empty, empty, facts
    return pa[inl], pb[inl], facts


def derive_pairs(root: str, max_side: int = 640, gaps=DEFAULT_GAPS, anchor_every: int = 2, features: int = 4000,
                 log=print):
    """Every sequence's frame pairs (i, i+gap) for anchors i = 0, anchor_every, ..., fitted and checked.
    Returns (frame paths, pairs [(frame A, frame B, pts_a, pts_b, scale)] in both directions with
    points in the frames' pixels at long side max_side, per-pair facts)."""
    paths, pairs, facts = [], [], []
    for name, frames, K in list_sequences(root):
        first = len(paths)
        feats = [frame_features(p, max_side, features) for p in frames]
        paths.extend(frames)
        kept = 0
        for i in range(0, len(frames), anchor_every):
            for gap in gaps:
                j = i + gap
                if j >= len(frames):
                    continue
                pa, pb, f = verified_correspondences(feats[i], feats[j])
                facts.append({"sequence": name, "a": i, "b": j, "gap": gap, **f})
                if f["kept"]:
                    s = relative_scale(pa, pb)
                    pairs.append((first + i, first + j, pa, pb, s))
                    pairs.append((first + j, first + i, pb, pa, 1.0 / s))
                    kept += 1
        log(f"co3d {name}: {len(frames)} frames, {kept} pairs kept")
    return paths, pairs, facts


def summarise(facts: list[dict]) -> dict:
    """Per frame gap: pairs tried and kept, correspondences per kept pair, their inlier share and
    median epipolar distance."""
    out = {}
    for gap in sorted({f["gap"] for f in facts}):
        tried = [f for f in facts if f["gap"] == gap]
        kept = [f for f in tried if f["kept"]]
        med = lambda key, xs: round(float(np.median([f[key] for f in xs])), 3) if xs else None
        out[str(gap)] = {
            "tried": len(tried), "kept": len(kept),
            "correspondences": int(sum(f["inliers"] for f in kept)),
            "medianCorrespondences": med("inliers", kept),
            "medianInlierShare": med("share", kept),
            "medianEpipolarPx": med("median_px", kept),
        }
    return out


def cached_multiview_pairs(root: str, cache_dir: str, log=print, **options):
    """`derive_pairs`, cached in `cache_dir` (an .npz keyed by the frames and options) with its
    summary beside it (.json)."""
    sequences = list_sequences(root)
    key = json.dumps({"frames": [(n, [os.path.basename(f) for f in fr], K.tolist()) for n, fr, K in sequences],
                      "options": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(options.items())}})
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    path = os.path.join(cache_dir, f"co3d-pairs-{digest}.npz")
    if os.path.exists(path):
        z = np.load(path, allow_pickle=False)
        paths = [os.path.join(root, p) for p in z["paths"].tolist()]
        counts = z["counts"]
        ends = np.cumsum(counts)
        pts = z["points"]
        pairs = [(int(a), int(b), pts[e - c:e, :2].copy(), pts[e - c:e, 2:].copy(), float(s))
                 for (a, b), s, c, e in zip(z["index"], z["scale"], counts, ends)]
        with open(path[:-4] + ".json") as f:
            summary = json.load(f)
        return paths, pairs, summary
    paths, pairs, facts = derive_pairs(root, log=log, **options)
    summary = summarise(facts)
    os.makedirs(cache_dir, exist_ok=True)
    rel = np.array([os.path.relpath(p, root) for p in paths])
    counts = np.array([len(p[2]) for p in pairs], np.int64)
    points = (np.concatenate([np.concatenate([p[2], p[3]], 1) for p in pairs]).astype(np.float32)
              if pairs else np.zeros((0, 4), np.float32))
    np.savez(path + ".tmp.npz", paths=rel, index=np.array([(p[0], p[1]) for p in pairs], np.int64).reshape(-1, 2),
             scale=np.array([p[4] for p in pairs], np.float64), counts=counts, points=points)
    os.replace(path + ".tmp.npz", path)
    with open(path[:-4] + ".json", "w") as f:
        json.dump(summary, f, indent=1)
    return paths, pairs, summary
