import { describe, expect, it } from 'vitest';
import type { DenseOutput } from './types';
import { isCoamError } from './errors';
import { createRng } from './linalg';
import {
  refineSubcell,
  mutualNearestGrid,
  cellCenterFed,
  distanceRatio,
  matchDense,
  RATIO_EXCLUSION_RADIUS,
  mutualNearest,
  mutualNearestBackend,
  mutualNearestScalar,
  nearestCell,
  selectCandidates,
  similarityMap,
  topK,
} from './matching';

/** Random unit descriptors, planar D x cells. */
function randomDescriptors(rng: () => number, cells: number, dim: number): Float32Array {
  const out = new Float32Array(dim * cells);
  for (let c = 0; c < cells; c++) {
    let s = 0;
    const v = Array.from({ length: dim }, () => rng() * 2 - 1);
    for (const x of v) s += x * x;
    s = Math.sqrt(s);
    v.forEach((x, d) => (out[d * cells + c] = x / s));
  }
  return out;
}

function randomDense(rng: () => number, w: number, h: number, dim: number, stride = 8): DenseOutput {
  return {
    descriptors: randomDescriptors(rng, w * h, dim),
    distinctiveness: Float32Array.from({ length: w * h }, () => rng()),
    descriptorDim: dim,
    gridWidth: w,
    gridHeight: h,
    stride,
  };
}

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

describe('refineSubcell', () => {
  // Descriptors vary smoothly with position, so the similarity to a query taken between cells
  // peaks at the query's true (sub-cell) position.
  function smoothField(w: number, h: number, a: number): DenseOutput {
    const cells = w * h;
    const descriptors = new Float32Array(3 * cells);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const v = [1, a * j, a * i];
        const n = Math.hypot(...v);
        for (let d = 0; d < 3; d++) descriptors[d * cells + i * w + j] = v[d] / n;
      }
    return { descriptors, distinctiveness: new Float32Array(cells).fill(1), descriptorDim: 3, gridWidth: w, gridHeight: h, stride: 4 };
  }
  const query = (x: number, y: number, a: number) => {
    const v = [1, a * x, a * y];
    const n = Math.hypot(...v);
    return Float32Array.from(v, (c) => c / n);
  };

  it('recovers the sub-cell position of a query between cells', () => {
    const dense = smoothField(10, 10, 0.05);
    const [dx, dy] = refineSubcell(dense, 5 * 10 + 5, query(5.3, 4.8, 0.05));
    expect(dx).toBeCloseTo(0.3, 1);
    expect(dy).toBeCloseTo(-0.2, 1);
  });

  it('stays within half a cell, and inside the grid on its border', () => {
    const dense = smoothField(10, 10, 0.05);
    const [dx, dy] = refineSubcell(dense, 5 * 10 + 5, query(9, 9, 0.05));
    expect(dx).toBe(0.5);
    expect(dy).toBe(0.5);
    // Corner cell: a query beyond the grid stays on the centre; one inside moves inwards.
    expect(refineSubcell(dense, 0, query(-1, -1, 0.05))).toEqual([0, 0]);
    const [ix, iy] = refineSubcell(dense, 0, query(0.3, 0.3, 0.05));
    expect(ix).toBeCloseTo(0.3, 1);
    expect(iy).toBeCloseTo(0.3, 1);
  });

  it('keeps the cell centre where the field is flat', () => {
    const dense = smoothField(10, 10, 0);
    expect(refineSubcell(dense, 33, query(3, 3, 0))).toEqual([0, 0]);
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
