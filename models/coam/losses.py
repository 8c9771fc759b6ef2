"""Training objectives on sampled correspondences.

For points of A (cell centres) whose ground-truth location in B is known, compare A's descriptor
with B's descriptor at that location (the positive) and with every cell of B farther than
`negative_radius` pixels from it (the negatives).

- `infonce`: cross-entropy over [positive, negatives] with temperature tau. Trains from scratch.
- `hinge`: the paper's loss, max(0, margin + d(positive) - d(hardest negative)) on L2 distances.
- `distinctiveness_loss`: L1 between the predicted score and 1 / n^0.25, where n is the number of
  negatives inside the margin (d(negative) < d(positive) + margin), at least 1: the paper's target.

Real pairs (two photos of one scene) give sparse pseudo correspondences instead of a homography:
`sparse_direction_loss` applies the same objectives to them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class LossConfig:
    objective: str = "infonce"  # or "hinge"
    points: int = 512
    negative_radius: float = 8.0  # px in the fed image
    temperature: float = 0.07
    margin: float = 0.5  # in descriptor distance, for hinge and the distinctiveness count
    distinctiveness_weight: float = 1.0


def cell_centres(h: int, w: int, stride: int, device=None) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    return torch.stack([xs, ys], -1).reshape(-1, 2).float() * stride + (stride - 1) / 2


def warp_points(H: torch.Tensor, xy: torch.Tensor) -> torch.Tensor:
    """H [3,3], xy [P,2] -> [P,2]."""
    p = torch.cat([xy, torch.ones_like(xy[:, :1])], 1) @ H.T
    return p[:, :2] / p[:, 2:].clamp(min=1e-8) * torch.sign(p[:, 2:])


def sample_descriptors(desc: torch.Tensor, xy: torch.Tensor, size_hw) -> torch.Tensor:
    """Bilinear sample desc [D,h,w] at fed-pixel positions xy [P,2] -> [P,D], renormalised."""
    H, W = size_hw
    grid = torch.stack([(xy[:, 0] + 0.5) / W * 2 - 1, (xy[:, 1] + 0.5) / H * 2 - 1], -1)
    out = F.grid_sample(desc[None], grid[None, None], mode="bilinear", align_corners=False)
    return F.normalize(out[0, :, 0].T, dim=1)


def direction_loss(desc_a, dist_a, desc_b, H_ab, valid_a, valid_b, stride, cfg: LossConfig, gen):
    """Loss for A's points against B, one image of the batch. desc [D,h,w], dist [1,h,w]."""
    D, h, w = desc_a.shape
    S_h, S_w = valid_a.shape
    xy_a = cell_centres(h, w, stride, desc_a.device)
    xy_b = warp_points(H_ab, xy_a)
    xi, yi = xy_b[:, 0].round().long(), xy_b[:, 1].round().long()
    inside = (xi >= 0) & (xi < S_w) & (yi >= 0) & (yi < S_h)
    ai = xy_a.round().long()
    ok = inside & valid_a[ai[:, 1], ai[:, 0]]
    ok[inside] &= valid_b[yi[inside], xi[inside]]
    idx = ok.nonzero()[:, 0]
    if idx.numel() < 16:
        return None
    idx = idx[torch.randperm(idx.numel(), generator=gen)[: cfg.points]]
    da = desc_a.reshape(D, -1)[:, idx].T  # P,D
    pos = sample_descriptors(desc_b, xy_b[idx], (S_h, S_w))  # P,D
    predicted = dist_a.reshape(-1)[idx]
    return _contrast(da, pos, predicted, desc_b, xy_b[idx], stride, cfg)


def sparse_direction_loss(desc_a, dist_a, desc_b, xy_a, xy_b, size_hw, stride, cfg: LossConfig, gen):
    """The same loss on given correspondences (a real pair's pseudo ground truth): xy_a, xy_b [P,2]
    in fed pixels. A's descriptor is sampled at its point, distinctiveness at the nearest cell."""
    if len(xy_a) < 8:
        return None
    _, h, w = desc_a.shape
    idx = torch.randperm(len(xy_a), generator=gen)[: cfg.points]
    xy_a, xy_b = xy_a[idx], xy_b[idx]
    da = sample_descriptors(desc_a, xy_a, size_hw)
    pos = sample_descriptors(desc_b, xy_b, size_hw)
    cell = ((xy_a - (stride - 1) / 2) / stride).round().long()
    cx, cy = cell[:, 0].clamp(0, w - 1), cell[:, 1].clamp(0, h - 1)
    predicted = dist_a.reshape(-1)[cy * w + cx]
    return _contrast(da, pos, predicted, desc_b, xy_b, stride, cfg)


