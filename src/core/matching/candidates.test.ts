import { describe, expect, it } from 'vitest';
import type { DenseOutput } from '../types';
import { createRng } from '../linalg';
import { selectCandidates } from './candidates';
import { randomDense } from './__fixtures__/dense';

describe('selectCandidates', () => {
  const grid = (values: number[], w: number, h: number): DenseOutput => ({
    descriptors: new Float32Array(w * h),
    distinctiveness: Float32Array.from(values),
    descriptorDim: 1,
    gridWidth: w,
    gridHeight: h,
    stride: 8,
  });

  it('keeps local maxima only, sorted by distinctiveness descending', () => {
    // 5 x 4 grid with peaks at cells 6 (0.9), 13 (0.8) and 19 (0.7); 0.85 at 0 is a corner peak.
    // prettier-ignore
    const v = [
      0.85, 0.1, 0.2, 0.1, 0.1,
      0.3, 0.9, 0.5, 0.1, 0.1,
      0.1, 0.2, 0.4, 0.8, 0.1,
      0.1, 0.1, 0.1, 0.3, 0.7,
    ];
    const c = selectCandidates(grid(v, 5, 4), { maxCandidates: 100, nmsRadius: 1, minDistinctiveness: 0 });
    // 0.85 at cell 0 is suppressed by 0.9 at cell 6 (diagonal neighbour); 0.7 at 19 by 0.8 at 13.
    expect(Array.from(c)).toEqual([6, 13]);
    const all = selectCandidates(grid(v, 5, 4), { maxCandidates: 100, nmsRadius: 0, minDistinctiveness: 0 });
    expect(all.length).toBe(20);
    for (let k = 1; k < all.length; k++) expect(v[all[k]]).toBeLessThanOrEqual(v[all[k - 1]]);
  });

  it('every kept cell beats its whole window; cap and threshold are respected', () => {
    const rng = createRng(7);
    const dense = randomDense(rng, 40, 30, 4);
    const d = dense.distinctiveness;
    for (const r of [1, 2, 3]) {
      const c = selectCandidates(dense, { maxCandidates: 1e9, nmsRadius: r, minDistinctiveness: 0.3 });
      const violations: number[] = [];
      for (const cell of c) {
        if (!(d[cell] >= 0.3)) violations.push(cell);
        const i = Math.floor(cell / 40);
        const j = cell % 40;
        for (let ii = Math.max(0, i - r); ii <= Math.min(29, i + r); ii++)
          for (let jj = Math.max(0, j - r); jj <= Math.min(39, j + r); jj++)
            if (ii * 40 + jj !== cell && !(d[ii * 40 + jj] < d[cell])) violations.push(cell);
      }
      expect(violations).toEqual([]);
      expect(c.length).toBeGreaterThan(0);
      for (let k = 1; k < c.length; k++) expect(d[c[k]]).toBeLessThanOrEqual(d[c[k - 1]]);
      const capped = selectCandidates(dense, { maxCandidates: 10, nmsRadius: r, minDistinctiveness: 0.3 });
      expect(Array.from(capped)).toEqual(Array.from(c.slice(0, 10)));
    }
  });

  it('breaks ties deterministically: a flat patch keeps its first cell', () => {
    const c = selectCandidates(grid(new Array(9).fill(0.5), 3, 3), {
      maxCandidates: 10,
      nmsRadius: 1,
      minDistinctiveness: 0,
    });
    expect(Array.from(c)).toEqual([0]);
    const none = selectCandidates(grid([0.1, NaN, 0.2, 0.1], 2, 2), {
      maxCandidates: 0,
      nmsRadius: 0,
      minDistinctiveness: 0,
    });
    expect(none.length).toBe(0);
  });
});
