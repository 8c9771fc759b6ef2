import { describe, expect, it } from 'vitest';
import type { Point } from '../types';
import { symmetricEpipolarDistance } from '../metrics';
import { ransacEssential } from './essential';
import { estimateFundamental, ransacFundamental, sampsonDistance } from './fundamental';
import { essentialFromPose, fundamentalFromEssential } from './pose';
import { K, R_GT, T_GT, sceneMatches } from './__fixtures__/scenes';

describe('fundamental matrix', () => {
  const E_GT = essentialFromPose(R_GT, T_GT);
  const F_GT = fundamentalFromEssential(E_GT, K, K)!;

  it('the synthetic ground truth is consistent (x2^T F x1 = 0 on clean points)', () => {
    const { clean } = sceneMatches(5, 50, 0, 0);
    symmetricEpipolarDistance(F_GT, clean).forEach((d) => expect(d).toBeLessThan(1e-6));
  });

  it('8-point recovers F from noise-free points (rank 2)', () => {
    const { p1, p2, clean } = sceneMatches(6, 30, 0, 0);
    const F = estimateFundamental(p1, p2)!;
    expect(F).not.toBeNull();
    symmetricEpipolarDistance(F, clean).forEach((d) => expect(d).toBeLessThan(1e-4));
    const det = F[0] * (F[4] * F[8] - F[5] * F[7]) - F[1] * (F[3] * F[8] - F[5] * F[6]) + F[2] * (F[3] * F[7] - F[4] * F[6]);
    expect(Math.abs(det)).toBeLessThan(1e-12);
  });

  it('RANSAC recovers a known F with 50% outliers', () => {
    const { p1, p2, clean } = sceneMatches(7, 100, 100);
    const r = ransacFundamental(p1, p2, { seed: 1 })!;
    expect(r).not.toBeNull();
    const d = symmetricEpipolarDistance(r.F, clean);
    const meanD = d.reduce((s, x) => s + x, 0) / d.length;
    expect(meanD).toBeLessThan(0.5);
    let trueIn = 0;
    for (let i = 0; i < 100; i++) trueIn += r.inliers[i];
    expect(trueIn / 100).toBeGreaterThan(0.9);
    let falseIn = 0;
    for (let i = 100; i < 200; i++) falseIn += r.inliers[i];
    expect(falseIn).toBeLessThan(10);
    // The threshold is on the Sampson distance.
    const mismatched = p1.filter(
      (a, i) => (r.inliers[i] === 1) !== sampsonDistance(r.F, a[0], a[1], p2[i][0], p2[i][1]) < 1.5,
    );
    expect(mismatched).toEqual([]);
  });

  it('returns null for degenerate input', () => {
    const { p1, p2 } = sceneMatches(8, 20, 0);
    expect(estimateFundamental(p1.slice(0, 7), p2.slice(0, 7))).toBeNull();
    expect(ransacFundamental(p1.slice(0, 7), p2.slice(0, 7))).toBeNull();
    const line: Point[] = Array.from({ length: 20 }, (_, i) => [3 * i, 100]);
    expect(estimateFundamental(line, p2)).toBeNull();
    expect(ransacFundamental(p1, line)).toBeNull();
    expect(ransacEssential(line, line)).toBeNull();
  });
});
