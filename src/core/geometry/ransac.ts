/**
 * The RANSAC behind every estimator here: LO-RANSAC with MSAC scoring. A sample that beats the
 * best sample so far is locally optimised (least-squares refits on its inliers, plus refits of
 * random inlier subsets), the model with the lowest truncated-quadratic cost wins, and the winner
 * gets a final polished fit (for F and E: Levenberg-Marquardt on the Sampson error over the
 * rank-2 / essential manifold). Without these, the linear fits bend towards the few outliers that
 * fall inside the threshold. Seeded and adaptive: the same seed and input give the same result.
 */
import { createRng, sampleDistinct } from '../linalg';

export interface RansacOptions {
  /** Inlier threshold (px for H and F, normalised image units for E). */
  threshold?: number;
  /** Upper bound on iterations (the adaptive count stops earlier). Default 2000. */
  maxIterations?: number;
  /** Probability of drawing at least one all-inlier sample. Default 0.999. */
  confidence?: number;
  /** PRNG seed: the same seed and input give the same result. Default 0. */
  seed?: number;
}

export interface RansacResult {
  inliers: Uint8Array;
  inlierCount: number;
}

interface Model {
  M: number[];
}

export function ransac(
  n: number,
  sampleSize: number,
  /** The model(s) of a minimal sample (the 5-point solver has up to 10). */
  fit: (idx: Int32Array) => number[][],
  /** Least squares on the masked correspondences; `polish` asks for the best (slower) fit. */
  fitAll: (mask: Uint8Array, polish: boolean) => number[] | null,
  error: (M: number[], i: number) => number,
  opts: RansacOptions,
  defaultThreshold: number,
): (Model & RansacResult) | null {
  const threshold = opts.threshold ?? defaultThreshold;
  const maxIterations = Math.max(1, Math.floor(opts.maxIterations ?? 2000));
  const confidence = Math.min(Math.max(opts.confidence ?? 0.999, 0), 1 - 1e-12);
  if (n < sampleSize || !(threshold > 0)) return null;
  const rng = createRng(opts.seed ?? 0);
  const idx = new Int32Array(sampleSize);
  const t2 = threshold * threshold;

  // The MSAC cost (squared errors truncated at the threshold): it prefers the model that fits
  // its inliers best over one that bends to catch a few more.
  // `bound`: stop counting once the cost reaches it (the model has lost already).
  const cost = (M: number[], bound = Infinity) => {
    let c = 0;
    for (let i = 0; i < n && c < bound; i++) {
      const e = error(M, i);
      c += e < threshold ? e * e : t2;
    }
    return c;
  };
  const inliersOf = (M: number[]) => {
    const m = new Uint8Array(n);
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (error(M, i) < threshold) {
        m[i] = 1;
        c++;
      }
    }
    return { m, c };
  };
  // Local optimisation (LO-RANSAC): refit on the inliers while that lowers the cost.
  type Scored = { M: number[]; cost: number; m: Uint8Array; c: number };
  const refine = (start: Scored, rounds: number) => {
    let cur = start;
    for (let round = 0; round < rounds && cur.c >= sampleSize; round++) {
      const M2 = fitAll(cur.m, false);
      if (!M2) break;
      const c2 = cost(M2);
      if (!(c2 < cur.cost)) break;
      cur = { M: M2, cost: c2, ...inliersOf(M2) };
    }
    return cur;
  };
  // ...and an inner RANSAC: least-squares fits of random subsets of those inliers (twice the
  // minimal size), each refined. A least-squares fit on ALL the inliers of a model that bent to
  // catch a few outliers stays bent; fits of subsets often miss those outliers.
  const innerSize = 2 * sampleSize;
  const sub = new Int32Array(innerSize);
  const optimise = (M: number[], c: number) => {
    let top = refine({ M, cost: c, ...inliersOf(M) }, 4);
    const from = top;
    if (from.c <= innerSize) return top;
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (from.m[i]) members.push(i);
    for (let k = 0; k < 5; k++) {
      sampleDistinct(rng, members.length, innerSize, sub);
      const mask = new Uint8Array(n);
      for (let j = 0; j < innerSize; j++) mask[members[sub[j]]] = 1;
      const M2 = fitAll(mask, false);
      if (!M2) continue;
      const r = refine({ M: M2, cost: cost(M2), ...inliersOf(M2) }, 2);
      if (r.cost < top.cost) top = r;
    }
    return top;
  };

  // Local optimisation runs when a sample beats the best SAMPLE so far (an optimised model's cost
  // is out of reach of raw samples, and would stop the search at the first one).
  let best: Scored | null = null;
  let bestSampleCost = Infinity;
  let needed = maxIterations;
  for (let iter = 0; iter < needed; iter++) {
    sampleDistinct(rng, n, sampleSize, idx);
    for (const M of fit(idx)) {
      const c = cost(M, bestSampleCost);
      if (!(c < bestSampleCost)) continue;
      bestSampleCost = c;
      const candidate = optimise(M, c);
      if (best && !(candidate.cost < best.cost)) continue;
      best = candidate;
      const pAllIn = Math.pow(best.c / n, sampleSize);
      if (pAllIn >= 1) needed = iter + 1;
      else if (pAllIn > 0) {
        const k = Math.ceil(Math.log(1 - confidence) / Math.log(1 - pAllIn));
        if (Number.isFinite(k)) needed = Math.min(maxIterations, Math.max(k, iter + 1));
      }
    }
  }
  if (!best) return null;
  // Polish: the best fit (e.g. Levenberg-Marquardt on the Sampson error) on the final inliers.
  if (best.c >= sampleSize) {
    const M = fitAll(best.m, true);
    if (M) {
      const c = cost(M);
      if (c < best.cost) best = { M, cost: c, ...inliersOf(M) };
    }
  }
  return { M: best.M, inliers: best.m, inlierCount: best.c };
}

export function pick<T>(arr: readonly T[], idx: Int32Array): T[] {
  const out = new Array<T>(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = arr[idx[i]];
  return out;
}

export function masked<T>(arr: readonly T[], mask: Uint8Array): T[] {
  const out: T[] = [];
  for (let i = 0; i < arr.length; i++) if (mask[i]) out.push(arr[i]);
  return out;
}
