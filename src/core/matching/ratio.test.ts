import { describe, expect, it } from 'vitest';
import { createRng } from '../linalg';
import { matchDense } from './match';
import { distanceRatio } from './ratio';
import { randomDense } from './__fixtures__/dense';

describe('the ratio test', () => {
  it('distanceRatio is the distance over the runner-up distance, 0 with no runner-up', () => {
    expect(distanceRatio(1, 0)).toBe(0);
    expect(distanceRatio(0.5, 0)).toBeCloseTo(Math.sqrt(1 / 2), 12);
    expect(distanceRatio(0.8, 0.8)).toBeCloseTo(1, 12);
    expect(distanceRatio(0.9, -Infinity)).toBe(0);
    expect(distanceRatio(1, 1)).toBe(1);
  });

  const rng = createRng(5);
  const A = randomDense(rng, 16, 12, 16, 4);
  const B = randomDense(rng, 14, 12, 16, 4);
  const opts = { maxCandidates: 500, nmsRadius: 0, minDistinctiveness: 0 };

  it('maxRatio keeps exactly the matches whose ratio is at most it; 1 keeps every mutual match', () => {
    const all = matchDense(A, B, { ...opts, maxRatio: 1 });
    expect(matchDense(A, B, opts)).toEqual(all);
    all.forEach((m) => expect(m.ratio).toBeGreaterThanOrEqual(0));
    all.forEach((m) => expect(m.ratio).toBeLessThanOrEqual(1));
    for (const r of [0.95, 0.9, 0.8]) {
      const kept = matchDense(A, B, { ...opts, maxRatio: r });
      expect(kept).toEqual(all.filter((m) => m.ratio <= r));
      expect(kept.length).toBeLessThan(all.length);
    }
  });

  it('drops a match whose descriptor also fits a cell far away in the other image', () => {
    // Plant A's cell 30 in B twice, 6 cells apart: the pair is mutual but ambiguous.
    const cellsA = 16 * 12;
    const cellsB = 14 * 12;
    const B2 = { ...B, descriptors: B.descriptors.slice() };
    for (const c of [20, 26]) for (let d = 0; d < 16; d++) B2.descriptors[d * cellsB + c] = A.descriptors[d * cellsA + 30];
    const hit = (ms: ReturnType<typeof matchDense>) => ms.find((m) => m.cellA === 30);
    expect(hit(matchDense(A, B2, { ...opts, maxRatio: 1 }))?.ratio).toBeCloseTo(1, 5);
    expect(hit(matchDense(A, B2, { ...opts, maxRatio: 0.99 }))).toBeUndefined();
    // Two cells apart, the copy lies inside the window: the match is not ambiguous.
    const B3 = { ...B, descriptors: B.descriptors.slice() };
    for (const c of [20, 22]) for (let d = 0; d < 16; d++) B3.descriptors[d * cellsB + c] = A.descriptors[d * cellsA + 30];
    expect(hit(matchDense(A, B3, { ...opts, maxRatio: 0.99 }))).toBeDefined();
  });

  it("with every cell a candidate, 'candidates' and 'grid' agree on matches and ratios", () => {
    const grid = matchDense(A, B, { ...opts, maxRatio: 1 });
    const cand = matchDense(A, B, { ...opts, maxRatio: 1, mutualCheck: 'candidates' });
    expect(cand.map((m) => [m.cellA, m.cellB])).toEqual(grid.map((m) => [m.cellA, m.cellB]));
    cand.forEach((m, k) => expect(m.ratio).toBeCloseTo(grid[k].ratio, 5));
  });
});
