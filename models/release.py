#!/usr/bin/env python3
"""Release trained weights as the bundled model, with figures measured the way the card quotes them.

    /usr/bin/python3 models/release.py                       # models/checkpoints/v2-mnv2/latest.pt
    /usr/bin/python3 models/release.py --checkpoint models/checkpoints/main/latest.pt   # the 0.1 series

Steps (each prints what it runs):
  1. export.py --fp16: models/coam.onnx, the encoder/decoder split, the attention graph, coam.json,
     coam.pt, fixtures
     (weights stored as float16, computed in float32; --fp32 keeps them float32)
  2. `npx coam eval <val>`                     the model, conditioned on the other image, with the
                                               default test-time views (`auto`: more views only when
                                               the upright matches do not hold together, the turn
                                               chosen by half-size probes)
  2b. `npx coam eval <val> --search full`     the exhaustive views (every coarse view when the
                                               upright check fails, fine views for every pair)
  3. `npx coam eval <val> --search off`        the upright view alone: what the network does
  4. `npx coam eval <val> --search off --self-condition`   the conditioning ablation (vs 3)
  4b. `npx coam eval <val> --ratio 1`         the ratio test ablation (vs 2): every mutual nearest
                                               neighbour, the paper's matching as written
  5. SIFT (baselines/sift_matches.py) scored by `npx coam eval --matches`, the same harness; at
     the long side 640 that the targets name, and at 1024, the fine views' largest size
  6. the ranking study: step 2's saved matches and SIFT's re-scored on their best RANKED_K only
     (`--matches … --top-k K`, no network run): how precise the head of each sorted list is
  7. the summaries go into the sidecar's `metrics` (export.py --metrics)
Reports land in --reports (default models/runs/release/, ignored by git): eval-*.txt (the tables
the card quotes), eval-*.json (every pair), metrics.json, and the matches the ranking study
re-scores (coam-matches/, sift-matches/). Needs ../shared/data/val.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RANKED_K = (100,)  # the ranking study's list lengths (step 6); SIFT keeps 127 / 204 on average


def run(cmd: list[str], out_path: str | None = None) -> None:
    print("+ " + " ".join(cmd) + (f" > {os.path.relpath(out_path, ROOT)}" if out_path else ""), flush=True)
    if out_path:
        with open(out_path, "w") as f:
            subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, check=True)
    else:
        subprocess.run(cmd, cwd=ROOT, check=True)


def summary(report_path: str) -> dict:
    """The per-group means of a `coam eval --json` report, rounded as the card prints them."""
    with open(report_path) as f:
        groups = json.load(f)["groups"]
    out = {}
    if "homography" in groups:
        s = groups["homography"]["summary"]
        out["homography"] = {
            "pairs": s["pairs"], "meanMatches": round(s["meanMatches"], 1),
            "mmaThresholdsPx": s["mmaThresholdsPx"], "mma": [round(x, 3) for x in s["mma"]],
            "accuracyThresholdsPx": s["accuracyThresholdsPx"], "accuracy": [round(x, 3) for x in s["accuracy"]],
            "medianCornerErrorPx": round(s["medianCornerErrorPx"], 1)}
    if "epipolar" in groups:
        s = groups["epipolar"]["summary"]
        out["epipolar"] = {
            "pairs": s["pairs"], "meanMatches": round(s["meanMatches"], 1),
            "successThresholdsPx": s["successThresholdsPx"], "success": [round(x, 3) for x in s["success"]],
            "medianEpipolarErrorPx": round(s["medianEpipolarErrorPx"], 2)}
    if "pose" in groups:
        s = groups["pose"]["summary"]
        out["pose"] = {
            "pairs": s["pairs"], "meanMatches": round(s["meanMatches"], 1),
            "aucThresholdsDeg": s["aucThresholdsDeg"], "auc": [round(x, 3) for x in s["auc"]],
            "medianPoseErrorDeg": round(s["medianPoseErrorDeg"], 1)}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "v2-mnv2", "latest.pt"))
    p.add_argument("--val", default=os.path.join(ROOT, "..", "shared", "data", "val"))
    p.add_argument("--reports", default=os.path.join(HERE, "runs", "release"))
    p.add_argument("--threads", type=int, default=2, help="WASM threads for coam eval")
    p.add_argument("--fp32", action="store_true", help="store the weights as float32 (default: float16, half the "
                                                     "download; export.py --fp16)")
    args = p.parse_args(argv)
    if not os.path.isdir(args.val):
        print(f"release: no validation data at {args.val}; nothing measured, nothing changed", file=sys.stderr)
        return 2
    os.makedirs(args.reports, exist_ok=True)
    r = lambda name: os.path.join(args.reports, name)
    py = sys.executable
    val = os.path.relpath(args.val, ROOT)

    precision = [] if args.fp32 else ["--fp16"]
    run([py, os.path.join(HERE, "export.py"), "--checkpoint", args.checkpoint, *precision])
    coam_dir = r("coam-matches")
    run(["npx", "coam", "eval", val, "--threads", str(args.threads), "--json", r("eval-pair.json"),
         "--save-matches", coam_dir], r("eval-pair.txt"))
    run(["npx", "coam", "eval", val, "--threads", str(args.threads), "--search", "full",
         "--json", r("eval-full.json")], r("eval-full.txt"))
    run(["npx", "coam", "eval", val, "--threads", str(args.threads), "--search", "off",
         "--json", r("eval-upright.json")], r("eval-upright.txt"))
    run(["npx", "coam", "eval", val, "--threads", str(args.threads), "--search", "off", "--self-condition",
         "--json", r("eval-self.json")], r("eval-self.txt"))
    run(["npx", "coam", "eval", val, "--threads", str(args.threads), "--ratio", "1",
         "--json", r("eval-noratio.json")], r("eval-noratio.txt"))
    for name, long_side in (("sift", 640), ("sift1024", 1024)):
        folder = r(f"{name}-matches")
        run([py, os.path.join(HERE, "baselines", "sift_matches.py"), val, folder, "--long-side", str(long_side)],
            r(f"{name}.txt"))
        run(["npx", "coam", "eval", val, "--matches", folder, "--json", r(f"eval-{name}.json")], r(f"eval-{name}.txt"))
    sift_dir = r("sift-matches")
    ranked, studies = {}, []
    for k in RANKED_K:
        ranked[str(k)] = {}
        for who, folder in (("coam", coam_dir), ("sift", sift_dir)):
            name = f"eval-{who}-top{k}"
            run(["npx", "coam", "eval", val, "--matches", folder, "--top-k", str(k), "--json", r(name + ".json")],
                r(name + ".txt"))
            ranked[str(k)][who] = summary(r(name + ".json"))
            studies.append(name + ".txt")

    metrics = {
        "dataset": "../shared/data/val",
        "command": "npx coam eval ../shared/data/val (long side 640, top-1000, search auto, ratio test 0.85 "
                   "unless --ratio; the upright and self-conditioned rows with --search off)",
        "date": datetime.date.today().isoformat(),
        "coam": summary(r("eval-pair.json")),
        "coamFullSearch": summary(r("eval-full.json")),
        "coamUpright": summary(r("eval-upright.json")),
        "coamSelfConditionedUpright": summary(r("eval-self.json")),
        "coamNoRatioTest": summary(r("eval-noratio.json")),
        "siftSameHarness": summary(r("eval-sift.json")),
        "siftLongSide1024": summary(r("eval-sift1024.json")),
        "rankedTopK": ranked,
    }
    with open(r("metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    run([py, os.path.join(HERE, "export.py"), "--checkpoint", args.checkpoint, *precision, "--metrics", r("metrics.json")])
    for name in ["eval-pair.txt", "eval-full.txt", "eval-upright.txt", "eval-self.txt", "eval-noratio.txt", "eval-sift.txt",
                 "eval-sift1024.txt", *studies]:
        print(f"\n== {name}")
        with open(r(name)) as f:
            print(f.read().rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
