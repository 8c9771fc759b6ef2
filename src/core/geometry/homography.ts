/**
 * Homographies: dst ~ H src by the normalised DLT, refined by Levenberg-Marquardt on the
 * reprojection error, inside the RANSAC of `ransac.ts`.
 */
import type { Point } from '../types';
import { det3, frobenius, inverse3, mul3, solveLinear } from '../linalg';
import { allFinite, hartley, isCollinear, solveNull9 } from './dlt';
import { masked, pick, ransac, type RansacOptions } from './ransac';

export function applyHomography(H: readonly number[], p: Point): Point {
  const x = p[0];
  const y = p[1];
  const w = H[6] * x + H[7] * y + H[8];
  return [(H[0] * x + H[1] * y + H[2]) / w, (H[3] * x + H[4] * y + H[5]) / w];
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

/**
 * RANSAC homography dst ~ H src: 4-point normalised DLT samples, inliers by reprojection error
 * ||H src - dst|| in the dst image (px, default 3), adaptive iteration count, least-squares
 * refits on the inliers and a final Levenberg-Marquardt polish of that error (`refineHomography`).
 * Null for fewer than 4 points, collinear input, or no valid sample.
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
