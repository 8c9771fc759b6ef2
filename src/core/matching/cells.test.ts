import { describe, expect, it } from 'vitest';
import { createRng } from '../linalg';
import { cellCenterFed, nearestCell, similarityMap } from './cells';
import { randomDense } from './__fixtures__/dense';

describe('cells and pixels', () => {
  it('cellCenterFed follows the contract and nearestCell inverts it', () => {
    expect(cellCenterFed(0, 10, 8)).toEqual([3.5, 3.5]);
    expect(cellCenterFed(13, 10, 8)).toEqual([3 * 8 + 3.5, 8 + 3.5]);
    for (let c = 0; c < 60; c++) {
      const [x, y] = cellCenterFed(c, 10, 4);
      expect(nearestCell(x, y, 10, 6, 4)).toBe(c);
      expect(nearestCell(x + 1.9, y - 1.9, 10, 6, 4)).toBe(c);
    }
    expect(nearestCell(-100, -5, 10, 6, 4)).toBe(0);
    expect(nearestCell(1e6, 1e6, 10, 6, 4)).toBe(59);
  });

  it('similarityMap is the cosine similarity against every cell of B', () => {
    const rng = createRng(5);
    const A = randomDense(rng, 6, 5, 8);
    const B = randomDense(rng, 7, 4, 8);
    const map = similarityMap(A, 17, B);
    expect(map.length).toBe(28);
    for (let c = 0; c < 28; c++) {
      let s = 0;
      for (let d = 0; d < 8; d++) s += A.descriptors[d * 30 + 17] * B.descriptors[d * 28 + c];
      expect(map[c]).toBeCloseTo(s, 6);
    }
    expect(similarityMap(A, 3, A)[3]).toBeCloseTo(1, 6);
    expect(() => similarityMap(A, 30, B)).toThrow();
  });
});
