/**
 * The co-attention view's maths: where a point of one image falls on each co-attention level's
 * grid, one row of a level's attention weights (that cell of the image over every cell of the
 * other), its strongest positions, and those back in the other image's original pixels.
 *
 * Frames: points are in ORIGINAL pixels of the (EXIF-upright) image; the network saw each image
 * resized to its fed size (sides multiples of `multiple`, so every level's grid is exact), and B
 * possibly turned by the test-time view the search kept (views.ts). Grids here are the UNTURNED
 * grids of each image unless named `turned`; the network's tensors are on the turned grid of B.
 *
 * Pure maths on plain data (no model, no DOM).
 */
import { fedToOriginal, originalToFed } from './image';
import { cellCenterFed, nearestCell } from './matching/cells';
import type { FedGeometry, Point, Slot } from './types';
import { unturnedSource, unturnGrid, type QuarterTurns } from './views';

/** A level's stride from its name ('s16' → 16); null for a name that is not s<stride>. */
export function levelStride(name: string): number | null {
  const m = /^s([1-9]\d*)$/.exec(name);
  return m ? Number(m[1]) : null;
}

export interface LevelGrid {
  gridWidth: number;
  gridHeight: number;
  stride: number;
}

/** A level's grid over an image fed at `fed` (exact: fed sides are multiples of every stride). */
export function levelGrid(fed: Pick<FedGeometry, 'width' | 'height'>, stride: number): LevelGrid {
  return { gridWidth: Math.round(fed.width / stride), gridHeight: Math.round(fed.height / stride), stride };
}

/** The cell of a level's (unturned) grid that a point in original pixels falls in; clamped to the grid. */
export function cellOfPoint(xyOriginal: Point, geometry: FedGeometry, stride: number): number {
  const { gridWidth, gridHeight } = levelGrid(geometry, stride);
  const [x, y] = originalToFed(xyOriginal, geometry);
  return nearestCell(x, y, gridWidth, gridHeight, stride);
}

/** A cell's centre in original pixels (the unturned grid of an image with this fed geometry). */
export function cellToOriginal(cell: number, geometry: FedGeometry, stride: number): Point {
  const { gridWidth } = levelGrid(geometry, stride);
  return fedToOriginal(cellCenterFed(cell, gridWidth, stride), geometry);
}

/** The grid's size once turned clockwise by `quarterTurns` (sides swap on odd turns). */
function turnedSize(gridWidth: number, gridHeight: number, quarterTurns: QuarterTurns): [number, number] {
  return quarterTurns % 2 === 1 ? [gridHeight, gridWidth] : [gridWidth, gridHeight];
}

/** A cell of the unturned grid → the cell of the grid turned clockwise by `quarterTurns` that shows it. */
export function turnCell(cell: number, gridWidth: number, gridHeight: number, quarterTurns: QuarterTurns): number {
  if (quarterTurns === 0) return cell;
  const [w, h] = turnedSize(gridWidth, gridHeight, quarterTurns);
  return unturnedSource(w, h, quarterTurns)[cell];
}

/** Row `row` of a [rows, columns] row-major matrix (a copy). */
export function attentionRow(matrix: Float32Array, row: number, columns: number): Float32Array {
  if (!(row >= 0 && (row + 1) * columns <= matrix.length)) {
    throw new RangeError(`row ${row} of a matrix of ${matrix.length / columns} rows`);
  }
  return matrix.slice(row * columns, (row + 1) * columns);
}

export interface Peak {
  /** Cell of the (unturned) grid the weights are on. */
  cell: number;
  weight: number;
}

/**
 * The `count` strongest local maxima of weights on a grid (a cell at least as strong as its eight
 * neighbours, the first in row-major order winning a tie), strongest first.
 */
