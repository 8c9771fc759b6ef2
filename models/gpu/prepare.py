#!/usr/bin/env python3
"""Copy the training photos for a training machine that cannot see ../shared: downscaled JPEGs
in gpu_data/train/ (git-ignored), under a size budget so they are quick to copy along.

    /usr/bin/python3 models/gpu/prepare.py            # then, there: bash models/gpu/run.sh

Same file names as ../shared/data/train (the groups in them drive --group-power); long side at
most 512 (train.py loads at most 640); the JPEG quality is lowered until the budget holds (834
photos: 24.5 MiB at quality 70).
"""
from __future__ import annotations

import argparse
import os
import sys

import cv2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from coam.data import list_images  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "train"))
    p.add_argument("--out", default=os.path.join(ROOT, "gpu_data", "train"))
    p.add_argument("--budget-mib", type=float, default=25.0,
                   help="total size of the copies")
    p.add_argument("--long-side", type=int, default=512)
    args = p.parse_args(argv)
    if not os.path.isdir(args.data):
        print(f"prepare: no training photos at {args.data}", file=sys.stderr)
        return 2
    paths = list_images(args.data)
    photos = []
    for path in paths:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            print(f"prepare: cannot read {path}", file=sys.stderr)
            return 2
        h, w = img.shape[:2]
        s = args.long_side / max(h, w)
        if s < 1:
            img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        photos.append((os.path.splitext(os.path.basename(path))[0] + ".jpg", img))
    for quality in (90, 85, 80, 75, 70, 60):
        blobs = [(name, cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()) for name, img in photos]
        total = sum(len(b) for _, b in blobs) / 2**20
        if total <= args.budget_mib:
            break
    else:
        print(f"prepare: {total:.1f} MiB even at quality {quality}; raise --budget-mib or lower --long-side", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    for name, blob in blobs:
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(blob)
    print(f"wrote {len(blobs)} photos to {os.path.relpath(args.out, ROOT)}: {total:.1f} MiB at JPEG quality {quality}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
