import { describe, expect, it } from 'vitest';
import type { DenseOutput } from '../types';
import { isCoamError } from '../errors';
import { createRng } from '../linalg';
import { selectCandidates } from './candidates';
import { matchDense, topK } from './match';
import { randomDense } from './__fixtures__/dense';

describe('matchDense and topK', () => {
  const rng = createRng(11);
  const A = randomDense(rng, 24, 18, 16);
  const B = randomDense(rng, 20, 16, 16);
  const opts = { maxCandidates: 200, nmsRadius: 1, minDistinctiveness: 0.05 };
  const matches = matchDense(A, B, opts);

  it('scores = similarity x distinctivenessA x distinctivenessB, sorted descending', () => {
    expect(matches.length).toBeGreaterThan(10);
    for (const m of matches) {
      expect(m.distinctivenessA).toBe(A.distinctiveness[m.cellA]);
      expect(m.distinctivenessB).toBe(B.distinctiveness[m.cellB]);
      expect(m.score).toBeCloseTo(m.similarity * m.distinctivenessA * m.distinctivenessB, 12);
      let s = 0;
      for (let d = 0; d < 16; d++) s += A.descriptors[d * 24 * 18 + m.cellA] * B.descriptors[d * 20 * 16 + m.cellB];
      expect(m.similarity).toBeCloseTo(s, 6);
    }
    for (let k = 1; k < matches.length; k++) expect(matches[k].score).toBeLessThanOrEqual(matches[k - 1].score);
    // Every match starts from a candidate of one image (the mutual check runs over whole grids).
    const candA = new Set(selectCandidates(A, opts));
    const candB = new Set(selectCandidates(B, opts));
    matches.forEach((m) => expect(candA.has(m.cellA) || candB.has(m.cellB)).toBe(true));
  });

  it('topK is a prefix of the full list for every k, and equals slice', () => {
    for (let k = 0; k <= matches.length + 2; k++) {
      const t = topK(matches, k);
      expect(t).toEqual(matches.slice(0, k));
      t.forEach((m, i) => expect(m).toBe(matches[i]));
    }
    expect(topK(matches, -3)).toEqual([]);
    expect(topK(matches, 2.9)).toEqual(matches.slice(0, 2));
    expect(topK(matches, Infinity)).toEqual(matches);
    expect(topK(matches, NaN)).toEqual([]);
  });

  it('rejects outputs of different descriptor sizes with a model-contract error', () => {
    const C = randomDense(rng, 20, 16, 8);
    let err: unknown;
    try {
      matchDense(A, C, opts);
    } catch (e) {
      err = e;
    }
    expect(isCoamError(err) && err.code === 'model-contract').toBe(true);
    const bad = { ...A, descriptors: A.descriptors.subarray(1) };
    expect(() => matchDense(bad, B, opts)).toThrow(/descriptors/);
  });

  it('is deterministic', () => {
    expect(matchDense(A, B, opts)).toEqual(matches);
  });

  it('gives no matches for an empty grid or when nothing passes the threshold', () => {
    const empty: DenseOutput = { ...A, descriptors: new Float32Array(0), distinctiveness: new Float32Array(0), gridWidth: 0, gridHeight: 0 };
    expect(matchDense(empty, B, opts)).toEqual([]);
    expect(matchDense(A, B, { ...opts, minDistinctiveness: 2 })).toEqual([]);
  });

  it('an image matched with itself gives the identity on the candidates, similarity 1', () => {
    const self = matchDense(A, A, { maxCandidates: 50, nmsRadius: 1, minDistinctiveness: 0 });
    expect(self.length).toBe(selectCandidates(A, { maxCandidates: 50, nmsRadius: 1, minDistinctiveness: 0 }).length);
    self.forEach((m) => {
      expect(m.cellB).toBe(m.cellA);
      expect(m.similarity).toBeCloseTo(1, 5);
    });
  });
});
