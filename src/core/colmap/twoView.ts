/**
 * A pair's verified geometry for COLMAP's `two_view_geometries`: the fundamental matrix RANSAC
 * fits to the pair's matches (in the keypoints' own pixels) and its inliers. Pairs with fewer
 * inliers than COLMAP's own minimum (min_num_inliers, 15) are stored as DEGENERATE with no
 * inliers, as COLMAP's verification stores them, so the mapper ignores them.
 */
import { ransacFundamental } from '../geometry';
import type { Point } from '../types';
import { TWO_VIEW_CONFIG, type TwoViewGeometryRow } from './database';

/** COLMAP's SiftMatchingOptions / TwoViewGeometryOptions min_num_inliers. */
export const MIN_NUM_INLIERS = 15;

export interface VerifyOptions {
  /** Sampson distance (pixels of the keypoints) under which a match is an inlier. */
  thresholdPx: number;
  minInliers?: number;
}

/** F-RANSAC over matches given as keypoint indices into A's and B's points. Seeded: deterministic. */
export function verifyPair(
  pointsA: readonly Point[],
  pointsB: readonly Point[],
  matches: ReadonlyArray<readonly [number, number]>,
  options: VerifyOptions,
): TwoViewGeometryRow {
  const minInliers = options.minInliers ?? MIN_NUM_INLIERS;
  const degenerate: TwoViewGeometryRow = { inliers: [], config: TWO_VIEW_CONFIG.DEGENERATE };
  if (matches.length < Math.max(8, minInliers)) return degenerate;
  const p1 = matches.map(([a]) => pointsA[a]);
  const p2 = matches.map(([, b]) => pointsB[b]);
  const fit = ransacFundamental(p1, p2, { threshold: options.thresholdPx, seed: 1 });
  if (!fit || fit.inlierCount < minInliers) return degenerate;
  return { inliers: matches.filter((_, i) => fit.inliers[i]), config: TWO_VIEW_CONFIG.UNCALIBRATED, F: fit.F };
}
