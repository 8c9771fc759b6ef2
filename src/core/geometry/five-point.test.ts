import { describe, expect, it } from 'vitest';
import type { Point } from '../types';
import { createRng, mulVec3 } from '../linalg';
import { essentialFivePoint } from './five-point';
import { sampsonDistance } from './fundamental';
import { essentialFromPose } from './pose';
import { rotation } from './__fixtures__/scenes';

describe('five-point solver', () => {
  it('one of its solutions is the true E, for random scenes and motions', () => {
    const rng = createRng(77);
    for (let trial = 0; trial < 15; trial++) {
      const R = rotation([rng() - 0.5, rng() - 0.5, rng() - 0.5], 5 + rng() * 30);
      const t = [rng() * 2 - 1, rng() - 0.5, rng() - 0.5];
      const p1: Point[] = [];
      const p2: Point[] = [];
      while (p1.length < 5) {
        const X = [rng() * 4 - 2, rng() * 3 - 1.5, 4 + rng() * 6];
        const Y = mulVec3(R, X).map((v, k) => v + t[k]);
        if (Y[2] < 0.5) continue;
        p1.push([X[0] / X[2], X[1] / X[2]]);
        p2.push([Y[0] / Y[2], Y[1] / Y[2]]);
      }
      const Egt = essentialFromPose(R, t);
      const norm = Math.hypot(...Egt);
      const sols = essentialFivePoint(p1, p2);
      expect(sols.length).toBeGreaterThan(0);
      expect(sols.length).toBeLessThanOrEqual(10);
      const dist = Math.min(
        ...sols.map((E) => Math.min(...[1, -1].map((sg) => Math.hypot(...E.map((v, k) => v - (sg * Egt[k]) / norm))))),
      );
      expect(dist).toBeLessThan(1e-6);
      // Every solution satisfies the 5 constraints and is essential (det 0).
      let worst = 0;
      for (const E of sols) p1.forEach((a, i) => (worst = Math.max(worst, sampsonDistance(E, a[0], a[1], p2[i][0], p2[i][1]))));
      expect(worst).toBeLessThan(1e-8);
    }
  });

  it('returns no solution for degenerate samples', () => {
    const same: Point[] = [[0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2]];
    expect(essentialFivePoint(same, same)).toEqual([]);
    expect(essentialFivePoint(same.slice(0, 4), same.slice(0, 4))).toEqual([]);
  });
});
