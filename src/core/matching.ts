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
  /** The ratio test's value (`distanceRatio`): the worse of the two directions, in [0, 1]. */
  ratio: number;
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

export interface MutualNearestResult {
  a: Int32Array;
  b: Int32Array;
  similarity: Float32Array;
  /**
   * Per pair, the best similarity of A's cell with B's cells outside the window around its match
   * (secondA), and of B's cell with A's (secondB): the ratio test's runners-up. Absent from
   * `mutualNearest`, which only knows the candidates.
   */
  secondA?: Float32Array;
  secondB?: Float32Array;
}

/**
 * Mutual nearest neighbours by cosine similarity (dot product of unit descriptors) among the
 * candidate cells of A and B. Descriptors are planar D x cells. Returns CELL indices of each
 * mutual pair, in the order of `candA`, with their similarity. Ties go to the earlier candidate.
 *
 * The all-pairs products run in a WebAssembly SIMD kernel where the runtime has one (every
 * current browser and Node; about 3x faster, float32 sums), else in `mutualNearestScalar`.
 */
export function mutualNearest(
  descA: Float32Array,
  candA: Int32Array,
  cellsA: number,
  descB: Float32Array,
  candB: Int32Array,
  cellsB: number,
  dim: number,
): MutualNearestResult {
  if (candA.length === 0 || candB.length === 0 || dim <= 0) {
    return { a: new Int32Array(0), b: new Int32Array(0), similarity: new Float32Array(0) };
  }
  const simd = simdKernel();
  if (simd) {
    const r = mutualNearestSimd(simd, descA, candA, cellsA, descB, candB, cellsB, dim);
    if (r) return r;
  }
  return mutualNearestScalar(descA, candA, cellsA, descB, candB, cellsB, dim);
}

/**
 * `mutualNearest` in plain JavaScript (float64 sums): the candidates are gathered into
 * contiguous cell-major rows, then a 4 (A) x 2 (B) register-blocked kernel tracks both
 * directions' best at once. The fallback, and the reference the SIMD path is tested against.
 */
export function mutualNearestScalar(
  descA: Float32Array,
  candA: Int32Array,
  cellsA: number,
  descB: Float32Array,
  candB: Int32Array,
  cellsB: number,
  dim: number,
): MutualNearestResult {
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

  return mutualPairs(candA, candB, { bestOfA, valOfA, bestOfB });
}

// ---------------------------------------------------------------------------------------------
// WebAssembly SIMD similarity kernel

interface SimdKernel {
  /** S[r * nb + j] = <A[r], B[j]> for r < rows, j < nb (nb a multiple of 4, d of 4), all f32. */
  dots: (a: number, b: number, s: number, rows: number, nb: number, d: number) => void;
  memory: WebAssembly.Memory;
}

let simdState: SimdKernel | null | undefined;

/** Which kernel `mutualNearest` uses in this runtime (for a status line or a benchmark). */
export function mutualNearestBackend(): 'wasm-simd' | 'js' {
  return simdKernel() ? 'wasm-simd' : 'js';
}

/** The kernel, compiled once (about 500 bytes); null where WebAssembly SIMD is unavailable. */
function simdKernel(): SimdKernel | null {
  if (simdState !== undefined) return simdState;
  simdState = null;
  try {
    if (typeof WebAssembly === 'undefined') return null;
    const bytes = dotsModuleBytes();
    if (!WebAssembly.validate(bytes)) return null;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const { dots, mem } = instance.exports as { dots: SimdKernel['dots']; mem: WebAssembly.Memory };
    simdState = { dots, memory: mem };
  } catch {
    simdState = null;
  }
  return simdState;
}

/**
 * The binary of a one-function module, written out here rather than shipped as a file so the
 * core stays plain TypeScript. In WAT terms:
 *   for i < rows: for j < nb step 4:  acc0..3 = sum_k A[i][k:k+4] * B[j+0..3][k:k+4]  (f32x4)
 *                                      S[i*nb + j + 0..3] = horizontal sums of acc0..3
 * One A load feeds four B rows; the memory is exported as `mem`, the function as `dots`.
 */
