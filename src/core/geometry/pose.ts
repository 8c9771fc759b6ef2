/**
 * Relative pose: R and t from an essential matrix by cheirality, E and F from a pose, and pixel
 * points to K^-1-normalised image coordinates.
 */
import type { Point } from '../types';
import { det3, inverse3, mul3, svd3, transpose3, type Vec3 } from '../linalg';

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
