import { describe, expect, it } from 'vitest';
import type { Point } from '../types';
import { cornerError } from '../metrics';
import { applyHomography, estimateHomography, ransacHomography, refineHomography } from './homography';
import { H, H_GT, W, homographyMatches } from './__fixtures__/scenes';

describe('estimateHomography (normalised DLT)', () => {
  it('recovers H exactly from 4 and from many noise-free points', () => {
    for (const n of [4, 50]) {
      const { src, dst } = homographyMatches(n, n, 0, 0);
      const Hest = estimateHomography(src, dst)!;
      expect(Hest).not.toBeNull();
      Hest.forEach((v, k) => expect(v).toBeCloseTo(H_GT[k], 6));
      expect(cornerError(Hest, H_GT, W, H)).toBeLessThan(1e-6);
    }
  });

  it('returns null for degenerate input', () => {
    const line: Point[] = [[0, 0], [1, 1], [2, 2], [3, 3], [5, 5]];
    const quad: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10], [5, 3]];
    expect(estimateHomography(quad.slice(0, 3), quad.slice(0, 3))).toBeNull();
    expect(estimateHomography(line, quad)).toBeNull();
    expect(estimateHomography(quad, line)).toBeNull();
    expect(estimateHomography(new Array(5).fill([1, 1]), quad)).toBeNull();
    expect(estimateHomography([[0, 0], [10, 0], [20, 0], [0, 10]], quad.slice(0, 4))).toBeNull();
    expect(estimateHomography([[NaN, 0], [10, 0], [10, 10], [0, 10]], quad.slice(0, 4))).toBeNull();
    expect(estimateHomography(quad, quad.slice(0, 4))).toBeNull();
  });
});

describe('refineHomography', () => {
  it('lowers the reprojection error of the DLT on noisy points and keeps H[8] = 1', () => {
    const { src, dst } = homographyMatches(4, 60, 0, 1.0);
    const dlt = estimateHomography(src, dst)!;
    const refined = refineHomography(dlt, src, dst);
    const sse = (Hm: number[]) =>
      src.reduce((acc, p, i) => {
        const q = applyHomography(Hm, p);
        return acc + (q[0] - dst[i][0]) ** 2 + (q[1] - dst[i][1]) ** 2;
      }, 0);
    expect(sse(refined)).toBeLessThan(sse(dlt));
    expect(refined[8]).toBe(1);
    expect(cornerError(refined, H_GT, W, H)).toBeLessThan(1);
    // Noise-free: nothing to improve, the start comes back (to rounding).
    const exact = homographyMatches(5, 20, 0, 0);
    const h0 = estimateHomography(exact.src, exact.dst)!;
    refineHomography(h0, exact.src, exact.dst).forEach((v, k) => expect(v).toBeCloseTo(h0[k], 9));
  });
});

describe('ransacHomography', () => {
  it('recovers a known H from matches with 50% outliers (corner error < 0.5 px)', () => {
    const { src, dst } = homographyMatches(1, 200, 200);
    const r = ransacHomography(src, dst, { seed: 3 })!;
    expect(r).not.toBeNull();
    expect(cornerError(r.H, H_GT, W, H)).toBeLessThan(0.5);
    let trueIn = 0;
    let falseIn = 0;
    for (let i = 0; i < 400; i++) if (r.inliers[i]) (i < 200 ? trueIn++ : falseIn++);
    expect(trueIn).toBeGreaterThan(190);
    expect(falseIn).toBeLessThan(10);
    expect(r.inlierCount).toBe(trueIn + falseIn);
  });

  it('is deterministic for a seed', () => {
    const { src, dst } = homographyMatches(2, 60, 60);
    const a = ransacHomography(src, dst, { seed: 9 })!;
    const b = ransacHomography(src, dst, { seed: 9 })!;
    expect(a.H).toEqual(b.H);
    expect(Array.from(a.inliers)).toEqual(Array.from(b.inliers));
  });

  it('returns null (quickly) for too few or collinear points', () => {
    const line: Point[] = Array.from({ length: 50 }, (_, i) => [i, 2 * i + 1]);
    const cloud = homographyMatches(3, 50, 0).src;
    expect(ransacHomography(cloud.slice(0, 3), cloud.slice(0, 3))).toBeNull();
    expect(ransacHomography([], [])).toBeNull();
    expect(ransacHomography(line, cloud)).toBeNull();
    expect(ransacHomography(cloud, line)).toBeNull();
    expect(ransacHomography(cloud, cloud.slice(1))).toBeNull();
  });
});

describe('applyHomography', () => {
  it('maps a point through H, dividing by w', () => {
    expect(applyHomography([2, 0, 1, 0, 2, -1, 0, 0, 1], [3, 4])).toEqual([7, 7]);
    expect(applyHomography([1, 0, 0, 0, 1, 0, 0, 0, 2], [3, 4])).toEqual([1.5, 2]);
  });
});