function dotsModuleBytes(): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f;
  const V128 = 0x7b;
  const leb = (n: number) => {
    const out: number[] = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n) byte |= 0x80;
      out.push(byte);
    } while (n);
    return out;
  };
  const name = (t: string) => [...leb(t.length), ...Array.from(t, (c) => c.charCodeAt(0))];
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const tee = (l: number) => [0x22, l];
  const i32 = (v: number) => [0x41, ...leb(v)];
  const simd = (op: number) => [0xfd, ...leb(op)];
  const [BLOCK, LOOP, END, BR, BR_IF] = [[0x02, 0x40], [0x03, 0x40], 0x0b, 0x0c, 0x0d];
  const [ADD, MUL, SHL, GE_U, F32_ADD, F32_STORE] = [0x6a, 0x6c, 0x74, 0x4f, 0x92, 0x38];
  const load = [...simd(0x00), 4, 0]; // v128.load align=16 offset=0
  const zero = [...simd(0x0c), ...new Array<number>(16).fill(0)]; // v128.const 0
  const [F4_MUL, F4_ADD] = [simd(0xe6), simd(0xe4)];
  const lane = (l: number) => [...simd(0x1f), l]; // f32x4.extract_lane
  // Locals: 6 params, then 10 i32, then 5 v128.
  const [a, b, s, rows, nb, d] = [0, 1, 2, 3, 4, 5];
  const [i, j, k, pa, pb, pb1, pb2, pb3, rowBytes, addr] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const [acc0, acc1, acc2, acc3, va] = [16, 17, 18, 19, 20];
  // acc += va * B[p + k]
  const mac = (acc: number, p: number) => [
    ...get(acc), ...get(va), ...get(p), ...get(k), ADD, ...load, ...F4_MUL, ...F4_ADD, ...set(acc),
  ];
  // ((lane0 + lane1) + lane2) + lane3
  const hsum = (acc: number) => [
    ...get(acc), ...lane(0),
    ...get(acc), ...lane(1), F32_ADD,
    ...get(acc), ...lane(2), F32_ADD,
    ...get(acc), ...lane(3), F32_ADD,
  ];
  const store = (acc: number, offset: number) => [...get(addr), ...hsum(acc), F32_STORE, 2, offset];
  const code = [
    ...get(d), ...i32(2), SHL, ...set(rowBytes),
    ...BLOCK, ...LOOP,
    ...get(i), ...get(rows), GE_U, BR_IF, 1,
    ...get(a), ...get(i), ...get(rowBytes), MUL, ADD, ...set(pa),
    ...i32(0), ...set(j), ...get(b), ...set(pb),
    ...BLOCK, ...LOOP,
    ...get(j), ...get(nb), GE_U, BR_IF, 1,
    ...get(pb), ...get(rowBytes), ADD, ...tee(pb1),
    ...get(rowBytes), ADD, ...tee(pb2),
    ...get(rowBytes), ADD, ...set(pb3),
    ...zero, ...set(acc0), ...zero, ...set(acc1), ...zero, ...set(acc2), ...zero, ...set(acc3),
    ...i32(0), ...set(k),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(rowBytes), GE_U, BR_IF, 1,
    ...get(pa), ...get(k), ADD, ...load, ...set(va),
    ...mac(acc0, pb), ...mac(acc1, pb1), ...mac(acc2, pb2), ...mac(acc3, pb3),
    ...get(k), ...i32(16), ADD, ...set(k),
    BR, 0,
    END, END,
    ...get(s), ...get(i), ...get(nb), MUL, ...get(j), ADD, ...i32(2), SHL, ADD, ...set(addr),
    ...store(acc0, 0), ...store(acc1, 4), ...store(acc2, 8), ...store(acc3, 12),
    ...get(pb3), ...get(rowBytes), ADD, ...set(pb),
    ...get(j), ...i32(4), ADD, ...set(j),
    BR, 0,
    END, END,
    ...get(i), ...i32(1), ADD, ...set(i),
    BR, 0,
    END, END,
    END,
  ];
  const body = [2, 10, I32, 5, V128, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // magic, version 1
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]), // type: (i32 x 6) -> ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0, 1]), // one memory, at least 1 page
    ...section(7, [2, ...name('dots'), 0, 0, ...name('mem'), 2, 0]), // exports
    ...section(10, [1, ...leb(body.length), ...body]), // code
  ]);
}

