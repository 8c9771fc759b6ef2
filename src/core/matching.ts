/**
 * CoAM's matching (Wiles et al., CVPR 2021): candidate cells chosen by distinctiveness (local
 * non-maximum suppression, a cap), cosine similarity of the unit descriptors, mutual nearest
 * neighbours, and score = similarity x distinctiveness(A) x distinctiveness(B), sorted descending
 * so that any top-K is a prefix of one list.
 */
import type { DenseOutput, MatchOptions, Point } from './types';
import { CoamError } from './errors';

export interface RawMatch {
  /** Row-major cell index (i * gridWidth + j) in A's grid. */
  cellA: number;
  cellB: number;
  /** Cosine similarity of the two descriptors. */
  similarity: number;
  distinctivenessA: number;
  distinctivenessB: number;
  /** similarity x distinctivenessA x distinctivenessB: what the list is sorted by. */
  score: number;
}

/** Distinctiveness, descending; equal values by cell index, ascending. NaN never reaches here. */
function byDistinctiveness(dist: Float32Array) {
  return (x: number, y: number) => dist[y] - dist[x] || x - y;
}

/**
 * Candidate cells of one image, as row-major cell indices sorted by distinctiveness descending
 * (ties: lower index first). A cell survives non-maximum suppression when no other cell in its
 * (2r+1)^2 window beats it, where a neighbour beats it with a higher distinctiveness, or an equal
 * one at a lower cell index (so exactly one cell of a flat patch survives per window). Cells below
 * `minDistinctiveness` (and NaN) are dropped; at most `maxCandidates` are kept.
 */
export function selectCandidates(
  dense: DenseOutput,
  opts: Pick<MatchOptions, 'maxCandidates' | 'nmsRadius' | 'minDistinctiveness'>,
): Int32Array {
  const { gridWidth: w, gridHeight: h, distinctiveness: dist } = dense;
  const cells = w * h;
  if (dist.length < cells) {
    throw new CoamError('model-contract', `distinctiveness has ${dist.length} values, expected ${h} x ${w} = ${cells}.`);
  }
  const cap = Math.floor(Math.max(0, opts.maxCandidates));
  const r = Math.max(0, Math.floor(opts.nmsRadius || 0));
  const min = opts.minDistinctiveness;
  if (cap === 0 || cells === 0) return new Int32Array(0);

  const kept: number[] = [];
  for (let i = 0; i < h; i++) {
    const i0 = Math.max(0, i - r);
    const i1 = Math.min(h - 1, i + r);
    for (let j = 0; j < w; j++) {
      const c = i * w + j;
      const v = dist[c];
      if (!(v >= min)) continue; // also drops NaN
      let isMax = true;
      if (r > 0) {
        const j0 = Math.max(0, j - r);
        const j1 = Math.min(w - 1, j + r);
        outer: for (let ii = i0; ii <= i1; ii++) {
          const row = ii * w;
          for (let jj = j0; jj <= j1; jj++) {
            const n = row + jj;
            const u = dist[n];
            if (u > v || (u === v && n < c)) {
              isMax = false;
              break outer;
            }
          }
        }
      }
      if (isMax) kept.push(c);
    }
  }
  kept.sort(byDistinctiveness(dist));
  return Int32Array.from(kept.length > cap ? kept.slice(0, cap) : kept);
}

/** Copies the candidates' descriptors out of the planar D x cells layout into cell-major rows. */
function gather(desc: Float32Array, cand: Int32Array, cells: number, dim: number): Float32Array {
  const n = cand.length;
  const out = new Float32Array(n * dim);
  for (let d = 0; d < dim; d++) {
    const plane = d * cells;
    for (let k = 0; k < n; k++) out[k * dim + d] = desc[plane + cand[k]];
  }
  return out;
}

/**
 * Mutual nearest neighbours by cosine similarity (dot product of unit descriptors) among the
 * candidate cells of A and B. Descriptors are planar D x cells. Returns CELL indices of each
 * mutual pair, in the order of `candA`, with their similarity. Ties go to the earlier candidate.
 *
 * The candidates are first gathered into contiguous cell-major rows; the all-pairs products
 * then run in a 4 (A) x 2 (B) register-blocked kernel that tracks both directions' best at once.
 */
