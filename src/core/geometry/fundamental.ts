/**
 * The fundamental matrix (x2^T F x1 = 0): the Sampson distance the RANSACs threshold, the
 * normalised 8-point algorithm, and Levenberg-Marquardt on the Sampson error over the rank-2
 * manifold (also the essential matrix's refinement, on its own manifold).
 */
import type { Point } from '../types';
import { det3, frobenius, mul3, rodrigues, solveLinear, svd3, transpose3, type Mat3 } from '../linalg';
import { allFinite, hartley, isCollinear, solveNull9 } from './dlt';
import { masked, pick, ransac, type RansacOptions } from './ransac';

/**
 * Sampson distance (first-order geometric error, in the units of the points) of the
 * correspondence x1 <-> x2 to F (x2^T F x1 = 0). This is what the RANSACs threshold.
 */
export function sampsonDistance(F: readonly number[], x1: number, y1: number, x2: number, y2: number): number {
  const a0 = F[0] * x1 + F[1] * y1 + F[2];
  const a1 = F[3] * x1 + F[4] * y1 + F[5];
  const a2 = F[6] * x1 + F[7] * y1 + F[8];
  const b0 = F[0] * x2 + F[3] * y2 + F[6];
  const b1 = F[1] * x2 + F[4] * y2 + F[7];
  const e = x2 * a0 + y2 * a1 + a2;
  const den = a0 * a0 + a1 * a1 + b0 * b0 + b1 * b1;
  if (!(den > 0)) return Infinity;
  return Math.abs(e) / Math.sqrt(den);
}

/**
 * The 8-point solution on Hartley-normalised points with rank 2 enforced, denormalised, unit
 * Frobenius norm.
 */
export function eightPoint(p1: readonly Point[], p2: readonly Point[], rank2 = true): Mat3 | null {
  const n = p1.length;
  if (n < 8 || p2.length !== n || !allFinite(p1) || !allFinite(p2)) return null;
  if (isCollinear(p1) || isCollinear(p2)) return null;
  const a = hartley(p1);
  const b = hartley(p2);
  if (!a || !b) return null;
  const A = new Float64Array(n * 9);
  for (let i = 0; i < n; i++) {
    const x1 = a.xs[i];
    const y1 = a.ys[i];
    const x2 = b.xs[i];
    const y2 = b.ys[i];
    const r = 9 * i;
    A[r] = x2 * x1;
    A[r + 1] = x2 * y1;
    A[r + 2] = x2;
    A[r + 3] = y2 * x1;
    A[r + 4] = y2 * y1;
    A[r + 5] = y2;
    A[r + 6] = x1;
    A[r + 7] = y1;
    A[r + 8] = 1;
  }
  const f = solveNull9(A, n);
  if (!f) return null;
  // Rank 2 in the normalised frame (where it is well conditioned), then back. Skipped when the
  // caller projects onto the essential manifold anyway.
  let Fn: Mat3 = f;
  if (rank2) {
    const { U, S: s, V } = svd3(f);
    Fn = mul3(mul3(U, [s[0], 0, 0, 0, s[1], 0, 0, 0, 0]), transpose3(V));
  }
  const F = mul3(mul3(transpose3(b.T), Fn), a.T);
  const norm = frobenius(F);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  return F.map((v) => v / norm);
}

/** Signed Sampson residuals of M over the correspondences, into `out`; returns the sum of squares. */
function sampsonResiduals(M: readonly number[], p1: readonly Point[], p2: readonly Point[], out: Float64Array): number {
  let cost = 0;
  for (let i = 0; i < p1.length; i++) {
    const [x1, y1] = p1[i];
    const [x2, y2] = p2[i];
    const a0 = M[0] * x1 + M[1] * y1 + M[2];
    const a1 = M[3] * x1 + M[4] * y1 + M[5];
    const a2 = M[6] * x1 + M[7] * y1 + M[8];
    const b0 = M[0] * x2 + M[3] * y2 + M[6];
    const b1 = M[1] * x2 + M[4] * y2 + M[7];
    const den = a0 * a0 + a1 * a1 + b0 * b0 + b1 * b1;
    const r = den > 0 ? (x2 * a0 + y2 * a1 + a2) / Math.sqrt(den) : 0;
    out[i] = r;
    cost += r * r;
  }
  return cost;
}

/**
 * Levenberg-Marquardt on the Sampson error over the rank-2 manifold: M = U diag(1, s, 0) V^T with
 * U, V rotations updated by exp([w]x), and s free (fundamental, 7 dof) or fixed at 1 (essential,
 * 5 dof plus one gauge freedom the damping absorbs). The linear 8-point minimises an algebraic
 * error and, for E, the projection onto the manifold is not a fit at all; this is the fit.
 */
