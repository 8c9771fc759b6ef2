/**
 * What the linear fits (the homography DLT, the 8-point algorithm) share: finiteness and
 * collinearity checks, Hartley normalisation, and the null vector of a design matrix with 9
 * unknowns.
 */
import type { Point } from '../types';
import { nullVector, nullVectorMinimal, type Mat3 } from '../linalg';

export function allFinite(pts: readonly Point[]): boolean {
  for (const p of pts) if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) return false;
  return true;
}

/**
 * True when the points span (numerically) no more than a line: the smaller eigenvalue of their
 * 2x2 scatter is negligible against the larger. Also true for fewer than 3 distinct points.
 */
export function isCollinear(pts: readonly Point[]): boolean {
  const n = pts.length;
  if (n < 3) return true;
  let mx = 0;
  let my = 0;
  for (const p of pts) {
    mx += p[0];
    my += p[1];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const p of pts) {
    const dx = p[0] - mx;
    const dy = p[1] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const tr = sxx + syy;
  if (!(tr > 0)) return true;
  const disc = Math.sqrt(Math.max(0, (sxx - syy) * (sxx - syy) + 4 * sxy * sxy));
  const lmax = (tr + disc) / 2;
  const lmin = Math.max(0, (tr - disc) / 2, (sxx * syy - sxy * sxy) / lmax);
  return lmin <= 1e-10 * lmax;
}

interface Normalised {
  /** x_normalised = T x */
  T: Mat3;
  xs: Float64Array;
  ys: Float64Array;
}

/** Hartley normalisation: centroid to the origin, mean distance from it sqrt(2). */
export function hartley(pts: readonly Point[]): Normalised | null {
  const n = pts.length;
  let mx = 0;
  let my = 0;
  for (const p of pts) {
    mx += p[0];
    my += p[1];
  }
  mx /= n;
  my /= n;
  let md = 0;
  for (const p of pts) {
    const dx = p[0] - mx;
    const dy = p[1] - my;
    md += Math.sqrt(dx * dx + dy * dy); // not Math.hypot: this runs for every RANSAC fit
  }
  md /= n;
  if (!(md > 0) || !Number.isFinite(md)) return null;
  const s = Math.SQRT2 / md;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = (pts[i][0] - mx) * s;
    ys[i] = (pts[i][1] - my) * s;
  }
  return { T: [s, 0, -s * mx, 0, s, -s * my, 0, 0, 1], xs, ys };
}

/**
 * The (unit) null vector of a rows x 9 design matrix: exact elimination for a minimal sample
 * (8 rows), least squares by SVD otherwise. Null when the solution is not unique (rank < 8).
 */
export function solveNull9(A: Float64Array, rows: number): number[] | null {
  if (rows === 8) return nullVectorMinimal(A, 8, 9);
  if (rows <= 9) {
    const padded = Float64Array.from({ length: 81 }, (_, k) => (k < A.length ? A[k] : 0));
    const { x, S } = nullVector(padded, 9, 9);
    return S[7] > 1e-10 * S[0] ? x : null;
  }
  // Many rows: the 9 x 9 scatter A^T A has the same right singular vectors (values squared).
  // On Hartley-normalised data its conditioning is fine, and it costs one pass over A.
  const M = new Float64Array(81);
  for (let r = 0; r < rows; r++) {
    const o = r * 9;
    for (let i = 0; i < 9; i++) {
      const ai = A[o + i];
      if (ai === 0) continue;
      for (let j = i; j < 9; j++) M[i * 9 + j] += ai * A[o + j];
    }
  }
  for (let i = 0; i < 9; i++) for (let j = 0; j < i; j++) M[i * 9 + j] = M[j * 9 + i];
  const { x, S } = nullVector(M, 9, 9);
  return S[7] > 1e-20 * S[0] ? x : null;
}
