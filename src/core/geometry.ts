/**
 * Two-view geometry from matches: homography (normalised DLT), fundamental matrix (normalised
 * 8-point), essential matrix (Nistér's 5-point solver for RANSAC samples; 8-point with the
 * essential constraint enforced for least squares), each inside a seeded, adaptive RANSAC, and
 * relative pose from E by cheirality.
 *
 * The RANSAC is LO-RANSAC with MSAC scoring: a sample that beats the best sample so far is
 * locally optimised (least-squares refits on its inliers, plus refits of random inlier subsets),
 * the model with the lowest truncated-quadratic cost wins, and the winner gets a final polished
 * fit (for F and E: Levenberg-Marquardt on the Sampson error over the rank-2 / essential manifold).
 * Without these, the linear fits bend towards the few outliers that fall inside the threshold.
 *
 * Points are `[x, y]`; matrices are row-major `number[]` of length 9. Degenerate input (too few
 * points, all points on a line, a rank-deficient system) returns null, never throws or hangs.
 */
import type { Point } from './types';
import {
  createRng,
  det3,
  inverse3,
  frobenius,
  mul3,
  nullVector,
  nullVectorMinimal,
  rodrigues,
  solveLinear,
  cross,
  sampleDistinct,
  svd3,
  transpose3,
  type Mat3,
  type Vec3,
} from './linalg';

export interface RansacOptions {
  /** Inlier threshold (px for H and F, normalised image units for E). */
  threshold?: number;
  /** Upper bound on iterations (the adaptive count stops earlier). Default 2000. */
  maxIterations?: number;
  /** Probability of drawing at least one all-inlier sample. Default 0.999. */
  confidence?: number;
  /** PRNG seed: the same seed and input give the same result. Default 0. */
  seed?: number;
}

export interface RansacResult {
  inliers: Uint8Array;
  inlierCount: number;
}

export function applyHomography(H: readonly number[], p: Point): Point {
  const x = p[0];
  const y = p[1];
  const w = H[6] * x + H[7] * y + H[8];
  return [(H[0] * x + H[1] * y + H[2]) / w, (H[3] * x + H[4] * y + H[5]) / w];
}

// ---------------------------------------------------------------------------------------------
// Degeneracy checks and Hartley normalisation