export function mutualNearest(
  descA: Float32Array,
  candA: Int32Array,
  cellsA: number,
  descB: Float32Array,
  candB: Int32Array,
  cellsB: number,
  dim: number,
): { a: Int32Array; b: Int32Array; similarity: Float32Array } {
  const nA = candA.length;
  const nB = candB.length;
  if (nA === 0 || nB === 0 || dim <= 0) {
    return { a: new Int32Array(0), b: new Int32Array(0), similarity: new Float32Array(0) };
  }
  const A = gather(descA, candA, cellsA, dim);
  const B = gather(descB, candB, cellsB, dim);
  const D = dim;

  // Best B (position in candB) for each A row, and best A row for each B, with their values.
  const bestOfA = new Int32Array(nA).fill(-1);
  const valOfA = new Float64Array(nA).fill(-Infinity);
  const bestOfB = new Int32Array(nB).fill(-1);
  const valOfB = new Float64Array(nB).fill(-Infinity);

  const nA4 = nA - (nA % 4);
  const nB2 = nB - (nB % 2);
  for (let i = 0; i < nA4; i += 4) {
    const a0 = i * D;
    const a1 = a0 + D;
    const a2 = a1 + D;
    const a3 = a2 + D;
    let v0 = -Infinity;
    let v1 = -Infinity;
    let v2 = -Infinity;
    let v3 = -Infinity;
    let i0 = -1;
    let i1 = -1;
    let i2 = -1;
    let i3 = -1;
    for (let j = 0; j < nB2; j += 2) {
      const b0 = j * D;
      const b1 = b0 + D;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let d = 0; d < D; d++) {
        const p = B[b0 + d];
        const q = B[b1 + d];
        const x0 = A[a0 + d];
        const x1 = A[a1 + d];
        const x2 = A[a2 + d];
        const x3 = A[a3 + d];
        s0 += x0 * p;
        s1 += x1 * p;
        s2 += x2 * p;
        s3 += x3 * p;
        t0 += x0 * q;
        t1 += x1 * q;
        t2 += x2 * q;
        t3 += x3 * q;
      }
      if (s0 > v0) { v0 = s0; i0 = j; }
      if (s1 > v1) { v1 = s1; i1 = j; }
      if (s2 > v2) { v2 = s2; i2 = j; }
      if (s3 > v3) { v3 = s3; i3 = j; }
      if (t0 > v0) { v0 = t0; i0 = j + 1; }
      if (t1 > v1) { v1 = t1; i1 = j + 1; }
      if (t2 > v2) { v2 = t2; i2 = j + 1; }
      if (t3 > v3) { v3 = t3; i3 = j + 1; }
      let bv = valOfB[j];
      let bi = bestOfB[j];
      if (s0 > bv) { bv = s0; bi = i; }
      if (s1 > bv) { bv = s1; bi = i + 1; }
      if (s2 > bv) { bv = s2; bi = i + 2; }
      if (s3 > bv) { bv = s3; bi = i + 3; }
      valOfB[j] = bv;
      bestOfB[j] = bi;
      bv = valOfB[j + 1];
      bi = bestOfB[j + 1];
      if (t0 > bv) { bv = t0; bi = i; }
      if (t1 > bv) { bv = t1; bi = i + 1; }
      if (t2 > bv) { bv = t2; bi = i + 2; }
      if (t3 > bv) { bv = t3; bi = i + 3; }
      valOfB[j + 1] = bv;
      bestOfB[j + 1] = bi;
    }
    valOfA[i] = v0;
    valOfA[i + 1] = v1;
    valOfA[i + 2] = v2;
    valOfA[i + 3] = v3;
    bestOfA[i] = i0;
    bestOfA[i + 1] = i1;
    bestOfA[i + 2] = i2;
    bestOfA[i + 3] = i3;
  }
  // Tails: the last B column when nB is odd (for the blocked rows), then the last nA % 4 rows.
  const visit = (i: number, j: number) => {
    const ao = i * D;
    const bo = j * D;
    let s = 0;
    for (let d = 0; d < D; d++) s += A[ao + d] * B[bo + d];
    if (s > valOfA[i]) {
      valOfA[i] = s;
      bestOfA[i] = j;
    }
    if (s > valOfB[j]) {
      valOfB[j] = s;
      bestOfB[j] = i;
    }
  };
  if (nB2 < nB) for (let i = 0; i < nA4; i++) visit(i, nB - 1);
  for (let i = nA4; i < nA; i++) for (let j = 0; j < nB; j++) visit(i, j);

  const outA: number[] = [];
  const outB: number[] = [];
  const sims: number[] = [];
  for (let i = 0; i < nA; i++) {
    const j = bestOfA[i];
    if (j >= 0 && bestOfB[j] === i) {
      outA.push(candA[i]);
      outB.push(candB[j]);
      sims.push(valOfA[i]);
    }
  }
  return { a: Int32Array.from(outA), b: Int32Array.from(outB), similarity: Float32Array.from(sims) };
}

/** Throws 'model-contract' unless the arrays have the sizes the grid says. */
export function validateDense(dense: DenseOutput, label: string): void {
  const { gridWidth: w, gridHeight: h, descriptorDim: D } = dense;
  const cells = w * h;
  if (!(Number.isInteger(w) && Number.isInteger(h) && Number.isInteger(D)) || w < 0 || h < 0 || D < 1) {
    throw new CoamError('model-contract', `${label}: bad output shape (grid ${w} x ${h}, descriptor size ${D}).`);
  }
  if (dense.descriptors.length !== D * cells) {
    throw new CoamError(
      'model-contract',
      `${label}: descriptors have ${dense.descriptors.length} values, expected ${D} x ${h} x ${w} = ${D * cells}.`,
    );
  }
  if (dense.distinctiveness.length !== cells) {
    throw new CoamError(
      'model-contract',
      `${label}: distinctiveness has ${dense.distinctiveness.length} values, expected ${h} x ${w} = ${cells}.`,
    );
  }
}

