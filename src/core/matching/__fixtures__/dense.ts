/** Random dense outputs for the matching tests. */
import type { DenseOutput } from '../../types';

/** Random unit descriptors, planar D x cells. */
export function randomDescriptors(rng: () => number, cells: number, dim: number): Float32Array {
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

export function randomDense(rng: () => number, w: number, h: number, dim: number, stride = 8): DenseOutput {
  return {
    descriptors: randomDescriptors(rng, w * h, dim),
    distinctiveness: Float32Array.from({ length: w * h }, () => rng()),
    descriptorDim: dim,
    gridWidth: w,
    gridHeight: h,
    stride,
  };
}
