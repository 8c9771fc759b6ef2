/**
 * Two-view geometry from matches: homography (normalised DLT), fundamental matrix (normalised
 * 8-point), essential matrix (Nistér's 5-point solver for RANSAC samples; 8-point with the
 * essential constraint enforced for least squares), each inside a seeded, adaptive LO-RANSAC, and
 * relative pose from E by cheirality.
 *
 * Points are `[x, y]`; matrices are row-major `number[]` of length 9. Degenerate input (too few
 * points, all points on a line, a rank-deficient system) returns null, never throws or hangs.
 *
 *   ransac.ts       the LO-RANSAC / MSAC loop every estimator runs in
 *   dlt.ts          degeneracy checks, Hartley normalisation, the 9-unknown null vector
 *   homography.ts   H: DLT, Levenberg-Marquardt refinement, RANSAC
 *   fundamental.ts  F: Sampson distance, 8-point, Sampson Levenberg-Marquardt, RANSAC
 *   essential.ts    E: the essential manifold, RANSAC with five-point samples
 *   five-point.ts   Nistér's five-point solver (polynomial.ts: its real roots)
 *   pose.ts         R, t from E by cheirality; E and F from a pose; K^-1-normalised points
 */
export type { RansacOptions, RansacResult } from './ransac';
export { isCollinear } from './dlt';
export { applyHomography, estimateHomography, refineHomography, ransacHomography } from './homography';
export { sampsonDistance, estimateFundamental, ransacFundamental } from './fundamental';
export { enforceEssential, estimateEssential, ransacEssential } from './essential';
export { essentialFivePoint } from './five-point';
export { realRoots } from './polynomial';
export { recoverPose, essentialFromPose, fundamentalFromEssential, normalizePoints } from './pose';
