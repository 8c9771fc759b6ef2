/** Sub-cell refinement: where, within half a cell, the other image's descriptor fits best. */
import type { DenseOutput } from '../types';

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
