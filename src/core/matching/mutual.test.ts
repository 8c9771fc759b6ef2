import { describe, expect, it } from 'vitest';
import type { DenseOutput } from '../types';
import { createRng } from '../linalg';
import { mutualNearest, mutualNearestGrid, mutualNearestScalar } from './mutual';
import { RATIO_EXCLUSION_RADIUS } from './ratio';
import { mutualNearestBackend } from './simd';
import { randomDescriptors } from './__fixtures__/dense';

/** The obvious O(nA nB D) reference: first maximum wins, in double precision. */
function bruteMutual(
  descA: Float32Array,
  candA: Int32Array,
  cellsA: number,
  descB: Float32Array,
  candB: Int32Array,
  cellsB: number,
  dim: number,
) {
  const sim = (ca: number, cb: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += descA[d * cellsA + ca] * descB[d * cellsB + cb];
    return s;
  };
  const S = Array.from(candA, (ca) => Array.from(candB, (cb) => sim(ca, cb)));
  // First maximum wins in both directions.
  const bestB = S.map((row) => row.reduce((bi, x, j) => (x > row[bi] ? j : bi), 0));
  const bestA = Array.from(candB, (_, j) => {
    let bi = 0;
    for (let i = 1; i < S.length; i++) if (S[i][j] > S[bi][j]) bi = i;
    return bi;
  });
  const pairs: Array<[number, number, number]> = [];
  bestB.forEach((j, i) => {
    if (bestA[j] === i) pairs.push([candA[i], candB[j], S[i][j]]);
  });
  return pairs;
}