export function refineSampson(
  M0: readonly number[],
  p1: readonly Point[],
  p2: readonly Point[],
  essential: boolean,
  iterations = 10,
): number[] {
  const n = p1.length;
  const init = svd3(M0);
  let U = det3(init.U) < 0 ? init.U.map((v) => -v) : init.U;
  let V = det3(init.V) < 0 ? init.V.map((v) => -v) : init.V;
  let s = essential || !(init.S[0] > 0) ? 1 : init.S[1] / init.S[0];
  const np = essential ? 6 : 7;
  const build = (u: readonly number[], v: readonly number[], sv: number) =>
    mul3(mul3(u, [1, 0, 0, 0, sv, 0, 0, 0, 0]), transpose3(v));
  const apply = (delta: readonly number[]) => ({
    U: mul3(U, rodrigues(delta.slice(0, 3))),
    V: mul3(V, rodrigues(delta.slice(3, 6))),
    s: essential ? 1 : s + delta[6],
  });
  const r = new Float64Array(n);
  const rTry = new Float64Array(n);
  const J = new Float64Array(n * np);
  let cost = sampsonResiduals(build(U, V, s), p1, p2, r);
  let lambda = 1e-3;
  const h = 1e-7;
  for (let it = 0; it < iterations && cost > 0; it++) {
    // Forward-difference Jacobian of the residuals w.r.t. the local parameters.
    for (let k = 0; k < np; k++) {
      const delta = new Array<number>(np).fill(0);
      delta[k] = h;
      const q = apply(delta);
      sampsonResiduals(build(q.U, q.V, q.s), p1, p2, rTry);
      for (let i = 0; i < n; i++) J[i * np + k] = (rTry[i] - r[i]) / h;
    }
    const JtJ = new Float64Array(np * np);
    const Jtr = new Array<number>(np).fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * np;
      for (let a = 0; a < np; a++) {
        const ja = J[row + a];
        if (ja === 0) continue;
        Jtr[a] -= ja * r[i];
        for (let b = a; b < np; b++) JtJ[a * np + b] += ja * J[row + b];
      }
    }
    for (let a = 0; a < np; a++) for (let b = 0; b < a; b++) JtJ[a * np + b] = JtJ[b * np + a];
    let improved = false;
    for (let attempt = 0; attempt < 8 && !improved; attempt++) {
      const A = Float64Array.from(JtJ);
      for (let a = 0; a < np; a++) A[a * np + a] += lambda * (JtJ[a * np + a] + 1e-12);
      const delta = solveLinear(A, Jtr, np);
      if (!delta || !delta.every(Number.isFinite)) {
        lambda *= 10;
        continue;
      }
      const q = apply(delta);
      const c = sampsonResiduals(build(q.U, q.V, q.s), p1, p2, rTry);
      if (c < cost) {
        U = q.U;
        V = q.V;
        s = q.s;
        r.set(rTry);
        const gain = cost - c;
        cost = c;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (gain < 1e-10 * cost) it = iterations; // converged
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  const M = build(U, V, s);
  const norm = frobenius(M);
  return M.map((v) => v / norm);
}

/**
 * Normalised 8-point algorithm (Hartley 1997) with rank-2 enforcement: x2^T F x1 = 0.
 * For n > 8: linear least squares, then Levenberg-Marquardt on the Sampson error.
 * Unit Frobenius norm; null if degenerate.
 */
export function estimateFundamental(p1: readonly Point[], p2: readonly Point[]): number[] | null {
  const F = eightPoint(p1, p2);
  if (!F || p1.length === 8) return F;
  return refineSampson(F, p1, p2, false);
}

/**
 * RANSAC fundamental matrix (x2^T F x1 = 0): 8-point samples, inliers by the Sampson distance
 * (px, default threshold 1.5; the first-order geometric error, not the symmetric epipolar distance
 * that `metrics.symmetricEpipolarDistance` reports), adaptive iteration count, refits on the
 * inliers and a final Sampson Levenberg-Marquardt polish (`refineSampson`).
 */
export function ransacFundamental(
  p1: readonly Point[],
  p2: readonly Point[],
  opts: RansacOptions = {},
): { F: number[]; inliers: Uint8Array; inlierCount: number } | null {
  const n = p1.length;
  if (n < 8 || p2.length !== n || !allFinite(p1) || !allFinite(p2)) return null;
  if (isCollinear(p1) || isCollinear(p2)) return null;
  const r = ransac(
    n,
    8,
    (idx) => {
      const F = estimateFundamental(pick(p1, idx), pick(p2, idx));
      return F ? [F] : [];
    },
    (m, polish) => {
      const q1 = masked(p1, m);
      const q2 = masked(p2, m);
      return polish ? estimateFundamental(q1, q2) : eightPoint(q1, q2);
    },
    (F, i) => sampsonDistance(F, p1[i][0], p1[i][1], p2[i][0], p2[i][1]),
    opts,
    1.5,
  );
  return r ? { F: r.M, inliers: r.inliers, inlierCount: r.inlierCount } : null;
}