/** Rows of A per kernel call: the similarity block S stays small (rows x nB floats). */
const SIMD_ROWS = 64;
const MAX_SIMD_BYTES = 512 * 1024 * 1024;

interface BestBoth {
  /** For each candidate of A: the position in candB of its nearest neighbour, and the similarity. */
  bestOfA: Int32Array;
  valOfA: Float32Array | Float64Array;
  /** For each candidate of B: the position in candA of its nearest neighbour. */
  bestOfB: Int32Array;
}

/** The pairs that are each other's nearest neighbour, as cell indices, in A's candidate order. */
function mutualPairs(candA: Int32Array, candB: Int32Array, { bestOfA, valOfA, bestOfB }: BestBoth): MutualNearestResult {
  const outA: number[] = [];
  const outB: number[] = [];
  const sims: number[] = [];
  for (let i = 0; i < candA.length; i++) {
    const j = bestOfA[i];
    if (j >= 0 && bestOfB[j] === i) {
      outA.push(candA[i]);
      outB.push(candB[j]);
      sims.push(valOfA[i]);
    }
  }
  return { a: Int32Array.from(outA), b: Int32Array.from(outB), similarity: Float32Array.from(sims) };
}

function mutualNearestSimd(
  kernel: SimdKernel,
  descA: Float32Array,
  candA: Int32Array,
  cellsA: number,
  descB: Float32Array,
  candB: Int32Array,
  cellsB: number,
  dim: number,
): MutualNearestResult | null {
  const best = bestBothSimd(kernel, descA, candA, cellsA, descB, candB, cellsB, dim);
  if (!best) return null;
  return mutualPairs(candA, candB, best);
}

/** Both directions' nearest neighbours among two candidate sets, in the SIMD kernel. */
function bestBothSimd(
  kernel: SimdKernel,
  descA: Float32Array,
  candA: Int32Array,
  cellsA: number,
  descB: Float32Array,
  candB: Int32Array,
  cellsB: number,
  dim: number,
): BestBoth | null {
  const nA = candA.length;
  const nB = candB.length;
  const bestOfA = new Int32Array(nA).fill(-1);
  const valOfA = new Float32Array(nA);
  const bestOfB = new Int32Array(nB).fill(-1);
  const valOfB = new Float32Array(nB).fill(-Infinity);
  const ok = simdRows(kernel, descA, candA, cellsA, descB, candB, cellsB, dim, (i, S, o) => {
    let bv = -Infinity;
    let bj = -1;
    for (let j = 0; j < nB; j++) {
      const v = S[o + j];
      if (v > bv) {
        bv = v;
        bj = j;
      }
      if (v > valOfB[j]) {
        valOfB[j] = v;
        bestOfB[j] = i;
      }
    }
    bestOfA[i] = bj;
    valOfA[i] = bv;
  });
  return ok ? { bestOfA, valOfA, bestOfB } : null;
}

/**
 * The similarities of every candidate of A with every candidate of B, computed in the SIMD kernel
 * SIMD_ROWS rows at a time and handed to `onRow(i, S, o)`: row i is S[o .. o + candB.length).
 * False (nothing visited) when the kernel's memory cannot hold the problem.
 */
function simdRows(
  kernel: SimdKernel,
  descA: Float32Array,
  candA: Int32Array,
  cellsA: number,
  descB: Float32Array,
  candB: Int32Array,
  cellsB: number,
  dim: number,
  onRow: (i: number, S: Float32Array, o: number) => void,
): boolean {
  const nA = candA.length;
  const nB = candB.length;
  const D = (dim + 3) & ~3; // rows padded with zeros to whole f32x4 vectors
  const nBp = (nB + 3) & ~3; // and B padded with zero rows to whole groups of 4
  const offA = 0;
  const offB = offA + nA * D * 4;
  const offS = offB + nBp * D * 4;
  const need = offS + SIMD_ROWS * nBp * 4;
  if (need > MAX_SIMD_BYTES) return false;
  const { memory, dots } = kernel;
  if (memory.buffer.byteLength < need) {
    try {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    } catch {
      return false;
    }
  }
  const heap = new Float32Array(memory.buffer);
  heap.fill(0, 0, offS / 4);
  for (let k = 0; k < nA; k++) {
    const row = offA / 4 + k * D;
    const c = candA[k];
    for (let d = 0; d < dim; d++) heap[row + d] = descA[d * cellsA + c];
  }
  for (let k = 0; k < nB; k++) {
    const row = offB / 4 + k * D;
    const c = candB[k];
    for (let d = 0; d < dim; d++) heap[row + d] = descB[d * cellsB + c];
  }
  const S = new Float32Array(memory.buffer, offS, SIMD_ROWS * nBp);
  for (let i0 = 0; i0 < nA; i0 += SIMD_ROWS) {
    const rows = Math.min(SIMD_ROWS, nA - i0);
    dots(offA + i0 * D * 4, offB, offS, rows, nBp, D);
    for (let r = 0; r < rows; r++) onRow(i0 + r, S, r * nBp);
  }
  return true;
}

