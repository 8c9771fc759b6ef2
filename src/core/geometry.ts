/**
 * Two-view geometry from matches: homography (normalised DLT), fundamental matrix (normalised
 * 8-point), essential matrix (8-point on K^-1-normalised points with the essential constraint
 * enforced), each inside a seeded, adaptive RANSAC, and relative pose from E by cheirality.
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
  return cr <= 1e-6 * Math.hypot(ux, uy) * Math.hypot(vx, vy);
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
  for (const p of pts) md += Math.hypot(p[0] - mx, p[1] - my);
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
  const padded = rows < 9 ? Float64Array.from({ length: 81 }, (_, k) => (k < A.length ? A[k] : 0)) : A;
  const { x, S } = nullVector(padded, Math.max(rows, 9), 9);
  return S[7] > 1e-10 * S[0] ? x : null;
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

function homographyError(H: readonly number[], s: Point, d: Point): number {
  const x = s[0];
  const y = s[1];
  const w = H[6] * x + H[7] * y + H[8];
  if (w === 0) return Infinity;
  const u = (H[0] * x + H[1] * y + H[2]) / w;
  const v = (H[3] * x + H[4] * y + H[5]) / w;
  const e = Math.hypot(u - d[0], v - d[1]);
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

/** The unconstrained 8-point solution on Hartley-normalised points, denormalised. */
function eightPoint(p1: readonly Point[], p2: readonly Point[]): Mat3 | null {
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
  // Rank 2 in the normalised frame (where it is well conditioned), then back.
  const { U, S: s, V } = svd3(f);
  const Fn = mul3(mul3(U, [s[0], 0, 0, 0, s[1], 0, 0, 0, 0]), transpose3(V));
  const F = mul3(mul3(transpose3(b.T), Fn), a.T);
  const norm = frobenius(F);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  return F.map((v) => v / norm);
}

/**
 * Normalised 8-point algorithm (Hartley 1997) with rank-2 enforcement: x2^T F x1 = 0.
 * Least squares for n > 8. Unit Frobenius norm; null if degenerate.
 */
export function estimateFundamental(p1: readonly Point[], p2: readonly Point[]): number[] | null {
  return eightPoint(p1, p2);
}

/** The nearest essential matrix: singular values (s, s, 0) -> (1, 1, 0). */
export function enforceEssential(E: readonly number[]): number[] {
  const { U, V } = svd3(E);
  return mul3(mul3(U, [1, 0, 0, 0, 1, 0, 0, 0, 0]), transpose3(V)).map((v) => v / Math.SQRT2);
}

/**
 * Essential matrix from K^-1-normalised points by the 8-point algorithm, projected onto the
 * essential manifold (two equal singular values, third zero). Unit Frobenius norm; null if degenerate.
 */
export function estimateEssential(p1n: readonly Point[], p2n: readonly Point[]): number[] | null {
  const F = eightPoint(p1n, p2n);
  return F ? enforceEssential(F) : null;
}

// ---------------------------------------------------------------------------------------------
// RANSAC

interface Model {
  M: number[];
}

function ransac(
  n: number,
  sampleSize: number,
  fit: (idx: Int32Array) => number[] | null,
  fitAll: (mask: Uint8Array) => number[] | null,
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

  let best: number[] | null = null;
  let bestCount = -1;
  let bestCost = Infinity;
  let needed = maxIterations;
  for (let iter = 0; iter < needed; iter++) {
    sampleDistinct(rng, n, sampleSize, idx);
    const M = fit(idx);
    if (!M) continue;
    // Score: inlier count, ties broken by the MSAC cost (sum of truncated squared errors).
    let count = 0;
    let cost = 0;
    const t2 = threshold * threshold;
    for (let i = 0; i < n; i++) {
      const e = error(M, i);
      if (e < threshold) {
        count++;
        cost += e * e;
      } else cost += t2;
    }
    if (count > bestCount || (count === bestCount && cost < bestCost)) {
      best = M;
      bestCount = count;
      bestCost = cost;
      const w = count / n;
      const pAllIn = Math.pow(w, sampleSize);
      if (pAllIn >= 1) needed = Math.min(needed, iter + 1);
      else if (pAllIn > 0) {
        const k = Math.ceil(Math.log(1 - confidence) / Math.log(1 - pAllIn));
        if (Number.isFinite(k)) needed = Math.min(maxIterations, Math.max(k, iter + 1));
      }
    }
  }
  if (!best) return null;

  // Local optimisation: refit on all inliers while that does not lose inliers.
  const mask = (M: number[]) => {
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
  let cur = mask(best);
  for (let round = 0; round < 5 && cur.c >= sampleSize; round++) {
    const M = fitAll(cur.m);
    if (!M) break;
    const next = mask(M);
    if (next.c < cur.c) break;
    best = M;
    const same = next.c === cur.c && next.m.every((v, i) => v === cur.m[i]);
    cur = next;
    if (same) break;
  }
  return { M: best, inliers: cur.m, inlierCount: cur.c };
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
 * ||H src - dst|| in the dst image (px, default 3), adaptive iteration count, final least-squares
 * refit on all inliers. Null for fewer than 4 points, collinear input, or no valid sample.
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
      if (quadDegenerate(s) || quadDegenerate(d)) return null;
      return estimateHomography(s, d);
    },
    (m) => estimateHomography(masked(src, m), masked(dst, m)),
    (H, i) => homographyError(H, src[i], dst[i]),
    opts,
    3,
  );
  return r ? { H: r.M, inliers: r.inliers, inlierCount: r.inlierCount } : null;
}

/**
 * RANSAC fundamental matrix (x2^T F x1 = 0): 8-point samples, inliers by the Sampson distance
 * (px, default threshold 1.5), adaptive iteration count, final 8-point refit on all inliers.
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
    (idx) => estimateFundamental(pick(p1, idx), pick(p2, idx)),
    (m) => estimateFundamental(masked(p1, m), masked(p2, m)),
    (F, i) => sampsonDistance(F, p1[i][0], p1[i][1], p2[i][0], p2[i][1]),
    opts,
    1.5,
  );
  return r ? { F: r.M, inliers: r.inliers, inlierCount: r.inlierCount } : null;
}

/**
 * RANSAC essential matrix on K^-1-normalised points: 8-point samples projected onto the
 * essential manifold, inliers by the Sampson distance in normalised units (default threshold
 * 1e-3, about 1 px at a 1000 px focal length: pass threshold_px / focal_px), final refit.
 */
export function ransacEssential(
  p1n: readonly Point[],
  p2n: readonly Point[],
  opts: RansacOptions = {},
): { E: number[]; inliers: Uint8Array; inlierCount: number } | null {
  const n = p1n.length;
  if (n < 8 || p2n.length !== n || !allFinite(p1n) || !allFinite(p2n)) return null;
  if (isCollinear(p1n) || isCollinear(p2n)) return null;
  const r = ransac(
    n,
    8,
    (idx) => estimateEssential(pick(p1n, idx), pick(p2n, idx)),
    (m) => estimateEssential(masked(p1n, m), masked(p2n, m)),
    (E, i) => sampsonDistance(E, p1n[i][0], p1n[i][1], p2n[i][0], p2n[i][1]),
    opts,
    1e-3,
  );
  return r ? { E: r.M, inliers: r.inliers, inlierCount: r.inlierCount } : null;
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
