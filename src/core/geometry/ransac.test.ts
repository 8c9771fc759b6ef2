import { describe, expect, it } from 'vitest';
import type { Point } from '../types';
import { cornerError, symmetricEpipolarDistance } from '../metrics';
import { ransacEssential } from './essential';
import { ransacFundamental } from './fundamental';
import { ransacHomography } from './homography';
import { normalizePoints, recoverPose } from './pose';
import { H, H_GT, K, W, homographyMatches, sceneMatches } from './__fixtures__/scenes';

describe('edge cases', () => {
  it('exactly the minimal number of points', () => {
    const { src, dst } = homographyMatches(13, 4, 0, 0);
    const r = ransacHomography(src, dst)!;
    expect(r.inlierCount).toBe(4);
    expect(cornerError(r.H, H_GT, W, H)).toBeLessThan(1e-6);
    const { p1, p2 } = sceneMatches(14, 8, 0, 0);
    const f = ransacFundamental(p1, p2)!;
    expect(f.inlierCount).toBe(8);
  });

  it('all inliers: every point is kept, and the estimate is exact', () => {
    const { p1, p2, clean } = sceneMatches(15, 60, 0, 0);
    const f = ransacFundamental(p1, p2)!;
    expect(f.inlierCount).toBe(60);
    symmetricEpipolarDistance(f.F, clean).forEach((d) => expect(d).toBeLessThan(1e-3));
  });

  it('a planar scene (degenerate for F) neither throws nor hangs', () => {
    const { src, dst } = homographyMatches(16, 100, 0, 0.2);
    expect(() => ransacFundamental(src, dst, { maxIterations: 300 })).not.toThrow();
    expect(() => ransacEssential(normalizePoints(src, K), normalizePoints(dst, K), { maxIterations: 300 })).not.toThrow();
  });
});

describe('garbage in', () => {
  it('never throws on non-finite input', () => {
    const bad: Point[] = Array.from({ length: 20 }, (_, i) => [i % 3 ? i : NaN, i * i]);
    const good = sceneMatches(12, 20, 0).p1;
    expect(ransacHomography(bad, good)).toBeNull();
    expect(ransacFundamental(good, bad)).toBeNull();
    expect(ransacEssential(bad, bad)).toBeNull();
    const pose = recoverPose(new Array(9).fill(NaN), good, good);
    expect(pose.R).toHaveLength(9);
    expect(pose.t).toHaveLength(3);
    expect(() => recoverPose(new Array(9).fill(0), good, good)).not.toThrow();
  });
});