/**
 * Where a second-best neighbour may lie: outside the (2r+1)^2 window of cells around the best one
 * (cells of one grid `gridWidth` wide). Neighbouring cells of a dense map describe overlapping
 * patches, so the runner-up that says whether a match is ambiguous is the best one elsewhere.
 */
export interface Exclusion {
  gridWidth: number;
  radius: number;
}

/** Window of cells around the best match that the ratio test's runner-up must lie outside. */
export const RATIO_EXCLUSION_RADIUS = 2;

/** The ratio test's window on one image's grid. */
const ratioWindow = (dense: DenseOutput): Exclusion => ({ gridWidth: dense.gridWidth, radius: RATIO_EXCLUSION_RADIUS });

/** Grid rows and columns of a list of cells (for the ratio test's window). */
function cellCoordinates(cells: Int32Array, gridWidth: number): { row: Int32Array; col: Int32Array } {
  const row = new Int32Array(cells.length);
  const col = new Int32Array(cells.length);
  for (let k = 0; k < cells.length; k++) {
    row[k] = Math.floor(cells[k] / gridWidth);
    col[k] = cells[k] - row[k] * gridWidth;
  }
  return { row, col };
}

/** The best of `sims[o .. o + n)` outside `radius` (rows and columns) of position `best`. */
function secondOutside(sims: ArrayLike<number>, o: number, n: number, best: number, at: { row: Int32Array; col: Int32Array }, radius: number): number {
  if (best < 0) return -Infinity;
  const r0 = at.row[best];
  const c0 = at.col[best];
  let v2 = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = sims[o + j];
    if (v > v2 && (Math.abs(at.row[j] - r0) > radius || Math.abs(at.col[j] - c0) > radius)) v2 = v;
  }
  return v2;
}

/**
 * `secondOutside` when the targets are a whole grid in row-major order: the rows outside the
 * window and the parts of the window's rows left and right of it are plain contiguous runs.
 */
function secondOutsideGrid(sims: ArrayLike<number>, o: number, n: number, best: number, gridWidth: number, radius: number): number {
  if (best < 0) return -Infinity;
  const r0 = Math.floor(best / gridWidth);
  const c0 = best - r0 * gridWidth;
  const maxOf = (from: number, to: number, v: number) => {
    for (let j = from; j < to; j++) if (sims[o + j] > v) v = sims[o + j];
    return v;
  };
  const top = Math.max(0, r0 - radius);
  const bottom = Math.min(Math.ceil(n / gridWidth) - 1, r0 + radius);
  let v2 = maxOf(0, top * gridWidth, -Infinity);
  v2 = maxOf(Math.min(n, (bottom + 1) * gridWidth), n, v2);
  const left = Math.max(0, c0 - radius);
  const right = Math.min(gridWidth - 1, c0 + radius);
  for (let r = top; r <= bottom; r++) {
    const row = r * gridWidth;
    v2 = maxOf(row, row + left, v2);
    v2 = maxOf(row + right + 1, Math.min(n, row + gridWidth), v2);
  }
  return v2;
}

/**
 * Nearest neighbour of each query cell among the target cells: CELL indices of the targets and the
 * similarities; with `exclude`, also each query's best similarity outside the window around its
 * nearest neighbour (-Infinity when no target lies outside). SIMD kernel where available, else
 * plain loops.
 */
