/**
 * Candidate cells of one image: local maxima of distinctiveness (non-maximum suppression), above a
 * threshold, the most distinctive first, up to a cap.
 */
import type { DenseOutput, MatchOptions } from '../types';
import { CoamError } from '../errors';

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