describe('mutualNearest', () => {
  it.each([
    [50, 50, 8],
    [37, 129, 16],
    [130, 21, 64],
    [1, 7, 3],
    [7, 1, 5],
    [257, 255, 32],
  ])('equals a brute-force reference (%i x %i candidates, D = %i)', (nA, nB, dim) => {
    const rng = createRng(nA * 1000 + nB + dim);
    const cellsA = nA + 13;
    const cellsB = nB + 5;
    const descA = randomDescriptors(rng, cellsA, dim);
    const descB = randomDescriptors(rng, cellsB, dim);
    // Candidates: a shuffled subset of cells.
    const pick = (cells: number, n: number) => {
      const idx = Array.from({ length: cells }, (_, i) => i);
      for (let i = cells - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      return Int32Array.from(idx.slice(0, n));
    };
    const candA = pick(cellsA, nA);
    const candB = pick(cellsB, nB);
    const want = bruteMutual(descA, candA, cellsA, descB, candB, cellsB, dim);
    // The default path (WebAssembly SIMD here, float32 sums) and the scalar fallback.
    for (const fn of [mutualNearest, mutualNearestScalar]) {
      const got = fn(descA, candA, cellsA, descB, candB, cellsB, dim);
      expect(Array.from(got.a)).toEqual(want.map((p) => p[0]));
      expect(Array.from(got.b)).toEqual(want.map((p) => p[1]));
      got.similarity.forEach((s, k) => expect(s).toBeCloseTo(want[k][2], 5));
      expect(got.a.length).toBeGreaterThan(0);
    }
  });

  it('uses the WebAssembly SIMD kernel in Node', () => {
    expect(mutualNearestBackend()).toBe('wasm-simd');
  });

  it('handles candidate sets larger than one SIMD block, and reuses its memory across sizes', () => {
    const rng = createRng(21);
    for (const [nA, nB, dim] of [
      [300, 203, 64],
      [65, 3, 6],
      [2, 130, 128],
    ]) {
      const descA = randomDescriptors(rng, nA, dim);
      const descB = randomDescriptors(rng, nB, dim);
      const candA = Int32Array.from({ length: nA }, (_, i) => i);
      const candB = Int32Array.from({ length: nB }, (_, i) => nB - 1 - i);
      const got = mutualNearest(descA, candA, nA, descB, candB, nB, dim);
      const ref = mutualNearestScalar(descA, candA, nA, descB, candB, nB, dim);
      expect(Array.from(got.a)).toEqual(Array.from(ref.a));
      expect(Array.from(got.b)).toEqual(Array.from(ref.b));
    }
  });

  it('returns empty arrays when a side has no candidates', () => {
    const rng = createRng(3);
    const d = randomDescriptors(rng, 10, 4);
    const r = mutualNearest(d, new Int32Array(0), 10, d, Int32Array.from([1, 2]), 10, 4);
    expect(r.a.length + r.b.length + r.similarity.length).toBe(0);
  });

  it('finds the identity matching of an image with itself', () => {
    const rng = createRng(4);
    const d = randomDescriptors(rng, 64, 16);
    const cand = Int32Array.from({ length: 64 }, (_, i) => 63 - i);
    const r = mutualNearest(d, cand, 64, d, cand, 64, 16);
    expect(Array.from(r.a)).toEqual(Array.from(cand));
    expect(Array.from(r.b)).toEqual(Array.from(cand));
    r.similarity.forEach((s) => expect(s).toBeCloseTo(1, 5));
  });
});

describe('mutualNearestGrid', () => {
  function randomDense(rng: () => number, w: number, h: number, dim: number): DenseOutput {
    const cells = w * h;
    const descriptors = new Float32Array(dim * cells);
    for (let c = 0; c < cells; c++) {
      const v = Array.from({ length: dim }, () => rng() * 2 - 1);
      const n = Math.hypot(...v);
      for (let d = 0; d < dim; d++) descriptors[d * cells + c] = v[d] / n;
    }
    return { descriptors, distinctiveness: new Float32Array(cells).fill(1), descriptorDim: dim, gridWidth: w, gridHeight: h, stride: 4 };
  }

  it('equals brute-force whole-grid MNN restricted to pairs touching a candidate', () => {
    const rng = createRng(11);
    for (const [w, h, dim] of [[9, 7, 8], [12, 5, 16], [6, 6, 3]] as const) {
      const A = randomDense(rng, w, h, dim);
      const B = randomDense(rng, h + 2, w - 1, dim);
      const cellsA = w * h;
      const cellsB = (h + 2) * (w - 1);
      const sim = (i: number, j: number) => {
        let s = 0;
        for (let d = 0; d < dim; d++) s += A.descriptors[d * cellsA + i] * B.descriptors[d * cellsB + j];
        return s;
      };
      const nnA = (i: number) => {
        let best = -1, bv = -Infinity;
        for (let j = 0; j < cellsB; j++) if (sim(i, j) > bv) [bv, best] = [sim(i, j), j];
        return best;
      };
      const nnB = (j: number) => {
        let best = -1, bv = -Infinity;
        for (let i = 0; i < cellsA; i++) if (sim(i, j) > bv) [bv, best] = [sim(i, j), i];
        return best;
      };
      const candA = Int32Array.from([0, 3, 5, 8, cellsA - 1]);
      const candB = Int32Array.from([1, 2, cellsB - 2]);
      const expected = new Set<string>();
      for (let i = 0; i < cellsA; i++) {
        const j = nnA(i);
        if (nnB(j) === i && (candA.includes(i) || candB.includes(j))) expected.add(`${i}-${j}`);
      }
      const got = mutualNearestGrid(A, candA, B, candB);
      const pairs = Array.from(got.a, (i, k) => `${i}-${got.b[k]}`);
      expect(new Set(pairs)).toEqual(expected);
      expect(pairs.length).toBe(new Set(pairs).size);
      got.a.forEach((i, k) => expect(got.similarity[k]).toBeCloseTo(sim(i, got.b[k]), 5));
      // The ratio test's runners-up: the best outside the 5 x 5 window around the match.
      const r = RATIO_EXCLUSION_RADIUS;
      const outside = (c: number, centre: number, gw: number) =>
        Math.abs(Math.floor(c / gw) - Math.floor(centre / gw)) > r || Math.abs((c % gw) - (centre % gw)) > r;
      got.a.forEach((i, k) => {
        const j = got.b[k];
        let sa = -Infinity;
        for (let c = 0; c < cellsB; c++) if (outside(c, j, h + 2)) sa = Math.max(sa, sim(i, c));
        let sb = -Infinity;
        for (let c = 0; c < cellsA; c++) if (outside(c, i, w)) sb = Math.max(sb, sim(c, j));
        expect(got.secondA![k]).toBeCloseTo(sa, 5);
        expect(got.secondB![k]).toBeCloseTo(sb, 5);
      });
    }
  });
});