function allFinite(pts: readonly Point[]): boolean {
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

/** True when a, b, c are (nearly) on one line: the sine of the angle at a is below 1e-6. */
function triangleDegenerate(a: Point, b: Point, c: Point): boolean {
  const ux = b[0] - a[0];
  const uy = b[1] - a[1];
  const vx = c[0] - a[0];
  const vy = c[1] - a[1];
  const cr = Math.abs(ux * vy - uy * vx);
  return cr <= 1e-6 * Math.sqrt((ux * ux + uy * uy) * (vx * vx + vy * vy));
}

/** Any three of four points collinear: such a minimal sample defines no homography. */
function quadDegenerate(p: Point[]): boolean {
  return (
    triangleDegenerate(p[0], p[1], p[2]) ||
    triangleDegenerate(p[0], p[1], p[3]) ||
    triangleDegenerate(p[0], p[2], p[3]) ||
    triangleDegenerate(p[1], p[2], p[3])
  );
}

interface Normalised {
  /** x_normalised = T x */
  T: Mat3;
  xs: Float64Array;
  ys: Float64Array;
}

/** Hartley normalisation: centroid to the origin, mean distance from it sqrt(2). */
function hartley(pts: readonly Point[]): Normalised | null {
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
function solveNull9(A: Float64Array, rows: number): number[] | null {
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

// ---------------------------------------------------------------------------------------------
// Homography

/**
 * Normalised DLT (Hartley & Zisserman, alg. 4.2): dst ~ H src, least squares for n > 4.
 * Returns H scaled so H[8] = 1 (or unit Frobenius norm if H[8] vanishes), or null if degenerate.
 */
export function estimateHomography(src: readonly Point[], dst: readonly Point[]): number[] | null {
  const n = src.length;
  if (n < 4 || dst.length !== n || !allFinite(src) || !allFinite(dst)) return null;
  if (isCollinear(src) || isCollinear(dst)) return null;
  const a = hartley(src);
  const b = hartley(dst);
  if (!a || !b) return null;
  const A = new Float64Array(2 * n * 9);
  for (let i = 0; i < n; i++) {
    const x = a.xs[i];
    const y = a.ys[i];
    const u = b.xs[i];
    const v = b.ys[i];
    const r = 18 * i;
    // Row 1: [0, -x, v x]; row 2: [x, 0, -u x] (x = (x, y, 1)).
    A[r + 3] = -x;
    A[r + 4] = -y;
    A[r + 5] = -1;
    A[r + 6] = v * x;
    A[r + 7] = v * y;
    A[r + 8] = v;
    A[r + 9] = x;
    A[r + 10] = y;
    A[r + 11] = 1;
    A[r + 15] = -u * x;
    A[r + 16] = -u * y;
    A[r + 17] = -u;
  }
  const h = solveNull9(A, 2 * n);
  if (!h) return null;
  const Tb = inverse3(b.T);
  if (!Tb) return null;
  const H = mul3(mul3(Tb, h), a.T);
  const f = frobenius(H);
  if (!(f > 0) || !Number.isFinite(f)) return null;
  // A homography must be invertible; a (near-)singular one maps the plane onto a line.
  if (Math.abs(det3(H)) <= 1e-12 * f * f * f) return null;
  const s = Math.abs(H[8]) > 1e-12 * f ? 1 / H[8] : 1 / f;
  return H.map((v) => v * s);
}

/**
 * Levenberg-Marquardt on the reprojection error in the dst image, sum ||H src - dst||^2 (the
 * maximum-likelihood fit when only dst is noisy, and what the RANSAC inlier test measures),
 * from an initial H with H[8] = 1, which stays fixed. Returns the start if it cannot improve.
 */
export function refineHomography(H0: readonly number[], src: readonly Point[], dst: readonly Point[], iterations = 10): number[] {
  const n = Math.min(src.length, dst.length);
  if (n < 4 || !(Math.abs(H0[8]) > 0)) return H0.slice();
  let h = H0.map((v) => v / H0[8]);
  const residualCost = (H: readonly number[]) => {
    let c = 0;
    for (let i = 0; i < n; i++) {
      const e = homographyError(H, src[i], dst[i]);
      c += e * e;
    }
    return c;
  };
  let cost = residualCost(h);
  if (!Number.isFinite(cost)) return H0.slice();
  let lambda = 1e-3;
  for (let it = 0; it < iterations && cost > 0; it++) {
    const JtJ = new Float64Array(64);
    const Jtr = new Array<number>(8).fill(0);
    const ju = new Array<number>(8);
    const jv = new Array<number>(8);
    for (let i = 0; i < n; i++) {
      const [x, y] = src[i];
      const w = h[6] * x + h[7] * y + 1;
      if (w === 0) continue;
      const u = (h[0] * x + h[1] * y + h[2]) / w;
      const v = (h[3] * x + h[4] * y + h[5]) / w;
      const ru = u - dst[i][0];
      const rv = v - dst[i][1];
      ju[0] = x / w; ju[1] = y / w; ju[2] = 1 / w; ju[3] = 0; ju[4] = 0; ju[5] = 0;
      ju[6] = (-u * x) / w; ju[7] = (-u * y) / w;
      jv[0] = 0; jv[1] = 0; jv[2] = 0; jv[3] = x / w; jv[4] = y / w; jv[5] = 1 / w;
      jv[6] = (-v * x) / w; jv[7] = (-v * y) / w;
      for (let a = 0; a < 8; a++) {
        Jtr[a] -= ju[a] * ru + jv[a] * rv;
        for (let b = a; b < 8; b++) JtJ[a * 8 + b] += ju[a] * ju[b] + jv[a] * jv[b];
      }
    }
    for (let a = 0; a < 8; a++) for (let b = 0; b < a; b++) JtJ[a * 8 + b] = JtJ[b * 8 + a];
    let improved = false;
    for (let attempt = 0; attempt < 8 && !improved; attempt++) {
      const A = Float64Array.from(JtJ);
      for (let a = 0; a < 8; a++) A[a * 9] += lambda * (JtJ[a * 9] + 1e-12);
      const delta = solveLinear(A, Jtr, 8);
      if (!delta || !delta.every(Number.isFinite)) {
        lambda *= 10;
        continue;
      }
      const next = h.map((v, k) => (k < 8 ? v + delta[k] : 1));
      const c = residualCost(next);
      if (c < cost) {
        const gain = cost - c;
        h = next;
        cost = c;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (gain < 1e-10 * cost) it = iterations;
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  return h;
}

function homographyError(H: readonly number[], s: Point, d: Point): number {
  const x = s[0];
  const y = s[1];
  const w = H[6] * x + H[7] * y + H[8];
  if (w === 0) return Infinity;
  const u = (H[0] * x + H[1] * y + H[2]) / w;
  const v = (H[3] * x + H[4] * y + H[5]) / w;
  const du = u - d[0];
  const dv = v - d[1];
  const e = Math.sqrt(du * du + dv * dv);
  return Number.isNaN(e) ? Infinity : e;
}

// ---------------------------------------------------------------------------------------------
// Fundamental and essential matrices

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
function eightPoint(p1: readonly Point[], p2: readonly Point[], rank2 = true): Mat3 | null {
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
function refineSampson(
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

/** The nearest essential matrix: singular values (s, s, 0) -> (1, 1, 0). */
export function enforceEssential(E: readonly number[]): number[] {
  const { U, V } = svd3(E);
  return mul3(mul3(U, [1, 0, 0, 0, 1, 0, 0, 0, 0]), transpose3(V)).map((v) => v / Math.SQRT2);
}

/**
 * Essential matrix from K^-1-normalised points by the 8-point algorithm, projected onto the
 * essential manifold (two equal singular values, third zero), then (n > 8) Levenberg-Marquardt on
 * the Sampson error over that manifold. Unit Frobenius norm; null if degenerate.
 */
export function estimateEssential(p1n: readonly Point[], p2n: readonly Point[]): number[] | null {
  const F = eightPoint(p1n, p2n, false);
  if (!F) return null;
  // refineSampson starts from the projection of F onto the manifold.
  return p1n.length === 8 ? enforceEssential(F) : refineSampson(F, p1n, p2n, true);
}

// ---------------------------------------------------------------------------------------------
// RANSAC

interface Model {
  M: number[];
}

function ransac(
  n: number,
  sampleSize: number,
  /** The model(s) of a minimal sample (the 5-point solver has up to 10). */
  fit: (idx: Int32Array) => number[][],
  /** Least squares on the masked correspondences; `polish` asks for the best (slower) fit. */
  fitAll: (mask: Uint8Array, polish: boolean) => number[] | null,
  error: (M: number[], i: number) => number,
  opts: RansacOptions,
  defaultThreshold: number,
): (Model & RansacResult) | null {
  const threshold = opts.threshold ?? defaultThreshold;
  const maxIterations = Math.max(1, Math.floor(opts.maxIterations ?? 2000));
  const confidence = Math.min(Math.max(opts.confidence ?? 0.999, 0), 1 - 1e-12);
  if (n < sampleSize || !(threshold > 0)) return null;
  const rng = createRng(opts.seed ?? 0);
  const idx = new Int32Array(sampleSize);
  const t2 = threshold * threshold;

  // The MSAC cost (squared errors truncated at the threshold): it prefers the model that fits
  // its inliers best over one that bends to catch a few more.
  // `bound`: stop counting once the cost reaches it (the model has lost already).
  const cost = (M: number[], bound = Infinity) => {
    let c = 0;
    for (let i = 0; i < n && c < bound; i++) {
      const e = error(M, i);
      c += e < threshold ? e * e : t2;
    }
    return c;
  };
  const inliersOf = (M: number[]) => {
    const m = new Uint8Array(n);
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (error(M, i) < threshold) {
        m[i] = 1;
        c++;
      }
    }
    return { m, c };
  };
  // Local optimisation (LO-RANSAC): refit on the inliers while that lowers the cost.
  type Scored = { M: number[]; cost: number; m: Uint8Array; c: number };
  const refine = (start: Scored, rounds: number) => {
    let cur = start;
    for (let round = 0; round < rounds && cur.c >= sampleSize; round++) {
      const M2 = fitAll(cur.m, false);
      if (!M2) break;
      const c2 = cost(M2);
      if (!(c2 < cur.cost)) break;
      cur = { M: M2, cost: c2, ...inliersOf(M2) };
    }
    return cur;
  };
  // ...and an inner RANSAC: least-squares fits of random subsets of those inliers (twice the
  // minimal size), each refined. A least-squares fit on ALL the inliers of a model that bent to
  // catch a few outliers stays bent; fits of subsets often miss those outliers.
  const innerSize = 2 * sampleSize;
  const sub = new Int32Array(innerSize);
  const optimise = (M: number[], c: number) => {
    let top = refine({ M, cost: c, ...inliersOf(M) }, 4);
    const from = top;
    if (from.c <= innerSize) return top;
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (from.m[i]) members.push(i);
    for (let k = 0; k < 5; k++) {
      sampleDistinct(rng, members.length, innerSize, sub);
      const mask = new Uint8Array(n);
      for (let j = 0; j < innerSize; j++) mask[members[sub[j]]] = 1;
      const M2 = fitAll(mask, false);
      if (!M2) continue;
      const r = refine({ M: M2, cost: cost(M2), ...inliersOf(M2) }, 2);
      if (r.cost < top.cost) top = r;
    }
    return top;
  };

  // Local optimisation runs when a sample beats the best SAMPLE so far (an optimised model's cost
  // is out of reach of raw samples, and would stop the search at the first one).
  let best: Scored | null = null;
  let bestSampleCost = Infinity;
  let needed = maxIterations;
  for (let iter = 0; iter < needed; iter++) {
    sampleDistinct(rng, n, sampleSize, idx);
    for (const M of fit(idx)) {
      const c = cost(M, bestSampleCost);
      if (!(c < bestSampleCost)) continue;
      bestSampleCost = c;
      const candidate = optimise(M, c);
      if (best && !(candidate.cost < best.cost)) continue;
      best = candidate;
      const pAllIn = Math.pow(best.c / n, sampleSize);
      if (pAllIn >= 1) needed = iter + 1;
      else if (pAllIn > 0) {
        const k = Math.ceil(Math.log(1 - confidence) / Math.log(1 - pAllIn));
        if (Number.isFinite(k)) needed = Math.min(maxIterations, Math.max(k, iter + 1));
      }
    }
  }
  if (!best) return null;
  // Polish: the best fit (e.g. Levenberg-Marquardt on the Sampson error) on the final inliers.
  if (best.c >= sampleSize) {
    const M = fitAll(best.m, true);
    if (M) {
      const c = cost(M);
      if (c < best.cost) best = { M, cost: c, ...inliersOf(M) };
    }
  }
  return { M: best.M, inliers: best.m, inlierCount: best.c };
}

function pick<T>(arr: readonly T[], idx: Int32Array): T[] {
  const out = new Array<T>(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = arr[idx[i]];
  return out;
}

function masked<T>(arr: readonly T[], mask: Uint8Array): T[] {
  const out: T[] = [];
  for (let i = 0; i < arr.length; i++) if (mask[i]) out.push(arr[i]);
  return out;
}

/**
 * RANSAC homography dst ~ H src: 4-point normalised DLT samples, inliers by reprojection error
 * ||H src - dst|| in the dst image (px, default 3), adaptive iteration count, least-squares
 * refits on the inliers and a final Levenberg-Marquardt polish of that error (see above). Null for fewer than 4 points, collinear input, or no valid sample.
 */
export function ransacHomography(
  src: readonly Point[],
  dst: readonly Point[],
  opts: RansacOptions = {},
): { H: number[]; inliers: Uint8Array; inlierCount: number } | null {
  const n = src.length;
  if (n < 4 || dst.length !== n || !allFinite(src) || !allFinite(dst)) return null;
  if (isCollinear(src) || isCollinear(dst)) return null;
  const r = ransac(
    n,
    4,
    (idx) => {
      const s = pick(src, idx);
      const d = pick(dst, idx);
      if (quadDegenerate(s) || quadDegenerate(d)) return [];
      const H = estimateHomography(s, d);
      return H ? [H] : [];
    },
    (m, polish) => {
      const s = masked(src, m);
      const d = masked(dst, m);
      const H = estimateHomography(s, d);
      return H && polish ? refineHomography(H, s, d) : H;
    },
    (H, i) => homographyError(H, src[i], dst[i]),
    opts,
    3,
  );
  return r ? { H: r.M, inliers: r.inliers, inlierCount: r.inlierCount } : null;
}

/**
 * RANSAC fundamental matrix (x2^T F x1 = 0): 8-point samples, inliers by the Sampson distance
 * (px, default threshold 1.5; the first-order geometric error, not the symmetric epipolar distance
 * that `metrics.symmetricEpipolarDistance` reports), adaptive iteration count, refits on the
 * inliers and a final Sampson Levenberg-Marquardt polish (see above).
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

/**
 * RANSAC essential matrix on K^-1-normalised points: 5-point samples (up to 10 models each),
 * inliers by the Sampson distance in normalised units (default threshold 1e-3, about 1 px at a
 * 1000 px focal length: pass threshold_px / focal_px), refits on the inliers (8-point projected
 * onto the essential manifold) and a final Sampson Levenberg-Marquardt polish on that manifold.
 * Null for fewer than 5 points or collinear input.
 */
export function ransacEssential(
  p1n: readonly Point[],
  p2n: readonly Point[],
  opts: RansacOptions = {},
): { E: number[]; inliers: Uint8Array; inlierCount: number } | null {
  const n = p1n.length;
  if (n < 5 || p2n.length !== n || !allFinite(p1n) || !allFinite(p2n)) return null;
  if (isCollinear(p1n) || isCollinear(p2n)) return null;
  const r = ransac(
    n,
    5,
    // Samples: the five-point solver (up to 10 essential matrices each). Fewer points per sample
    // than the 8-point means far fewer samples at low inlier ratios, and each model is exactly
    // essential, so it cannot bend along directions the data barely constrains.
    (idx) => essentialFivePoint(pick(p1n, idx), pick(p2n, idx)),
    (m, polish) => {
      const q1 = masked(p1n, m);
      const q2 = masked(p2n, m);
      if (polish) return estimateEssential(q1, q2);
      const F = eightPoint(q1, q2, false);
      return F ? enforceEssential(F) : null;
    },
    (E, i) => sampsonDistance(E, p1n[i][0], p1n[i][1], p2n[i][0], p2n[i][1]),
    opts,
    1e-3,
  );
  if (!r) return null;
  // Whatever the refit did, what we return is essential, with its own inlier set.
  const E = enforceEssential(r.M);
  const inliers = new Uint8Array(n);
  let inlierCount = 0;
  const threshold = opts.threshold ?? 1e-3;
  for (let i = 0; i < n; i++) {
    if (sampsonDistance(E, p1n[i][0], p1n[i][1], p2n[i][0], p2n[i][1]) < threshold) {
      inliers[i] = 1;
      inlierCount++;
    }
  }
  return { E, inliers, inlierCount };
}

// ---------------------------------------------------------------------------------------------
// Pose

/**
 * Depths (z1, z2) of the least-squares intersection of the rays x1 (camera 1) and x2 (camera 2)
 * under x_cam2 = R x_cam1 + t: z2 x2 = z1 R x1 + t. Null for parallel rays.
 */
function rayDepths(R: readonly number[], t: readonly number[], x1: Point, x2: Point): [number, number] | null {
  const a0 = R[0] * x1[0] + R[1] * x1[1] + R[2];
  const a1 = R[3] * x1[0] + R[4] * x1[1] + R[5];
  const a2 = R[6] * x1[0] + R[7] * x1[1] + R[8];
  const b0 = x2[0];
  const b1 = x2[1];
  const aa = a0 * a0 + a1 * a1 + a2 * a2;
  const bb = b0 * b0 + b1 * b1 + 1;
  const ab = a0 * b0 + a1 * b1 + a2;
  const at = a0 * t[0] + a1 * t[1] + a2 * t[2];
  const bt = b0 * t[0] + b1 * t[1] + t[2];
  const det = aa * bb - ab * ab;
  if (!(det > 1e-12 * aa * bb)) return null;
  // Minimise |z1 a - z2 b + t|^2.
  const z1 = (-at * bb + ab * bt) / det;
  const z2 = (aa * bt - ab * at) / det;
  return [z1, z2];
}

/**
 * Relative pose from an essential matrix (x_cam2 = R x_cam1 + t, |t| = 1): of the four
 * decompositions (R1|R2) x (+t|-t), the one with the most points triangulated in front of both
 * cameras. `inliers` (optional) restricts which correspondences vote.
 */
export function recoverPose(
  E: readonly number[],
  p1n: readonly Point[],
  p2n: readonly Point[],
  inliers?: Uint8Array,
): { R: number[]; t: [number, number, number] } {
  const { U: U0, V: V0 } = svd3(E);
  const U = det3(U0) < 0 ? U0.map((v) => -v) : U0;
  const V = det3(V0) < 0 ? V0.map((v) => -v) : V0;
  const W = [0, -1, 0, 1, 0, 0, 0, 0, 1];
  const Vt = transpose3(V);
  const R1 = mul3(mul3(U, W), Vt);
  const R2 = mul3(mul3(U, transpose3(W)), Vt);
  const u3: Vec3 = [U[2], U[5], U[8]];
  const neg: Vec3 = [-u3[0], -u3[1], -u3[2]];
  const candidates: Array<{ R: number[]; t: Vec3 }> = [
    { R: R1, t: u3 },
    { R: R1, t: neg },
    { R: R2, t: u3 },
    { R: R2, t: neg },
  ];
  let best = candidates[0];
  let bestCount = -1;
  const n = Math.min(p1n.length, p2n.length);
  for (const c of candidates) {
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (inliers && !inliers[i]) continue;
      const z = rayDepths(c.R, c.t, p1n[i], p2n[i]);
      if (z && z[0] > 0 && z[1] > 0) count++;
    }
    if (count > bestCount) {
      bestCount = count;
      best = c;
    }
  }
  return { R: best.R, t: [best.t[0], best.t[1], best.t[2]] };
}

/** E = [t]x R for x_cam2 = R x_cam1 + t (unit Frobenius norm is not applied). */
export function essentialFromPose(R: readonly number[], t: readonly number[]): number[] {
  return mul3([0, -t[2], t[1], t[2], 0, -t[0], -t[1], t[0], 0], R);
}

/** F = K2^-T E K1^-1. Null if a K is singular. */
export function fundamentalFromEssential(E: readonly number[], K1: readonly number[], K2: readonly number[]): number[] | null {
  const K1i = inverse3(K1);
  const K2i = inverse3(K2);
  if (!K1i || !K2i) return null;
  return mul3(mul3(transpose3(K2i), E), K1i);
}

/** Pixel points to K^-1-normalised image coordinates. */
export function normalizePoints(pts: readonly Point[], K: readonly number[]): Point[] {
  const Ki = inverse3(K);
  if (!Ki) return pts.map(() => [NaN, NaN] as Point);
  return pts.map((p) => {
    const w = Ki[6] * p[0] + Ki[7] * p[1] + Ki[8];
    return [(Ki[0] * p[0] + Ki[1] * p[1] + Ki[2]) / w, (Ki[3] * p[0] + Ki[4] * p[1] + Ki[5]) / w] as Point;
  });
}

// ---------------------------------------------------------------------------------------------
// Five-point essential matrix (Nistér 2004; the constraint coefficients are expanded generically)

/** Monomials of degree <= 3 in (x, y, z), in Nistér's order: the first 10 are eliminated. */
const MONOMIALS: ReadonlyArray<readonly [number, number, number]> = [
  [3, 0, 0], [0, 3, 0], [2, 1, 0], [1, 2, 0], [2, 0, 1], [2, 0, 0], [0, 2, 1], [0, 2, 0], [1, 1, 1], [1, 1, 0],
  [1, 0, 2], [1, 0, 1], [1, 0, 0], [0, 1, 2], [0, 1, 1], [0, 1, 0], [0, 0, 3], [0, 0, 2], [0, 0, 1], [0, 0, 0],
];
/** Where x, y, z, 1 and the ten monomials of degree <= 2 sit in MONOMIALS. */
const LINEAR = [12, 15, 18, 19];
const QUADRATIC = [5, 7, 9, 11, 12, 14, 15, 17, 18, 19];

/** Index tables for products (linear x linear, and degree <= 2 x linear). */
const [LIN_LIN, QUAD_LIN] = (() => {
  const index = new Map(MONOMIALS.map(([a, b, c], i) => [a * 16 + b * 4 + c, i]));
  const product = (i: number, j: number) => {
    const [a1, b1, c1] = MONOMIALS[i];
    const [a2, b2, c2] = MONOMIALS[j];
    return index.get((a1 + a2) * 16 + (b1 + b2) * 4 + (c1 + c2))!;
  };
  const ll = new Int8Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) ll[i * 4 + j] = product(LINEAR[i], LINEAR[j]);
  const ql = new Int8Array(40);
  for (let i = 0; i < 10; i++) for (let j = 0; j < 4; j++) ql[i * 4 + j] = product(QUADRATIC[i], LINEAR[j]);
  return [ll, ql];
})();

/** out += s * a * b for linear a, b (coefficients of x, y, z, 1). */
function addLinLin(out: Float64Array, s: number, a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < 4; i++) {
    const ai = s * a[i];
    for (let j = 0; j < 4; j++) out[LIN_LIN[i * 4 + j]] += ai * b[j];
  }
}

/** out += s * q * a for q of degree <= 2 (over MONOMIALS) and linear a. */
function addQuadLin(out: Float64Array, s: number, q: Float64Array, a: Float64Array): void {
  for (let i = 0; i < 10; i++) {
    const qi = s * q[QUADRATIC[i]];
    if (qi === 0) continue;
    for (let j = 0; j < 4; j++) out[QUAD_LIN[i * 4 + j]] += qi * a[j];
  }
}

/** Univariate polynomials, coefficients in ascending powers. */
function upolyMul(p: readonly number[], q: readonly number[]): number[] {
  const out = new Array<number>(p.length + q.length - 1).fill(0);
  for (let i = 0; i < p.length; i++) for (let j = 0; j < q.length; j++) out[i + j] += p[i] * q[j];
  return out;
}

function upolyAdd(p: readonly number[], q: readonly number[], s = 1): number[] {
  const out = new Array<number>(Math.max(p.length, q.length)).fill(0);
  for (let i = 0; i < p.length; i++) out[i] += p[i];
  for (let i = 0; i < q.length; i++) out[i] += s * q[i];
  return out;
}

function upolyEval(p: readonly number[], x: number): number {
  let v = 0;
  for (let i = p.length - 1; i >= 0; i--) v = v * x + p[i];
  return v;
}

/**
 * Real roots of a polynomial (ascending coefficients): the real roots of its derivative split
 * the line (within the Cauchy bound) into monotone pieces, each bisected where the sign changes.
 * Simple and robust for the degree 10 needed here; a double root may be missed, which RANSAC
 * tolerates.
 */
export function realRoots(coeffs: readonly number[]): number[] {
  const p = coeffs.slice();
  let scale = 0;
  for (const c of p) scale = Math.max(scale, Math.abs(c));
  if (!(scale > 0) || !Number.isFinite(scale)) return [];
  while (p.length > 1 && Math.abs(p[p.length - 1]) <= 1e-14 * scale) p.pop();
  const deg = p.length - 1;
  if (deg < 1) return [];
  if (deg === 1) return [-p[0] / p[1]];
  let bound = 0;
  for (let i = 0; i < deg; i++) bound = Math.max(bound, Math.abs(p[i] / p[deg]));
  bound += 1;
  const derivative = p.slice(1).map((c, i) => c * (i + 1));
  const stops = [-bound];
  for (const r of realRoots(derivative).sort((a, b) => a - b)) if (r > -bound && r < bound) stops.push(r);
  stops.push(bound);
  const roots: number[] = [];
  let fa = upolyEval(p, stops[0]);
  for (let k = 0; k + 1 < stops.length; k++) {
    let a = stops[k];
    let b = stops[k + 1];
    const fb = upolyEval(p, b);
    const fNext = fb;
    if (fa === 0) roots.push(a);
    else if (fa * fb < 0) {
      let fl = fa;
      // Bisection to a tight bracket, then Newton steps that stay inside it.
      for (let it = 0; it < 100 && b - a > 1e-7 * Math.max(1, Math.abs(a)); it++) {
        const m = 0.5 * (a + b);
        const fm = upolyEval(p, m);
        if (fm === 0) {
          a = b = m;
          break;
        }
        if (fl * fm < 0) b = m;
        else {
          a = m;
          fl = fm;
        }
      }
      let r = 0.5 * (a + b);
      for (let it = 0; it < 4; it++) {
        const step = upolyEval(p, r) / upolyEval(derivative, r);
        const next = r - step;
        if (!(next >= a && next <= b)) break;
        r = next;
        if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(r))) break;
      }
      roots.push(r);
    }
    fa = fNext;
  }
  return roots;
}

/**
 * A basis of the null space of the 5 x 9 epipolar system, by Gauss-Jordan with full pivoting and
 * Gram-Schmidt; null when the 5 constraints are not independent.
 */
function fivePointNullSpace(Q: Float64Array): Float64Array[] | null {
  const m = Float64Array.from(Q);
  const perm = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  let scale = 0;
  for (let i = 0; i < 45; i++) scale = Math.max(scale, Math.abs(m[i]));
  if (!(scale > 0)) return null;
  for (let k = 0; k < 5; k++) {
    let pi = k;
    let pj = k;
    let best = 0;
    for (let i = k; i < 5; i++) {
      for (let j = k; j < 9; j++) {
        const v = Math.abs(m[i * 9 + j]);
        if (v > best) {
          best = v;
          pi = i;
          pj = j;
        }
      }
    }
    if (!(best > 1e-10 * scale)) return null;
    for (let j = 0; j < 9; j++) [m[k * 9 + j], m[pi * 9 + j]] = [m[pi * 9 + j], m[k * 9 + j]];
    for (let i = 0; i < 5; i++) [m[i * 9 + k], m[i * 9 + pj]] = [m[i * 9 + pj], m[i * 9 + k]];
    [perm[k], perm[pj]] = [perm[pj], perm[k]];
    const inv = 1 / m[k * 9 + k];
    for (let j = k; j < 9; j++) m[k * 9 + j] *= inv;
    for (let i = 0; i < 5; i++) {
      if (i === k) continue;
      const f = m[i * 9 + k];
      if (f !== 0) for (let j = k; j < 9; j++) m[i * 9 + j] -= f * m[k * 9 + j];
    }
  }
  // m = [I | C] in permuted columns: free column f gives x_perm[f] = 1, x_perm[r] = -C[r][f].
  const basis: Float64Array[] = [];
  for (let f = 5; f < 9; f++) {
    const v = new Float64Array(9);
    v[perm[f]] = 1;
    for (let r = 0; r < 5; r++) v[perm[r]] = -m[r * 9 + f];
    for (const u of basis) {
      let d = 0;
      for (let i = 0; i < 9; i++) d += u[i] * v[i];
      for (let i = 0; i < 9; i++) v[i] -= d * u[i];
    }
    const nrm = frobenius(v);
    for (let i = 0; i < 9; i++) v[i] /= nrm;
    basis.push(v);
  }
  return basis;
}

/**
 * All essential matrices (up to 10, unit Frobenius norm) consistent with 5 correspondences of
 * K^-1-normalised points (x2^T E x1 = 0), by Nistér's method: E = xX + yY + zZ + W over the
 * null space of the 5 epipolar constraints; the 10 cubic constraints det E = 0 and
 * 2 E E^T E - tr(E E^T) E = 0, reduced by Gauss-Jordan, give a degree-10 polynomial in z.
 */
export function essentialFivePoint(p1n: readonly Point[], p2n: readonly Point[]): number[][] {
  if (p1n.length !== 5 || p2n.length !== 5 || !allFinite(p1n) || !allFinite(p2n)) return [];
  const Q = new Float64Array(45);
  for (let i = 0; i < 5; i++) {
    const [u1, v1] = p1n[i];
    const [u2, v2] = p2n[i];
    const o = i * 9;
    Q[o] = u2 * u1;
    Q[o + 1] = u2 * v1;
    Q[o + 2] = u2;
    Q[o + 3] = v2 * u1;
    Q[o + 4] = v2 * v1;
    Q[o + 5] = v2;
    Q[o + 6] = u1;
    Q[o + 7] = v1;
    Q[o + 8] = 1;
  }
  const basis = fivePointNullSpace(Q);
  if (!basis) return [];
  // E_ij = x X_ij + y Y_ij + z Z_ij + W_ij: linear polynomials (coefficients of x, y, z, 1).
  const E = Array.from({ length: 9 }, (_, k) => Float64Array.of(basis[0][k], basis[1][k], basis[2][k], basis[3][k]));
  const e = (i: number, j: number) => E[i * 3 + j];
  const A = new Float64Array(200); // 10 constraints x 20 monomials
  const row = (r: number) => A.subarray(r * 20, r * 20 + 20);
  // det E, by cofactors along the first row.
  const cof = (a: Float64Array, b: Float64Array, c: Float64Array, d: Float64Array) => {
    const q = new Float64Array(20);
    addLinLin(q, 1, a, d);
    addLinLin(q, -1, b, c);
    return q;
  };
  addQuadLin(row(0), 1, cof(e(1, 1), e(1, 2), e(2, 1), e(2, 2)), e(0, 0));
  addQuadLin(row(0), -1, cof(e(1, 0), e(1, 2), e(2, 0), e(2, 2)), e(0, 1));
  addQuadLin(row(0), 1, cof(e(1, 0), e(1, 1), e(2, 0), e(2, 1)), e(0, 2));
  // 2 E E^T E - tr(E E^T) E = 0.
  const EEt: Float64Array[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const q = new Float64Array(20);
      for (let k = 0; k < 3; k++) addLinLin(q, 1, e(i, k), e(j, k));
      EEt.push(q);
    }
  }
  const trace = new Float64Array(20);
  for (let i = 0; i < 20; i++) trace[i] = EEt[0][i] + EEt[4][i] + EEt[8][i];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const r = row(1 + i * 3 + j);
      for (let k = 0; k < 3; k++) addQuadLin(r, 2, EEt[i * 3 + k], e(k, j));
      addQuadLin(r, -1, trace, e(i, j));
    }
  }
  // Gauss-Jordan, eliminating the first 10 monomials.
  for (let c = 0; c < 10; c++) {
    let piv = c;
    for (let r = c + 1; r < 10; r++) if (Math.abs(A[r * 20 + c]) > Math.abs(A[piv * 20 + c])) piv = r;
    if (!(Math.abs(A[piv * 20 + c]) > 1e-12)) return [];
    if (piv !== c) {
      for (let k = 0; k < 20; k++) [A[c * 20 + k], A[piv * 20 + k]] = [A[piv * 20 + k], A[c * 20 + k]];
    }
    const inv = 1 / A[c * 20 + c];
    for (let k = c; k < 20; k++) A[c * 20 + k] *= inv;
    for (let r = 0; r < 10; r++) {
      const f = A[r * 20 + c];
      if (r === c || f === 0) continue;
      for (let k = c; k < 20; k++) A[r * 20 + k] -= f * A[c * 20 + k];
    }
  }
  // <k> = <e> - z<f>, <l> = <g> - z<h>, <m> = <i> - z<j> (the rows of x^2 z, x^2, y^2 z, y^2,
  // xyz, xy): each is x * (cubic in z) + y * (cubic in z) + (quartic in z).
  const combine = (ra: number, rb: number) => {
    const a = (c: number) => A[ra * 20 + c];
    const b = (c: number) => A[rb * 20 + c];
    return [
      [a(12), a(11) - b(12), a(10) - b(11), -b(10)],
      [a(15), a(14) - b(15), a(13) - b(14), -b(13)],
      [a(19), a(18) - b(19), a(17) - b(18), a(16) - b(17), -b(16)],
    ];
  };
  const [k, l, m] = [combine(4, 5), combine(6, 7), combine(8, 9)];
  const minor = (a: number[], b: number[], c: number[], d: number[]) => upolyAdd(upolyMul(a, d), upolyMul(b, c), -1);
  let detN = upolyMul(k[0], minor(l[1], l[2], m[1], m[2]));
  detN = upolyAdd(detN, upolyMul(k[1], minor(l[0], l[2], m[0], m[2])), -1);
  detN = upolyAdd(detN, upolyMul(k[2], minor(l[0], l[1], m[0], m[1])));
  const out: number[][] = [];
  for (const z of realRoots(detN)) {
    const rowsAt = [k, l, m].map((r) => r.map((p) => upolyEval(p, z)));
    // [x, y, 1] spans the null space of the 3 x 3 matrix: the largest cross product of two rows.
    let v: Vec3 | null = null;
    let best = 0;
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) {
      const c = cross(rowsAt[a], rowsAt[b]);
      const nrm = Math.sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
      if (nrm > best) {
        best = nrm;
        v = c;
      }
    }
    if (!v || !(Math.abs(v[2]) > 1e-12 * best)) continue;
    const x = v[0] / v[2];
    const y = v[1] / v[2];
    const Em = E.map((p) => x * p[0] + y * p[1] + z * p[2] + p[3]);
    const nrm = frobenius(Em);
    if (nrm > 0 && Number.isFinite(nrm)) out.push(Em.map((q) => q / nrm));
  }
  return out;
}