export function nearestNeighbours(
  descQ: Float32Array,
  candQ: Int32Array,
  cellsQ: number,
  descT: Float32Array,
  candT: Int32Array,
  cellsT: number,
  dim: number,
  exclude?: Exclusion,
): { cell: Int32Array; similarity: Float32Array; second: Float32Array } {
  const cell = new Int32Array(candQ.length).fill(-1);
  const similarity = new Float32Array(candQ.length).fill(-Infinity);
  const second = new Float32Array(candQ.length).fill(-Infinity);
  if (candQ.length === 0 || candT.length === 0) return { cell, similarity, second };
  // The whole grid in order (the usual case) has a fast runner-up search; any other list of cells
  // is checked cell by cell.
  const wholeGrid = !!exclude && candT.length === cellsT && candT.every((c, k) => c === k);
  const at = exclude && !wholeGrid ? cellCoordinates(candT, exclude.gridWidth) : null;
  // Called per query with its row of similarities to every target.
  const scan = (i: number, sims: ArrayLike<number>, o: number) => {
    let bv = -Infinity;
    let bj = -1;
    for (let j = 0; j < candT.length; j++) {
      if (sims[o + j] > bv) {
        bv = sims[o + j];
        bj = j;
      }
    }
    cell[i] = bj >= 0 ? candT[bj] : -1;
    similarity[i] = bv;
    if (wholeGrid) second[i] = secondOutsideGrid(sims, o, candT.length, bj, exclude!.gridWidth, exclude!.radius);
    else if (at) second[i] = secondOutside(sims, o, candT.length, bj, at, exclude!.radius);
  };
  const simd = simdKernel();
  if (simd && simdRows(simd, descQ, candQ, cellsQ, descT, candT, cellsT, dim, scan)) return { cell, similarity, second };
  const q = gather(descQ, candQ, cellsQ, dim);
  const t = gather(descT, candT, cellsT, dim);
  const row = new Float64Array(candT.length);
  for (let i = 0; i < candQ.length; i++) {
    for (let j = 0; j < candT.length; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += q[i * dim + d] * t[j * dim + d];
      row[j] = s;
    }
    scan(i, row, 0);
  }
  return { cell, similarity, second };
}

/**
 * Mutual nearest neighbours checked against the WHOLE grid of the other image: a candidate i of A
 * and the cell j of B are a match when j is i's nearest neighbour among all of B's cells and i is
 * j's nearest neighbour among all of A's cells (and the same from B's candidates). Candidates keep
 * the cost down; checking against every cell is what makes a match mutual in the paper's sense,
 * rather than mutual within two short lists, and it roughly doubled the precision of our model's
 * matches on ../shared/data/val.
 */
export function mutualNearestGrid(denseA: DenseOutput, candA: Int32Array, denseB: DenseOutput, candB: Int32Array): MutualNearestResult {
  const dim = denseA.descriptorDim;
  const cellsA = denseA.gridWidth * denseA.gridHeight;
  const cellsB = denseB.gridWidth * denseB.gridHeight;
  const allA = Int32Array.from({ length: cellsA }, (_, k) => k);
  const allB = Int32Array.from({ length: cellsB }, (_, k) => k);
  // Nearest neighbour over the whole other grid, and the runner-up outside its window, memoised
  // per cell (both directions).
  const nnOfA = new Map<number, number>();
  const nnOfB = new Map<number, number>();
  const simOfA = new Map<number, number>();
  const secondOfA = new Map<number, number>();
  const secondOfB = new Map<number, number>();
  const resolve = (cells: number[], fromA: boolean) => {
    const memo = fromA ? nnOfA : nnOfB;
    const todo = Int32Array.from(new Set(cells.filter((c) => !memo.has(c))));
    if (todo.length === 0) return;
    const r = fromA
      ? nearestNeighbours(denseA.descriptors, todo, cellsA, denseB.descriptors, allB, cellsB, dim, ratioWindow(denseB))
      : nearestNeighbours(denseB.descriptors, todo, cellsB, denseA.descriptors, allA, cellsA, dim, ratioWindow(denseA));
    todo.forEach((c, k) => {
      memo.set(c, r.cell[k]);
      (fromA ? secondOfA : secondOfB).set(c, r.second[k]);
      if (fromA) simOfA.set(c, r.similarity[k]);
    });
  };
  resolve(Array.from(candA), true);
  resolve(Array.from(candB), false);
  resolve(Array.from(candA, (i) => nnOfA.get(i)!).filter((j) => j >= 0), false);
  resolve(Array.from(candB, (j) => nnOfB.get(j)!).filter((i) => i >= 0), true);
  const seen = new Set<number>();
  const outA: number[] = [];
  const outB: number[] = [];
  const sims: number[] = [];
  const seconds: Array<[number, number]> = [];
  const consider = (i: number) => {
    const j = nnOfA.get(i)!;
    if (j < 0 || nnOfB.get(j) !== i || seen.has(i)) return;
    seen.add(i);
    outA.push(i);
    outB.push(j);
    sims.push(simOfA.get(i)!);
    seconds.push([secondOfA.get(i)!, secondOfB.get(j)!]);
  };
  candA.forEach(consider);
  candB.forEach((j) => {
    const i = nnOfB.get(j)!;
    if (i >= 0 && nnOfA.get(i) === j) consider(i);
  });
  return {
    a: Int32Array.from(outA),
    b: Int32Array.from(outB),
    similarity: Float32Array.from(sims),
    secondA: Float32Array.from(seconds, (x) => x[0]),
    secondB: Float32Array.from(seconds, (x) => x[1]),
  };
}

