"""A training checkpoint small enough to commit, that still resumes.

Adam keeps two moments per weight. The first (beta1 = 0.9) forgets within about ten steps, so it
is not stored: a resumed run rebuilds it at once. The second (beta2 = 0.999) carries about a
thousand steps of gradient scale, the part of the state worth keeping; it is stored in bfloat16.
For a 2.6 M-parameter network this takes a checkpoint from 31 MB to about 16 MB.

    /usr/bin/python3 models/coam/checkpoint.py models/checkpoints/<run>/latest.pt   # compact in place
"""
from __future__ import annotations

import os
import sys

import torch


def compact_optimiser_state(state: dict) -> dict:
    """Adam's state_dict without exp_avg, with exp_avg_sq in bfloat16 (marked `compact`)."""
    per_param = {}
    for key, s in state["state"].items():
        kept = {k: v for k, v in s.items() if k != "exp_avg"}
        if "exp_avg_sq" in kept:
            kept["exp_avg_sq"] = kept["exp_avg_sq"].to(torch.bfloat16)
        per_param[key] = kept
    return {"state": per_param, "param_groups": state["param_groups"], "compact": True}


def expand_optimiser_state(state: dict) -> dict:
    """The inverse, for Optimizer.load_state_dict: float32 moments, exp_avg restarted at zero.
    A full (non-compact) state passes through unchanged."""
    if not state.get("compact"):
        return state
    per_param = {}
    for key, s in state["state"].items():
        full = dict(s)
        if "exp_avg_sq" in full:
            full["exp_avg_sq"] = full["exp_avg_sq"].to(torch.float32)
            full["exp_avg"] = torch.zeros_like(full["exp_avg_sq"])
        per_param[key] = full
    return {"state": per_param, "param_groups": state["param_groups"]}


def compact_file(path: str) -> None:
    ck = torch.load(path, map_location="cpu", weights_only=False)  # our own file
    ck["optimiser"] = compact_optimiser_state(ck["optimiser"])
    torch.save(ck, path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isfile(sys.argv[1]):
        sys.exit(f"usage: {sys.argv[0]} CHECKPOINT.pt  (a train.py latest.pt, compacted in place)")
    before = os.path.getsize(sys.argv[1])
    compact_file(sys.argv[1])
    print(f"{sys.argv[1]}: {before / 1e6:.1f} MB -> {os.path.getsize(sys.argv[1]) / 1e6:.1f} MB")
