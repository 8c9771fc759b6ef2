/**
 * The essential matrix on K^-1-normalised points: five-point samples inside the RANSAC, 8-point
 * refits projected onto the essential manifold, and a Sampson Levenberg-Marquardt polish there.
 */
import type { Point } from '../types';
import { mul3, svd3, transpose3 } from '../linalg';
import { allFinite, isCollinear } from './dlt';
import { essentialFivePoint } from './five-point';
import { eightPoint, refineSampson, sampsonDistance } from './fundamental';
import { masked, pick, ransac, type RansacOptions } from './ransac';

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