export function topPeaks(weights: Float32Array, gridWidth: number, gridHeight: number, count: number): Peak[] {
  const peaks: Peak[] = [];
  for (let i = 0; i < gridHeight; i++) {
    for (let j = 0; j < gridWidth; j++) {
      const c = i * gridWidth + j;
      const v = weights[c];
      let isPeak = true;
      for (let di = -1; di <= 1 && isPeak; di++) {
        for (let dj = -1; dj <= 1; dj++) {
          const y = i + di;
          const x = j + dj;
          if ((di === 0 && dj === 0) || y < 0 || x < 0 || y >= gridHeight || x >= gridWidth) continue;
          const n = y * gridWidth + x;
          // Strictly weaker neighbours, or an equal one later in row-major order.
          if (weights[n] > v || (weights[n] === v && n < c)) {
            isPeak = false;
            break;
          }
        }
      }
      if (isPeak) peaks.push({ cell: c, weight: v });
    }
  }
  peaks.sort((p, q) => q.weight - p.weight || p.cell - q.cell);
  return peaks.slice(0, Math.max(0, count));
}

/** What the network saw of a pair: each image's fed geometry (unturned frame) and B's turn. */
export interface AttentionFrame {
  geometryA: FedGeometry;
  geometryB: FedGeometry;
  quarterTurns: QuarterTurns;
}

/** One level's query: the point's cell in its own image's unturned grid and in the network's (turned) grid. */
export interface LevelQuery {
  level: string;
  stride: number;
  /** Cell of the queried image's unturned grid. */
  cell: number;
  /** The same cell on the grid the network saw (B turned by the kept view). */
  cellFed: number;
}

/** Where a point of `from` falls on each level, in its own grid and in the network's. */
export function queryCells(from: Slot, xyOriginal: Point, frame: AttentionFrame, levels: ReadonlyArray<{ level: string; stride: number }>): LevelQuery[] {
  const geometry = from === 'A' ? frame.geometryA : frame.geometryB;
  const turns = from === 'A' ? 0 : frame.quarterTurns;
  return levels.map(({ level, stride }) => {
    const cell = cellOfPoint(xyOriginal, geometry, stride);
    const { gridWidth, gridHeight } = levelGrid(geometry, stride);
    return { level, stride, cell, cellFed: turnCell(cell, gridWidth, gridHeight, turns) };
  });
}

/** One level's attention of a point over the other image, on that image's unturned grid. */
export interface AttentionLevel {
  level: string;
  stride: number;
  /** The queried point's cell (its own image's unturned grid at this level). */
  cell: number;
  /** The other image's unturned grid at this level. */
  gridWidth: number;
  gridHeight: number;
  /** Softmax weights over the other image's cells, row-major (sum 1). */
  weights: Float32Array;
}

/**
 * A row of the network's attention (over the other image's grid as the network saw it: B turned)
 * on the other image's unturned grid. `to`: the image attended over.
 */
export function unturnedRow(row: Float32Array, to: Slot, frame: AttentionFrame, stride: number): { weights: Float32Array; gridWidth: number; gridHeight: number } {
  const geometry = to === 'A' ? frame.geometryA : frame.geometryB;
  const turns = to === 'A' ? 0 : frame.quarterTurns;
  const { gridWidth, gridHeight } = levelGrid(geometry, stride);
  const [w, h] = turnedSize(gridWidth, gridHeight, turns);
  if (row.length !== w * h) throw new RangeError(`an attention row of ${row.length} cells over a ${w}×${h} grid`);
  const out = unturnGrid(row, w, h, turns);
  return { weights: out.values, gridWidth: out.width, gridHeight: out.height };
}

/** The peaks of a level's row in the attended image's original pixels, strongest first. */
export function peaksInOriginal(level: Pick<AttentionLevel, 'weights' | 'gridWidth' | 'gridHeight' | 'stride'>, geometry: FedGeometry, count: number): Array<Peak & { xy: Point }> {
  return topPeaks(level.weights, level.gridWidth, level.gridHeight, count).map((p) => ({ ...p, xy: cellToOriginal(p.cell, geometry, level.stride) }));
}