def _contrast(da, pos, predicted, desc_b, xy_b, stride, cfg: LossConfig):
    """da, pos [P,D]: A's descriptors and their positives in B; every cell of B farther than
    the negative radius from xy_b [P,2] is a negative. Returns (descriptor loss, distinctiveness
    loss, retrieval accuracy)."""
    D = desc_b.shape[0]
    pos_sim = (da * pos).sum(1)  # P
    sims = da @ desc_b.reshape(D, -1)  # P, hw
    cb = cell_centres(desc_b.shape[1], desc_b.shape[2], stride, da.device)
    is_neg = torch.cdist(xy_b, cb) > cfg.negative_radius  # P, hw

    d_pos = torch.sqrt((2 - 2 * pos_sim).clamp(min=1e-6))
    neg_sims = sims.masked_fill(~is_neg, -2.0)
    if cfg.objective == "infonce":
        logits = torch.cat([pos_sim[:, None], neg_sims], 1) / cfg.temperature
        desc_loss = F.cross_entropy(logits, torch.zeros(len(da), dtype=torch.long, device=da.device))
    elif cfg.objective == "hinge":
        hardest = torch.sqrt((2 - 2 * neg_sims.max(1).values).clamp(min=1e-6))
        desc_loss = F.relu(cfg.margin + d_pos - hardest).mean()
    else:
        raise ValueError(f"unknown objective {cfg.objective}")

    with torch.no_grad():
        # d(neg) < d(pos) + margin  <=>  sim(neg) > 1 - (d(pos) + margin)^2 / 2 (unit vectors)
        threshold = 1 - (d_pos + cfg.margin) ** 2 / 2
        confused = (neg_sims > threshold[:, None]).sum(1).clamp(min=1).float()
        target = confused ** -0.25
    dist_loss = (predicted - target).abs().mean()
    # Retrieval accuracy of the sampled points: is the positive closer than every negative?
    correct = (pos_sim > neg_sims.max(1).values).float().mean()
    return desc_loss, dist_loss, correct


def pair_loss(out_ab, out_ba, H_ab, valid_a, valid_b, stride, cfg: LossConfig, gen, corr=None, counts=None):
    """Both directions of every pair of the batch. Item n is supervised by H_ab[n], or, when
    counts[n] > 0, by its correspondences corr[n, :counts[n]] (xA, yA, xB, yB)."""
    (desc_a, dist_a), (desc_b, dist_b) = out_ab, out_ba
    terms = []
    for n in range(desc_a.shape[0]):
        if counts is not None and counts[n] > 0:
            c = corr[n, : int(counts[n])]
            size_hw = valid_a.shape[1:]
            pair = (
                sparse_direction_loss(desc_a[n], dist_a[n], desc_b[n], c[:, :2], c[:, 2:], size_hw, stride, cfg, gen),
                sparse_direction_loss(desc_b[n], dist_b[n], desc_a[n], c[:, 2:], c[:, :2], size_hw, stride, cfg, gen),
            )
        else:
            H = H_ab[n]
            pair = (
                direction_loss(desc_a[n], dist_a[n], desc_b[n], H, valid_a[n], valid_b[n], stride, cfg, gen),
                direction_loss(desc_b[n], dist_b[n], desc_a[n], torch.linalg.inv(H), valid_b[n], valid_a[n], stride, cfg, gen),
            )
        for r in pair:
            if r is not None:
                terms.append(r)
    if not terms:
        return None
    desc_loss = torch.stack([t[0] for t in terms]).mean()
    dist_loss = torch.stack([t[1] for t in terms]).mean()
    accuracy = torch.stack([t[2] for t in terms]).mean()
    total = desc_loss + cfg.distinctiveness_weight * dist_loss
    return total, {"descriptor": desc_loss.item(), "distinctiveness": dist_loss.item(), "accuracy": accuracy.item()}
