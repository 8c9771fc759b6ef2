#!/usr/bin/env python3
"""Train CoAM on synthetic homography pairs of ../shared/data/train, optionally mixed with real
pairs (photos of one scene, frames of the co3d videos).

    /usr/bin/python3 models/train.py                      # resumes models/checkpoints/<run> if present
    /usr/bin/python3 models/train.py --objective hinge --run hinge --steps 1500   # the paper's loss
    /usr/bin/python3 models/train.py --encoder mobilenetv2 --run v2-mnv2 --real-share 0.3   # ImageNet init
    /usr/bin/python3 models/train.py --encoder resnet50v2 --run v2-r50 --real-share 0.3     # the paper's encoder

`--encoder plain` trains every weight from scratch; `--encoder mobilenetv2` and `--encoder
resnet50v2` start the encoder from ImageNet (../shared/pretrained) and fine-tune it at
`--encoder-lr` times the learning rate with its BatchNorm statistics frozen.

Seeded and resumable: `latest.pt` (weights, optimiser, sampler state, step) is written every
`--save-every` steps and on exit; `best.pt` keeps the weights with the best validation score on
../shared/data/val (homography MMA@3px + epipolar success@10px). `log.jsonl` has every logged step.
CPU with 2 threads by default, CUDA when present.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from dataclasses import asdict, replace

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coam.data import PairSampler, PairStream, group_weights, list_images, load_images  # noqa: E402
from coam.realpairs import build_real_pairs  # noqa: E402
from coam.losses import LossConfig, pair_loss  # noqa: E402
from coam.multiview import cached_multiview_pairs  # noqa: E402
from coam.network import ENCODERS, PRETRAINED_ROOT, CoamConfig, CoamNet, count_parameters  # noqa: E402
from coam import validate  # noqa: E402
from coam.checkpoint import compact_optimiser_state, expand_optimiser_state  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data", "train"))
    p.add_argument("--val", default=os.path.join(HERE, "..", "..", "shared", "data", "val"))
    p.add_argument("--run", default="main", help="run name: checkpoints go to models/checkpoints/<run>")
    p.add_argument("--objective", choices=["infonce", "hinge"], default="infonce")
    p.add_argument("--encoder", choices=list(ENCODERS), default="plain",
                   help="plain: conv levels from scratch; mobilenetv2, resnet50v2: ImageNet-initialised "
                        "(a resumed run keeps its own)")
    p.add_argument("--output-stride", type=int, choices=(4, 8), default=4,
                   help="the descriptors' stride: 4 (three decoder levels) or 8 (two; a new run only)")
    p.add_argument("--pretrained", default=PRETRAINED_ROOT, help="folder of the ImageNet weights (SOURCES.md layout)")
    p.add_argument("--encoder-lr", type=float, default=0.1,
                   help="a pretrained encoder's learning rate as a multiple of --lr (0: frozen)")
    p.add_argument("--steps", type=int, default=6000, help="total steps (the LR schedule spans them)")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--val-every", type=int, default=500)
    p.add_argument("--save-every", type=int, default=100)
    p.add_argument("--time-limit", type=float, default=0, help="minutes; stop cleanly after this (0: none)")
    p.add_argument("--stop-at", type=int, default=0, help="stop at this step, keeping the --steps schedule (ablations)")
    p.add_argument("--init", default="", help="start from these weights (e.g. a warm-up run's best.pt)")
    p.add_argument("--continue-minutes", dest="continue_minutes", type=float, default=0,
                   help="continue a finished run for this many minutes of wall clock: a warm restart at --lr "
                        "(100 warm-up steps) with a cosine decay to 5%% over that time, so the "
                        "weights are annealed whenever it ends (0: the --steps schedule)")
    p.add_argument("--scale-range", type=float, default=2.0, help="B's scale relative to A: log-uniform in [1/r, r]")
    p.add_argument("--group-power", type=float, default=1.0,
                   help="sample photo groups in proportion to size^p (1: every photo equally likely; "
                        "0.5: fewer of the 500 BSDS500 shots)")
    p.add_argument("--workers", type=int, default=0,
                   help="DataLoader processes making pairs (0: in the training process, bit-for-bit resumable; "
                        "a GPU needs ~1 per 10 pairs/step/100 ms, e.g. 14 on 16 cores)")
    p.add_argument("--real-share", type=float, default=0.0,
                   help="share of pairs that are real: two photos of one scene or two frames of a co3d video "
                        "(coam/realpairs.py, coam/multiview.py: correspondences from RootSIFT + MAGSAC) "
                        "instead of a synthetic homography")
    p.add_argument("--co3d", default=os.path.join(HERE, "..", "..", "shared", "data", "multiview", "co3d"),
                   help="co3d sequences for real pairs ('' or a missing folder: photos only)")
    p.add_argument("--co3d-share", type=float, default=0.5,
                   help="of the real pairs, the share drawn from the co3d frames (the rest: photos of one scene)")
    p.add_argument("--full-rotation", type=float, default=0.15, help="share of pairs with any rotation (else +-0.6 rad)")
    p.add_argument("--max-angle", type=float, default=None,
                   help="rad; the other pairs' rotation is within +-this (default: 0.6 synthetic, 0.4 real)")
    return p.parse_args(argv)


def lr_at(step: int, total: int, base: float) -> float:
    warmup = 200
    if step < warmup:
        return base * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))


def continuation_lr(steps_done: int, frac: float, base: float) -> float:
    """A continued run: short warm-up, then cosine over the fraction of its wall-clock budget spent."""
    warm = min(1.0, (steps_done + 1) / 100)
    return base * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def parameter_groups(model: CoamNet, encoder_lr: float) -> list[dict]:
    """One Adam group per learning rate: a pretrained encoder at `encoder_lr` x the base rate
    (frozen at 0), everything else at the base rate. `lr_scale` is read when the schedule sets lr."""
    if not model.pretrained_encoder:
        return [{"params": list(model.parameters()), "lr_scale": 1.0}]
    encoder = list(model.encoder.parameters())
    if encoder_lr == 0:
        for p in encoder:
            p.requires_grad_(False)
    ids = {id(p) for p in encoder}
    rest = [p for p in model.parameters() if id(p) not in ids]
    groups = [{"params": rest, "lr_scale": 1.0}]
    if encoder_lr > 0:
        groups.append({"params": encoder, "lr_scale": encoder_lr})
    return groups


def real_mix(args, paths: list[str], images: list) -> dict:
    """The PairSampler arguments for real pairs: photos of one scene (indices into the training
    photos) and, when ../shared/data/multiview/co3d is there, verified frame pairs of its videos
    (frames appended after the photos), weighted so that `--co3d-share` of real items are co3d."""
    t0 = time.time()
    real = build_real_pairs(paths, images)
    print(f"{len(real) // 2} photo pairs of one scene ({sum(len(r[2]) for r in real) // 2} pseudo correspondences) "
          f"in {time.time() - t0:.0f} s", flush=True)
    real_images = list(images)
    n_photo = len(real)
    if args.co3d and os.path.isdir(args.co3d) and args.co3d_share > 0:
        t0 = time.time()
        frames, pairs, summary = cached_multiview_pairs(args.co3d, os.path.join(HERE, "runs", "cache"))
        used = sorted({i for p in pairs for i in p[:2]})
        where = {f: len(real_images) + k for k, f in enumerate(used)}
        real_images += load_images([frames[i] for i in used])
        real += [(where[i], where[j], pa, pb, s) for i, j, pa, pb, s in pairs]
        print(f"{len(pairs) // 2} co3d frame pairs ({sum(len(p[2]) for p in pairs) // 2} correspondences, "
              f"{len(used)} frames) in {time.time() - t0:.0f} s; by frame gap: {json.dumps(summary)}", flush=True)
    elif args.co3d:
        print(f"no co3d frames at {args.co3d}: real pairs are photos only", flush=True)
    n_co3d = len(real) - n_photo
    weights = None
    if n_photo and n_co3d:
        weights = np.r_[np.full(n_photo, (1 - args.co3d_share) / n_photo), np.full(n_co3d, args.co3d_share / n_co3d)]
    print(f"{args.real_share:.0%} of training pairs real"
          + (f", {args.co3d_share:.0%} of those co3d" if weights is not None else ""), flush=True)
    return {"real_pairs": real, "real_share": args.real_share, "real_images": real_images, "real_weights": weights}


def reference_blas(maps: str) -> str | None:
    """The path of the netlib reference BLAS when `maps` (a /proc/<pid>/maps text) shows it loaded:
    Debian's torch multiplies matrices through the system's libblas.so.3, and the reference one
    makes every training step several times slower than OpenBLAS. None otherwise."""
    for line in maps.splitlines():
        fields = line.split()
        path = fields[-1] if fields else ""
        if os.path.basename(path).startswith("libblas.so") and "openblas" not in path and "/blas/" in path:
            return path
    return None


def warn_if_reference_blas() -> None:
    torch.ones(64, 64) @ torch.ones(64, 64)  # loads the BLAS torch links to
    try:
        with open("/proc/self/maps") as f:
            path = reference_blas(f.read())
    except OSError:
        return
    if path:
        print(f"warning: matrix products run on the reference BLAS ({path}), several times slower than "
              "OpenBLAS: apt-get install libopenblas0-pthread", flush=True)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
        warn_if_reference_blas()
    out_dir = os.path.join(HERE, "checkpoints", args.run)
    os.makedirs(out_dir, exist_ok=True)
    latest_path, best_path = os.path.join(out_dir, "latest.pt"), os.path.join(out_dir, "best.pt")

    paths = list_images(args.data)
    images = load_images(paths)
    print(f"{len(images)} training photos from {args.data}", flush=True)

    resuming = os.path.exists(latest_path)
    ck = torch.load(latest_path, map_location=device, weights_only=False) if resuming else None  # our own file
    init = torch.load(args.init, map_location=device, weights_only=False) if args.init and not resuming else None
    # A resumed run keeps the network it was started with; --init weights bring their own.
    if resuming or (init is not None and "config" in init):
        config = CoamConfig.from_dict((ck or init)["config"])
    else:
        config = replace(CoamConfig.for_encoder(args.encoder),
                         decoder_widths=CoamConfig.output_stride_widths(args.output_stride))
    loss_cfg = LossConfig(objective=args.objective)
    model = CoamNet(config).to(device)
    if model.pretrained_encoder and not resuming and not args.init:
        n = model.load_pretrained(args.pretrained)
        print(f"{config.encoder} encoder initialised from ImageNet ({n} tensors from {args.pretrained})", flush=True)
    optimiser = torch.optim.Adam(parameter_groups(model, args.encoder_lr), lr=args.lr)
    views = {"scale_range": args.scale_range, "full_rotation": args.full_rotation, "max_angle": args.max_angle,
             "weights": group_weights(paths, args.group_power) if args.group_power != 1 else None}
    if args.real_share > 0:
        views.update(real_mix(args, paths, images))
    sampler = PairSampler(images, args.size, args.seed, **views)
    step, elapsed, best_score = 0, 0.0, -1.0
    if resuming:
        model.load_state_dict(ck["model"])
        optimiser.load_state_dict(expand_optimiser_state(ck["optimiser"]))
        sampler.rng.bit_generator.state = ck["sampler_state"]
        torch.set_rng_state(ck["torch_rng"])
        step, elapsed, best_score = ck["step"], ck["elapsed"], ck.get("best_score", -1.0)
        print(f"resumed {latest_path} at step {step} ({elapsed / 60:.1f} min so far)", flush=True)
    elif init is not None:
        model.load_state_dict(init["model"])
        print(f"initialised from {args.init}", flush=True)
    print(f"CoamNet ({config.encoder} encoder) {count_parameters(model) / 1e6:.2f} M parameters, objective {args.objective}, "
          f"device {device}, threads {torch.get_num_threads()}", flush=True)

    gen = torch.Generator().manual_seed(args.seed + step)
    batches = None
    if args.workers > 0:
        stream = PairStream(images, args.size, args.seed + step, args.batch, **views)
        batches = iter(torch.utils.data.DataLoader(stream, batch_size=None, num_workers=args.workers,
                                                   prefetch_factor=4, persistent_workers=True,
                                                   pin_memory=device.type == "cuda"))
    log = open(os.path.join(out_dir, "log.jsonl"), "a")

    def save():
        torch.save({
            "model": model.state_dict(), "optimiser": compact_optimiser_state(optimiser.state_dict()), "step": step,
            "elapsed": elapsed, "best_score": best_score, "config": config.to_dict(),
            "loss": asdict(loss_cfg), "args": vars(args), "sampler_state": sampler.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
        }, latest_path + ".tmp")
        os.replace(latest_path + ".tmp", latest_path)

    def validate_and_keep():
        nonlocal best_score
        t1 = time.time()
        metrics = validate.evaluate(model, args.val, multiple=config.multiple) if os.path.isdir(args.val) else {}
        score = metrics.get("homography_mma3", 0) + metrics.get("epipolar_success10", 0)
        rec = {"step": step, "val": metrics, "val_s": round(time.time() - t1, 1)}
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n"); log.flush()
        if score > best_score:
            best_score = score
            torch.save({"model": model.state_dict(), "config": config.to_dict(), "step": step,
                        "elapsed": elapsed, "metrics": metrics, "objective": args.objective,
                        "seed": args.seed, "args": vars(args)}, best_path)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    started = time.time()
    running: dict[str, float] = {}
    last = min(args.steps, args.stop_at) if args.stop_at else args.steps
    first_step = step
    if args.continue_minutes:
        last = 10 ** 9
        print(f"continuing for {args.continue_minutes:.0f} min from step {step}, warm restart at lr {args.lr:g}", flush=True)
    while step < last and not stop["now"]:
        if args.time_limit and time.time() - started > args.time_limit * 60:
            print("time limit reached", flush=True)
            break
        if args.continue_minutes:
            frac = (time.time() - started) / (args.continue_minutes * 60)
            if frac >= 1:
                print("continuation time reached", flush=True)
                break
            lr = continuation_lr(step - first_step, frac, args.lr)
        else:
            lr = lr_at(step, args.steps, args.lr)
        t0 = time.time()
        model.train()
        for g in optimiser.param_groups:
            g["lr"] = lr * g.get("lr_scale", 1.0)
        a, b, H, va, vb, corr, counts = (x.to(device, non_blocking=True) for x in (next(batches) if batches is not None else sampler.batch(args.batch)))
        out_ab, out_ba = model.forward_pair(a, b)
        result = pair_loss(out_ab, out_ba, H, va, vb, config.stride, loss_cfg, gen, corr, counts.tolist())
        if result is None:
            continue
        loss, parts = result
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        step += 1
        elapsed += time.time() - t0
        for k, v in {"loss": loss.item(), **parts}.items():
            running[k] = running.get(k, v) * 0.9 + v * 0.1
        if step % args.log_every == 0:
            rec = {"step": step, "lr": optimiser.param_groups[0]["lr"], "elapsed_s": round(elapsed, 1),
                   **{k: round(v, 4) for k, v in running.items()}}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n"); log.flush()
        if step % args.save_every == 0:
            save()
        if step % args.val_every == 0 or step == last:
            if args.continue_minutes and (time.time() - started) / (args.continue_minutes * 60) > 0.97:
                continue  # a continued run's final validation runs after its last step
            validate_and_keep()
            save()
    if args.continue_minutes and step > first_step:
        validate_and_keep()
    save()
    print(f"stopped at step {step}, {elapsed / 60:.1f} min of training", flush=True)


if __name__ == "__main__":
    main()
