import { describe, expect, it } from 'vitest';
import { createRng, det3, inverse3, mul3, nullVector, nullVectorMinimal, sampleDistinct, svd, svd3, transpose3 } from './linalg';

function randomMatrix(rng: () => number, rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, () => rng() * 2 - 1);
}

describe('3x3 helpers', () => {
  it('multiplies, transposes and takes determinants', () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 10];
    const b = [2, 0, 1, 1, 3, 0, 0, 1, 1];
    expect(mul3(a, b)).toEqual([4, 9, 4, 13, 21, 10, 22, 34, 17]);
    expect(transpose3(a)).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 10]);
    expect(det3(a)).toBeCloseTo(-3, 12);
  });

  it('inverts, and refuses a singular matrix', () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 10];
    const inv = inverse3(a)!;
    const id = mul3(a, inv);
    id.forEach((v, k) => expect(v).toBeCloseTo(k % 4 === 0 ? 1 : 0, 12));
    expect(inverse3([1, 2, 3, 2, 4, 6, 0, 1, 1])).toBeNull();
    expect(inverse3([0, 0, 0, 0, 0, 0, 0, 0, 0])).toBeNull();
  });
});

describe('svd (one-sided Jacobi)', () => {
  it.each([
    [40, 9],
    [9, 9],
    [8, 9],
    [3, 3],
  ])('reconstructs a random %i x %i matrix with orthonormal V and sorted values', (rows, cols) => {
    const rng = createRng(rows * 31 + cols);
    const a = randomMatrix(rng, rows, cols);
    const { U, S, V } = svd(a, rows, cols);
    for (let k = 1; k < cols; k++) expect(S[k]).toBeLessThanOrEqual(S[k - 1]);
    // V^T V = I
    for (let p = 0; p < cols; p++) {
      for (let q = 0; q < cols; q++) {
        let s = 0;
        for (let i = 0; i < cols; i++) s += V[i * cols + p] * V[i * cols + q];
        expect(s).toBeCloseTo(p === q ? 1 : 0, 10);
      }
    }
    // A = U S V^T
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let k = 0; k < cols; k++) s += U[i * cols + k] * S[k] * V[j * cols + k];
        expect(s).toBeCloseTo(a[i * cols + j], 10);
      }
    }
    if (rows < cols) expect(S[cols - 1]).toBeLessThan(1e-12);
  });

  it('svd3 gives proper orthonormal U for a rank-2 matrix', () => {
    const a = [0, -3, 2, 3, 0, -1, -2, 1, 0]; // skew-symmetric: rank 2
    const { U, S, V } = svd3(a);
    expect(S[2]).toBeLessThan(1e-12);
    const recon = mul3(mul3(U, [S[0], 0, 0, 0, S[1], 0, 0, 0, S[2]]), transpose3(V));
    recon.forEach((v, k) => expect(v).toBeCloseTo(a[k], 10));
    const utu = mul3(transpose3(U), U);
    utu.forEach((v, k) => expect(v).toBeCloseTo(k % 4 === 0 ? 1 : 0, 10));
  });
});

describe('nullVectorMinimal', () => {
  it('matches the SVD null vector of a random 8 x 9 matrix (up to sign)', () => {
    const rng = createRng(99);
    for (let t = 0; t < 20; t++) {
      const a = randomMatrix(rng, 8, 9);
      const x = nullVectorMinimal(a, 8, 9)!;
      const padded = [...a, ...new Array(9).fill(0)];
      const y = nullVector(padded, 9, 9).x;
      const sign = Math.sign(x.reduce((s, v, k) => s + v * y[k], 0));
      x.forEach((v, k) => expect(v).toBeCloseTo(sign * y[k], 9));
      for (let i = 0; i < 8; i++) {
        let s = 0;
        for (let j = 0; j < 9; j++) s += a[i * 9 + j] * x[j];
        expect(Math.abs(s)).toBeLessThan(1e-12);
      }
    }
  });

  it('returns null when the rank is short', () => {
    const rng = createRng(5);
    const a = randomMatrix(rng, 8, 9);
    for (let j = 0; j < 9; j++) a[7 * 9 + j] = 2 * a[3 * 9 + j]; // row 7 = 2 x row 3
    expect(nullVectorMinimal(a, 8, 9)).toBeNull();
  });
});

describe('createRng', () => {
  it('is deterministic per seed and uniform-ish in [0, 1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(c()).not.toEqual(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(m - 0.5)).toBeLessThan(0.05);
  });

  it('sampleDistinct draws distinct indices in range', () => {
    const rng = createRng(1);
    for (let t = 0; t < 100; t++) {
      const s = Array.from(sampleDistinct(rng, 8, 8));
      expect(new Set(s).size).toBe(8);
      s.forEach((x) => expect(x >= 0 && x < 8).toBe(true));
    }
  });
});
