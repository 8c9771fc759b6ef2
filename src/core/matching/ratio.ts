/**
 * Lowe's ratio test on the dense grid: each query's nearest neighbour and its runner-up outside a
 * window of cells around it (neighbouring cells describe overlapping patches), and the ratio of
 * their descriptor distances.
 */
import type { DenseOutput } from '../types';
import { gather } from './cells';
import { simdKernel, simdRows } from './simd';

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
export const ratioWindow = (dense: DenseOutput): Exclusion => ({ gridWidth: dense.gridWidth, radius: RATIO_EXCLUSION_RADIUS });

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