/**
 * Mutual nearest neighbours within the two candidate lists (`mutualCheck: 'candidates'`), with
 * the ratio test's runners-up also taken from the other image's candidates.
 */
function mutualAmongCandidates(denseA: DenseOutput, candA: Int32Array, denseB: DenseOutput, candB: Int32Array): MutualNearestResult {
  const dim = denseA.descriptorDim;
  const cellsA = denseA.gridWidth * denseA.gridHeight;
  const cellsB = denseB.gridWidth * denseB.gridHeight;
  const mnn = mutualNearest(denseA.descriptors, candA, cellsA, denseB.descriptors, candB, cellsB, dim);
  return {
    ...mnn,
    secondA: nearestNeighbours(denseA.descriptors, mnn.a, cellsA, denseB.descriptors, candB, cellsB, dim, ratioWindow(denseB)).second,
    secondB: nearestNeighbours(denseB.descriptors, mnn.b, cellsB, denseA.descriptors, candA, cellsA, dim, ratioWindow(denseA)).second,
  };
}

/**
 * Lowe's ratio test on unit descriptors: the distance of a match over the distance of the
 * runner-up, d = sqrt(2 - 2 similarity). 0 when there is no runner-up; at most 1, as the
 * runner-up is never nearer than the match.
 */
export function distanceRatio(similarity: number, runnerUp: number): number {
  if (!(runnerUp > -Infinity)) return 0;
  const d1 = Math.sqrt(Math.max(0, 2 - 2 * similarity));
  const d2 = Math.sqrt(Math.max(0, 2 - 2 * runnerUp));
  return d2 > 0 ? Math.min(1, d1 / d2) : 1;
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
  const mnn = (opts.mutualCheck ?? 'grid') === 'grid' ? mutualNearestGrid(denseA, candA, denseB, candB) : mutualAmongCandidates(denseA, candA, denseB, candB);
  const maxRatio = opts.maxRatio ?? 1;
  const out: RawMatch[] = [];
  for (let k = 0; k < mnn.a.length; k++) {
    const cellA = mnn.a[k];
    const cellB = mnn.b[k];
    const similarity = mnn.similarity[k];
    const ratio = Math.max(distanceRatio(similarity, mnn.secondA![k]), distanceRatio(similarity, mnn.secondB![k]));
    if (!(ratio <= maxRatio)) continue;
    const distinctivenessA = denseA.distinctiveness[cellA];
    const distinctivenessB = denseB.distinctiveness[cellB];
    out.push({
      cellA,
      cellB,
      similarity,
      distinctivenessA,
      distinctivenessB,
      score: similarity * distinctivenessA * distinctivenessB,
      ratio,
    });
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

/** The descriptor of one cell (a copy, length D). */
export function descriptorAt(dense: DenseOutput, cell: number): Float32Array {
  const cells = dense.gridWidth * dense.gridHeight;
  const out = new Float32Array(dense.descriptorDim);
  for (let d = 0; d < dense.descriptorDim; d++) out[d] = dense.descriptors[d * cells + cell];
  return out;
}

/** Sample spacing of the sub-cell search, in cells (1/8: half a pixel at stride 4). */
const SUBCELL_STEP = 1 / 8;

/**
 * Sub-cell refinement: where, within half a cell of `cell` in `dense`, the descriptor `query`
 * (from the other image) fits best. The descriptor field is interpolated bilinearly between cell
 * centres, renormalised, and its cosine similarity to the query is searched at 1/8-cell steps; the
 * best sample wins (ties: the one nearest the centre, so a flat field keeps the cell centre).
 * Returns offsets in cells, each within [-0.5, 0.5], never leaving the grid's extent of centres.
 * Cells are `stride` pixels apart, so this recovers accuracy the grid alone would cap at ±stride/2.
 *
 * Fast because the field is linear in the corner descriptors: with the query's dot products with
 * the 3 x 3 cells around `cell` and their Gram matrix, each sample costs a few dozen flops.
 */
export function refineSubcell(dense: DenseOutput, cell: number, query: Float32Array): [number, number] {
  const { gridWidth: w, gridHeight: h, descriptorDim: dim, descriptors } = dense;
  const cells = w * h;
  const ci = Math.floor(cell / w);
  const cj = cell - ci * w;
  // The 3 x 3 neighbourhood, clamped to the grid (k = (di + 1) * 3 + (dj + 1)).
  const nb = new Int32Array(9);
  for (let di = -1; di <= 1; di++)
    for (let dj = -1; dj <= 1; dj++) {
      const i = Math.min(h - 1, Math.max(0, ci + di));
      const j = Math.min(w - 1, Math.max(0, cj + dj));
      nb[(di + 1) * 3 + dj + 1] = i * w + j;
    }
  const q = new Float64Array(9);
  const gram = new Float64Array(81);
  for (let d = 0; d < dim; d++) {
    const plane = d * cells;
    const qd = query[d];
    for (let k = 0; k < 9; k++) {
      const vk = descriptors[plane + nb[k]];
      q[k] += qd * vk;
      for (let l = k; l < 9; l++) gram[k * 9 + l] += vk * descriptors[plane + nb[l]];
    }
  }
  for (let k = 0; k < 9; k++) for (let l = 0; l < k; l++) gram[k * 9 + l] = gram[l * 9 + k];

  const idx = [0, 0, 0, 0];
  const wt = [0, 0, 0, 0];
  const steps = Math.round(0.5 / SUBCELL_STEP);
  let best = -Infinity;
  let bestDx = 0;
  let bestDy = 0;
  let bestR = Infinity;
  for (let sy = -steps; sy <= steps; sy++) {
    const y = sy * SUBCELL_STEP;
    if (ci + y < 0 || ci + y > h - 1) continue;
    // Rows of the 2 x 2 block that holds the sample, as neighbourhood offsets (-1..1).
    const r0 = y < 0 ? -1 : 0;
    const fy = y - r0;
    for (let sx = -steps; sx <= steps; sx++) {
      const x = sx * SUBCELL_STEP;
      if (cj + x < 0 || cj + x > w - 1) continue;
      const c0 = x < 0 ? -1 : 0;
      const fx = x - c0;
      idx[0] = (r0 + 1) * 3 + c0 + 1;
      idx[1] = idx[0] + 1;
      idx[2] = idx[0] + 3;
      idx[3] = idx[0] + 4;
      wt[0] = (1 - fy) * (1 - fx);
      wt[1] = (1 - fy) * fx;
      wt[2] = fy * (1 - fx);
      wt[3] = fy * fx;
      let dot = 0;
      let norm2 = 0;
      for (let k = 0; k < 4; k++) {
        if (wt[k] === 0) continue;
        dot += wt[k] * q[idx[k]];
        for (let l = 0; l < 4; l++) norm2 += wt[k] * wt[l] * gram[idx[k] * 9 + idx[l]];
      }
      const sim = norm2 > 1e-12 ? dot / Math.sqrt(norm2) : -Infinity;
      const r = x * x + y * y;
      if (sim > best + 1e-7 || (Math.abs(sim - best) <= 1e-7 && r < bestR)) {
        best = sim;
        bestDx = x;
        bestDy = y;
        bestR = r;
      }
    }
  }
  return [bestDx, bestDy];
}
