#!/usr/bin/env python3
"""SIFT baseline for `coam eval --matches`: writes OpenCV SIFT matches for every pair of an
evaluation folder in the MatchesFile layout, so SIFT is scored by exactly the same code as CoAM.

    /usr/bin/python3 models/baselines/sift_matches.py ../shared/data/val out/sift
    npx coam eval ../shared/data/val --matches out/sift

Per pair (1, k): both images resized so the long side is 640 (as coam feeds them; INTER_AREA),
SIFT (OpenCV defaults, at most --max-features keypoints), Lowe's ratio test at 0.8 in both
directions plus mutual nearest neighbours, keypoints scaled back to ORIGINAL pixels with the
pixel-centre convention x_orig = (x_fed + 0.5) / scale - 0.5, sorted best first with
score = 1 - ratio (descending). Output: OUT/<group>/<name>/1_<k>.json.
"""
import argparse
import json
import os
import re
import sys
import time

import cv2
import numpy as np

GROUPS = ("homography", "epipolar", "pose")
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "ppm", "pgm", "pnm")


def find_image(directory, stem):
    files = os.listdir(directory)
    for ext in IMAGE_EXTENSIONS:
        for f in files:
            if f.lower() == f"{stem}.{ext}":
                return os.path.join(directory, f)
    return None


def pairs_of(data_dir):
    """(group, name, k, path1, pathk) for every pair, in the layout coam eval reads."""
    for group in GROUPS:
        gdir = os.path.join(data_dir, group)
        if not os.path.isdir(gdir):
            print(f"note: {group}: skipped (no {group}/ folder)", file=sys.stderr)
            continue
        for name in sorted(d for d in os.listdir(gdir) if os.path.isdir(os.path.join(gdir, d))):
            d = os.path.join(gdir, name)
            p1 = find_image(d, "1")
            if p1 is None:
                continue
            if group == "homography":
                ks = sorted(int(m.group(1)) for m in (re.match(r"^H_1_(\d+)$", f) for f in os.listdir(d)) if m)
            else:
                ks = [2]
            for k in ks:
                pk = find_image(d, str(k))
                if pk is not None:
                    yield group, name, k, p1, pk


def read_and_resize(path, long_side):
    # IMREAD_COLOR applies EXIF orientation, as coam's decoder does.
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise RuntimeError(f"cannot read {path}")
    h, w = img.shape[:2]
    s = long_side / max(w, h)
    fw, fh = max(1, round(w * s)), max(1, round(h * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    fed = cv2.resize(img, (fw, fh), interpolation=interp)
    grey = cv2.cvtColor(fed, cv2.COLOR_BGR2GRAY)
    return grey, (w, h), (fw / w, fh / h)


def sift_matches(grey1, grey2, ratio, max_features):
    sift = cv2.SIFT_create(nfeatures=max_features)
    k1, d1 = sift.detectAndCompute(grey1, None)
    k2, d2 = sift.detectAndCompute(grey2, None)
    if d1 is None or d2 is None or len(k1) < 2 or len(k2) < 2:
        return []
    bf = cv2.BFMatcher(cv2.NORM_L2)
    fwd = bf.knnMatch(d1, d2, k=2)
    bwd = bf.knnMatch(d2, d1, k=2)
    best_bwd = {}
    for m in bwd:
        if len(m) == 2 and m[0].distance < ratio * m[1].distance:
            best_bwd[m[0].queryIdx] = m[0].trainIdx
    out = []
    for m in fwd:
        if len(m) < 2:
            continue
        a, b = m
        if a.distance >= ratio * b.distance:
            continue
        if best_bwd.get(a.trainIdx) != a.queryIdx:  # mutual nearest neighbour
            continue
        r = a.distance / max(b.distance, 1e-12)
        out.append((r, a.distance, k1[a.queryIdx].pt, k2[a.trainIdx].pt))
    out.sort(key=lambda t: (t[0], t[1]))
    return out


def to_original(pt, scale):
    return [round((pt[0] + 0.5) / scale[0] - 0.5, 3), round((pt[1] + 0.5) / scale[1] - 0.5, 3)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--long-side", type=int, default=640)
    ap.add_argument("--ratio", type=float, default=0.8)
    ap.add_argument("--max-features", type=int, default=8000)
    args = ap.parse_args()
    if not os.path.isdir(args.data_dir):
        print(f"sift_matches: DATA_DIR does not exist: {args.data_dir}", file=sys.stderr)
        return 2
    cv2.setRNGSeed(0)
    n = 0
    times = []
    for group, name, k, p1, pk in pairs_of(args.data_dir):
        t0 = time.perf_counter()
        g1, size1, s1 = read_and_resize(p1, args.long_side)
        g2, size2, s2 = read_and_resize(pk, args.long_side)
        matches = sift_matches(g1, g2, args.ratio, args.max_features)
        ms = (time.perf_counter() - t0) * 1000
        times.append(ms)
        doc = {
            "imageA": {"path": os.path.relpath(p1, args.data_dir), "width": size1[0], "height": size1[1]},
            "imageB": {"path": os.path.relpath(pk, args.data_dir), "width": size2[0], "height": size2[1]},
            "model": {"name": "opencv-sift-ratio%.2f-mnn" % args.ratio, "version": cv2.__version__},
            "longSide": args.long_side,
            "timings": {"totalMs": round(ms, 1)},
            "matches": [
                {"xyA": to_original(a, s1), "xyB": to_original(b, s2), "score": round(1.0 - r, 6)}
                for r, _d, a, b in matches
            ],
        }
        out = os.path.join(args.out_dir, group, name, f"1_{k}.json")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(doc, f)
            f.write("\n")
        n += 1
        print(f"{group}/{name}/1_{k}: {len(doc['matches'])} matches, {ms:.0f} ms")
    med = float(np.median(times)) if times else float("nan")
    print(f"wrote {n} pairs to {args.out_dir} (median {med:.0f} ms per pair)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
