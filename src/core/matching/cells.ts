/**
 * The dense output's grid: where a cell lies in fed pixels and back, one cell's descriptor, its
 * similarity with every cell of the other image, and candidates' descriptors gathered into rows.
 */
import type { DenseOutput, Point } from '../types';
import { CoamError } from '../errors';

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

/** Copies the candidates' descriptors out of the planar D x cells layout into cell-major rows. */
export function gather(desc: Float32Array, cand: Int32Array, cells: number, dim: number): Float32Array {
  const n = cand.length;
  const out = new Float32Array(n * dim);
  for (let d = 0; d < dim; d++) {
    const plane = d * cells;
    for (let k = 0; k < n; k++) out[k * dim + d] = desc[plane + cand[k]];
  }
  return out;
}
