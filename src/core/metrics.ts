/**
 * The field's standard matching numbers, as plain functions of matches and ground truth:
 * mean matching accuracy (HPatches), homography corner error, symmetric epipolar distance,
 * relative pose error and its AUC (as in SuperGlue / LightGlue evaluation).
 */
import type { Point } from './types';
import { applyHomography } from './geometry';

/**
 * Mean matching accuracy: for each threshold (px), the fraction of matches whose reprojection
 * error ||H_AB xyA - xyB|| is at most the threshold (`<=`, as in D2-Net's HPatches evaluation).
 * No matches gives 0 at every threshold.
 */
export function matchingAccuracy(
  matches: ReadonlyArray<{ xyA: Point; xyB: Point }>,
  H_AB: readonly number[],
  thresholds: readonly number[],
): number[] {
  if (matches.length === 0) return thresholds.map(() => 0);
  const errors = matches.map((m) => {
    const p = applyHomography(H_AB, m.xyA);
    const e = Math.hypot(p[0] - m.xyB[0], p[1] - m.xyB[1]);
    return Number.isNaN(e) ? Infinity : e;
  });
  return thresholds.map((t) => {
    let c = 0;
    for (const e of errors) if (e <= t) c++;
    return c / errors.length;
  });
}

/** The 4 corners of a width x height image, in pixel-centre coordinates. */
export function imageCorners(width: number, height: number): Point[] {
  return [
    [0, 0],
    [width - 1, 0],
    [width - 1, height - 1],
    [0, height - 1],
  ];
}

/**
 * Homography accuracy: mean distance (px, in image B) between the 4 corners of image A,
 * (0,0), (w-1,0), (w-1,h-1), (0,h-1), mapped by Hest and by Hgt. Infinity if any corner is
 * mapped to infinity or the estimate is missing.
 */
export function cornerError(Hest: readonly number[] | null, Hgt: readonly number[], width: number, height: number): number {
  if (!Hest) return Infinity;
  let sum = 0;
  for (const c of imageCorners(width, height)) {
    const a = applyHomography(Hest, c);
    const b = applyHomography(Hgt, c);
    const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
    sum += Number.isNaN(d) ? Infinity : d;
  }
  return sum / 4;
}

/**
 * Symmetric epipolar distance per correspondence (x1, y1, x2, y2) for x2^T F x1 = 0: the MEAN of
 * the distance (px) from x2 to the epipolar line F x1 in image 2 and from x1 to F^T x2 in image 1.
 */
export function symmetricEpipolarDistance(
  F: readonly number[],
  corr: ReadonlyArray<readonly [number, number, number, number]>,
): number[] {
  return corr.map(([x1, y1, x2, y2]) => {
    const l2a = F[0] * x1 + F[1] * y1 + F[2];
    const l2b = F[3] * x1 + F[4] * y1 + F[5];
    const l2c = F[6] * x1 + F[7] * y1 + F[8];
    const l1a = F[0] * x2 + F[3] * y2 + F[6];
    const l1b = F[1] * x2 + F[4] * y2 + F[7];
    const e = Math.abs(x2 * l2a + y2 * l2b + l2c);
    const n2 = Math.hypot(l2a, l2b);
    const n1 = Math.hypot(l1a, l1b);
    if (e === 0) return 0;
    if (!(n1 > 0) || !(n2 > 0)) return Infinity;
    const d = 0.5 * (e / n1 + e / n2);
    return Number.isNaN(d) ? Infinity : d;
  });
}

function clampUnit(v: number): number {
  return Math.min(1, Math.max(-1, v));
}

/** Angle (degrees) of the rotation Rest^T Rgt: acos((trace - 1) / 2). */
export function rotationAngleDeg(Rest: readonly number[], Rgt: readonly number[]): number {
  // trace(Rest^T Rgt) = sum of elementwise products.
  let tr = 0;
  for (let i = 0; i < 9; i++) tr += Rest[i] * Rgt[i];
  const a = (Math.acos(clampUnit((tr - 1) / 2)) * 180) / Math.PI;
  return Number.isNaN(a) ? 180 : a;
}

/**
 * Angle (degrees) between two translation directions, sign-agnostic (E fixes t only up to
 * sign): min(a, 180 - a). A zero-length vector gives 90 (no direction information).
 */
export function translationAngleDeg(test: readonly number[], tgt: readonly number[]): number {
  const na = Math.hypot(test[0], test[1], test[2]);
  const nb = Math.hypot(tgt[0], tgt[1], tgt[2]);
  if (!(na > 0) || !(nb > 0)) return 90;
  const c = (test[0] * tgt[0] + test[1] * tgt[1] + test[2] * tgt[2]) / (na * nb);
  const a = (Math.acos(clampUnit(c)) * 180) / Math.PI;
  if (Number.isNaN(a)) return 90;
  return Math.min(a, 180 - a);
}

/** Relative pose error: max(rotation angle error, translation direction error), degrees. */
export function poseErrorDeg(
  Rest: readonly number[],
  test: readonly number[],
  Rgt: readonly number[],
  tgt: readonly number[],
): number {
  return Math.max(rotationAngleDeg(Rest, Rgt), translationAngleDeg(test, tgt));
}

/**
 * Area under the cumulative error curve up to each threshold, normalised by it (SuperGlue's
 * `pose_auc`): recall(e) = fraction of pairs with error <= e, integrated (trapezoids) from 0 to t,
 * divided by t. Failures are Infinity (or NaN) and count in the denominator only.
 */
export function poseAuc(errorsDeg: readonly number[], thresholdsDeg: readonly number[]): number[] {
  const n = errorsDeg.length;
  if (n === 0) return thresholdsDeg.map(() => 0);
  const errs = errorsDeg.map((e) => (Number.isNaN(e) ? Infinity : e)).sort((a, b) => a - b);
  const xs = [0, ...errs];
  const recall = [0, ...errs.map((_, i) => (i + 1) / n)];
  return thresholdsDeg.map((t) => {
    if (!(t > 0)) return 0;
    // last = first index with xs[index] >= t (numpy searchsorted, side='left').
    let last = 0;
    while (last < xs.length && xs[last] < t) last++;
    const r = [...recall.slice(0, last), recall[last - 1]];
    const e = [...xs.slice(0, last), t];
    let area = 0;
    for (let i = 1; i < e.length; i++) area += ((r[i] + r[i - 1]) / 2) * (e[i] - e[i - 1]);
    return area / t;
  });
}

/** For each threshold, the fraction of values strictly below it (NaN counts as a failure). */
export function fractionBelow(values: readonly number[], thresholds: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return thresholds.map(() => 0);
  return thresholds.map((t) => {
    let c = 0;
    for (const v of values) if (v < t) c++;
    return c / n;
  });
}

/** Mean of finite values (NaN if none): a helper for report tables. */
export function meanOfFinite(values: readonly number[]): number {
  let s = 0;
  let c = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      s += v;
      c++;
    }
  }
  return c ? s / c : NaN;
}
