"""Validation during training, on the real pairs of ../shared/data/val: homography MMA@3px and
accuracy@3px, epipolar success@10px, and (where val/pose is there) relative pose AUC@5/10/20 deg.

A quick monitor, not the reference: the numbers the model card quotes come from `coam eval`
(TypeScript, the same code the app runs). Matching here mirrors it: candidates by
distinctiveness after 3x3 non-maximum suppression, mutual nearest neighbours checked against the
whole other grid, score =
similarity x distinctiveness(A) x distinctiveness(B), top-K.
"""
from __future__ import annotations

import glob
import math
import os

import cv2
import numpy as np
import torch
import torch.nn.functional as F


def load_rgb(path: str, long_side: int, multiple: int):
    img = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    s = long_side / max(h, w)
    fw = max(multiple, round(w * s / multiple) * multiple)
    fh = max(multiple, round(h * s / multiple) * multiple)
    fed = cv2.resize(img, (fw, fh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    t = torch.from_numpy(fed).permute(2, 0, 1)[None].float() / 255.0
    return t, (fw / w, fh / h)


def candidates(dist: torch.Tensor, max_candidates: int) -> torch.Tensor:
    d = dist[0, 0]
    peak = d == F.max_pool2d(d[None, None], 3, 1, 1)[0, 0]
    flat = torch.where(peak, d, torch.zeros_like(d)).flatten()
    k = min(max_candidates, int(peak.sum()))
    return flat.topk(k).indices


@torch.no_grad()
def match(model, a: torch.Tensor, b: torch.Tensor, top_k: int, max_candidates: int = 512, self_condition=False):
    if self_condition:
        out_ab, out_ba = model(a, a), model(b, b)
    else:
        out_ab, out_ba = model.forward_pair(a, b)
    (da, sa), (db, sb) = out_ab, out_ba
    ca, cb = candidates(sa, max_candidates), candidates(sb, max_candidates)
    D = da.shape[1]
    fa, fb = da.reshape(D, -1), db.reshape(D, -1)
    # Mutual against the whole other grid, starting from either image's candidates.
    pairs = set()
    nn_b = (fa[:, ca].T @ fb).argmax(1)
    back = (fb[:, nn_b].T @ fa).argmax(1)
    pairs.update((int(i), int(j)) for i, j, k in zip(ca, nn_b, back) if k == i)
    nn_a = (fb[:, cb].T @ fa).argmax(1)
    back = (fa[:, nn_a].T @ fb).argmax(1)
    pairs.update((int(i), int(j)) for j, i, k in zip(cb, nn_a, back) if k == j)
    pairs = sorted(pairs)
    ia = torch.tensor([p[0] for p in pairs], dtype=torch.long)
    ib = torch.tensor([p[1] for p in pairs], dtype=torch.long)
    if len(pairs) == 0:
        return np.zeros((0, 2)), np.zeros((0, 2))
    sim_ab = (fa[:, ia] * fb[:, ib]).sum(0)
    score = sim_ab * sa.flatten()[ia] * sb.flatten()[ib]
    order = score.argsort(descending=True)[:top_k]
    stride = a.shape[-1] // da.shape[-1]

    def xy(cells, width):
        return torch.stack([cells % width, cells // width], 1).float() * stride + (stride - 1) / 2

    return xy(ia[order], da.shape[-1]).numpy(), xy(ib[order], db.shape[-1]).numpy()


def to_original(xy: np.ndarray, scale) -> np.ndarray:
    return (xy + 0.5) / np.array(scale) - 0.5


def evaluate(model, val_root: str, long_side=640, top_k=1000, multiple=32, self_condition=False) -> dict:
    model.eval()
    out = {}
    homs = sorted(glob.glob(os.path.join(val_root, "homography", "*", "H_1_2")))
    mma, corner_ok = [], []
    for hpath in homs:
        d = os.path.dirname(hpath)
        H = np.loadtxt(hpath).reshape(3, 3)
        a, sa = load_rgb(glob.glob(os.path.join(d, "1.*"))[0], long_side, multiple)
        b, sb = load_rgb(glob.glob(os.path.join(d, "2.*"))[0], long_side, multiple)
        xa, xb = match(model, a, b, top_k, self_condition=self_condition)
        xa, xb = to_original(xa, sa), to_original(xb, sb)
        if len(xa) == 0:
            mma.append(0.0); corner_ok.append(False); continue
        p = np.c_[xa, np.ones(len(xa))] @ H.T
        err = np.linalg.norm(p[:, :2] / p[:, 2:] - xb, axis=1)
        mma.append(float((err < 3).mean()))
        ok = False
        if len(xa) >= 4:
            Hest, _ = cv2.findHomography(xa, xb, cv2.RANSAC, 3.0)
            if Hest is not None:
                img = cv2.imread(glob.glob(os.path.join(d, "1.*"))[0])
                h, w = img.shape[:2]
                c = np.float64([[0, 0, 1], [w - 1, 0, 1], [w - 1, h - 1, 1], [0, h - 1, 1]])
                pe, pg = c @ Hest.T, c @ H.T
                ok = np.linalg.norm(pe[:, :2] / pe[:, 2:] - pg[:, :2] / pg[:, 2:], axis=1).mean() < 3
        corner_ok.append(ok)
    if homs:
        out["homography_mma3"] = float(np.mean(mma))
        out["homography_acc3"] = float(np.mean(corner_ok))
    succ = []
    for cpath in sorted(glob.glob(os.path.join(val_root, "epipolar", "*", "corr.txt"))):
        d = os.path.dirname(cpath)
        corr = np.loadtxt(cpath).reshape(-1, 4)
        a, sa = load_rgb(glob.glob(os.path.join(d, "1.*"))[0], long_side, multiple)
        b, sb = load_rgb(glob.glob(os.path.join(d, "2.*"))[0], long_side, multiple)
        xa, xb = match(model, a, b, top_k, self_condition=self_condition)
        xa, xb = to_original(xa, sa), to_original(xb, sb)
        ok = False
        if len(xa) >= 8:
            Fm, _ = cv2.findFundamentalMat(xa, xb, cv2.FM_RANSAC, 1.5, 0.999)
            if Fm is not None and Fm.shape == (3, 3):
                p1 = np.c_[corr[:, :2], np.ones(len(corr))]
                p2 = np.c_[corr[:, 2:], np.ones(len(corr))]
                l2, l1 = p1 @ Fm.T, p2 @ Fm
                e2 = np.abs((l2 * p2).sum(1)) / np.linalg.norm(l2[:, :2], axis=1)
                e1 = np.abs((l1 * p1).sum(1)) / np.linalg.norm(l1[:, :2], axis=1)
                ok = float(((e1 + e2) / 2).mean()) < 10
        succ.append(ok)
    if succ:
        out["epipolar_success10"] = float(np.mean(succ))
    errors = []
    for rpath in sorted(glob.glob(os.path.join(val_root, "pose", "*", "R"))):
        d = os.path.dirname(rpath)
        a, sa = load_rgb(glob.glob(os.path.join(d, "1.*"))[0], long_side, multiple)
        b, sb = load_rgb(glob.glob(os.path.join(d, "2.*"))[0], long_side, multiple)
        xa, xb = match(model, a, b, top_k, self_condition=self_condition)
        xa, xb = to_original(xa, sa), to_original(xb, sb)
        K1, K2 = (np.loadtxt(os.path.join(d, k)).reshape(3, 3) for k in ("K1", "K2"))
        errors.append(pose_error_deg(xa, xb, K1, K2, np.loadtxt(rpath).reshape(3, 3),
                                     np.loadtxt(os.path.join(d, "t")).reshape(3)))
    if errors:
        auc = pose_auc(errors, (5, 10, 20))
        out.update(pose_auc5=auc[0], pose_auc10=auc[1], pose_auc20=auc[2])
    return out


def pose_error_deg(xa, xb, K1, K2, R, t) -> float:
    """As `coam eval`: an essential matrix on K-normalised matches (RANSAC at 1 px over the mean
    focal length), recoverPose, then max(rotation error, translation direction error); inf when
    no pose is found."""
    if len(xa) < 8:
        return math.inf
    na = cv2.undistortPoints(xa.reshape(-1, 1, 2).astype(np.float64), K1, None).reshape(-1, 2)
    nb = cv2.undistortPoints(xb.reshape(-1, 1, 2).astype(np.float64), K2, None).reshape(-1, 2)
    focal = (K1[0, 0] + K1[1, 1] + K2[0, 0] + K2[1, 1]) / 4
    E, mask = cv2.findEssentialMat(na, nb, np.eye(3), method=cv2.RANSAC, prob=0.99999, threshold=1.0 / focal)
    if E is None or E.shape != (3, 3):
        return math.inf
    _, R_est, t_est, _ = cv2.recoverPose(E, na, nb, np.eye(3), mask=mask)
    cos_r = np.clip((np.trace(R_est.T @ R) - 1) / 2, -1, 1)
    err_r = math.degrees(math.acos(cos_r))
    cos_t = np.clip(abs(float(t_est.ravel() @ t)) / (np.linalg.norm(t_est) * np.linalg.norm(t) + 1e-12), 0, 1)
    err_t = math.degrees(math.acos(cos_t))
    return max(err_r, err_t)


def pose_auc(errors, thresholds) -> list[float]:
    """Area under the recall-vs-error curve up to each threshold, normalised by it (SuperGlue's
    pose_auc); failures (inf) count in the denominator only."""
    errs = np.sort(np.asarray(errors, np.float64))
    recall = np.arange(1, len(errs) + 1) / len(errs)
    errs, recall = np.r_[0.0, errs], np.r_[0.0, recall]
    out = []
    for t in thresholds:
        last = int(np.searchsorted(errs, t))
        r = np.r_[recall[:last], recall[last - 1]]
        e = np.r_[errs[:last], t]
        out.append(float(np.trapz(r, x=e) / t))
    return out