/**
 * The paper's matching of two dense outputs (A conditioned on B, B conditioned on A): candidates,
 * mutual nearest neighbours, score = similarity x distinctivenessA x distinctivenessB. Sorted by
 * score descending, equal scores by cellA ascending, so every top-K is a prefix.
 */
export function matchDense(denseA: DenseOutput, denseB: DenseOutput, opts: MatchOptions): RawMatch[] {
  if (denseA.descriptorDim !== denseB.descriptorDim) {
    throw new CoamError(
      'model-contract',
      `The two images have descriptors of different sizes (${denseA.descriptorDim} and ${denseB.descriptorDim}); ` +
        'both passes must come from the same model.',
    );
  }
  validateDense(denseA, 'image A');
  validateDense(denseB, 'image B');
  const candA = selectCandidates(denseA, opts);
  const candB = selectCandidates(denseB, opts);
  const cellsA = denseA.gridWidth * denseA.gridHeight;
  const cellsB = denseB.gridWidth * denseB.gridHeight;
  const mnn = mutualNearest(denseA.descriptors, candA, cellsA, denseB.descriptors, candB, cellsB, denseA.descriptorDim);
  const out: RawMatch[] = new Array(mnn.a.length);
  for (let k = 0; k < mnn.a.length; k++) {
    const cellA = mnn.a[k];
    const cellB = mnn.b[k];
    const similarity = mnn.similarity[k];
    const distinctivenessA = denseA.distinctiveness[cellA];
    const distinctivenessB = denseB.distinctiveness[cellB];
    out[k] = {
      cellA,
      cellB,
      similarity,
      distinctivenessA,
      distinctivenessB,
      score: similarity * distinctivenessA * distinctivenessB,
    };
  }
  const key = (s: number) => (Number.isNaN(s) ? -Infinity : s);
  out.sort((x, y) => key(y.score) - key(x.score) || x.cellA - y.cellA);
  return out;
}

/** The first k of a sorted list: k clamped to [0, length], non-integer k floored (NaN -> 0). */
export function topK<T>(sorted: readonly T[], k: number): T[] {
  const n = Number.isNaN(k) ? 0 : Math.min(sorted.length, Math.max(0, Math.floor(k)));
  return sorted.slice(0, n);
}

/** Centre of cell `cell` (row-major) in fed pixels: ((j + 0.5) s - 0.5, (i + 0.5) s - 0.5). */
export function cellCenterFed(cell: number, gridWidth: number, stride: number): Point {
  const i = Math.floor(cell / gridWidth);
  const j = cell - i * gridWidth;
  return [(j + 0.5) * stride - 0.5, (i + 0.5) * stride - 0.5];
}

/** The cell whose centre is nearest the fed pixel (x, y): inverse of cellCenterFed, clamped to the grid. */
export function nearestCell(xFed: number, yFed: number, gridWidth: number, gridHeight: number, stride: number): number {
  const clamp = (v: number, n: number) => (Number.isNaN(v) ? 0 : Math.min(n - 1, Math.max(0, v)));
  // Cell j spans fed pixels [j s - 0.5, (j + 1) s - 0.5), centred on its centre.
  const j = clamp(Math.floor((xFed + 0.5) / stride), gridWidth);
  const i = clamp(Math.floor((yFed + 0.5) / stride), gridHeight);
  return i * gridWidth + j;
}

/**
 * Cosine similarity of A's descriptor at `cellA` with every cell of B (length gridH x gridW of B),
 * for the "inspect" heatmap.
 */
export function similarityMap(denseA: DenseOutput, cellA: number, denseB: DenseOutput): Float32Array {
  if (denseA.descriptorDim !== denseB.descriptorDim) {
    throw new CoamError(
      'model-contract',
      `The two images have descriptors of different sizes (${denseA.descriptorDim} and ${denseB.descriptorDim}).`,
    );
  }
  const cellsA = denseA.gridWidth * denseA.gridHeight;
  if (!Number.isInteger(cellA) || cellA < 0 || cellA >= cellsA) {
    throw new CoamError('bad-argument', `Cell ${cellA} is outside image A's ${denseA.gridHeight} x ${denseA.gridWidth} grid.`);
  }
  const cellsB = denseB.gridWidth * denseB.gridHeight;
  const D = denseA.descriptorDim;
  const acc = new Float64Array(cellsB);
  const dB = denseB.descriptors;
  for (let d = 0; d < D; d++) {
    const a = denseA.descriptors[d * cellsA + cellA];
    const plane = d * cellsB;
    for (let c = 0; c < cellsB; c++) acc[c] += a * dB[plane + c];
  }
  return Float32Array.from(acc);
}
