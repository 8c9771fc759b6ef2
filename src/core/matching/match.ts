/**
 * CoAM's matching of two dense outputs (Wiles et al., CVPR 2021): candidates, mutual nearest
 * neighbours, the ratio test, and score = similarity x distinctiveness(A) x distinctiveness(B),
 * sorted descending so that any top-K is a prefix of one list.
 */
import type { DenseOutput, MatchOptions } from '../types';
import { CoamError } from '../errors';
import { selectCandidates } from './candidates';
import { mutualAmongCandidates, mutualNearestGrid } from './mutual';
import { distanceRatio } from './ratio';

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
