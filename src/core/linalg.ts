/**
 * Small dense linear algebra for the geometry code: 3x3 helpers (row-major `number[]` of
 * length 9), a one-sided Jacobi SVD for tall or short matrices with a handful of columns
 * (DLT systems: up to 9 columns, any number of rows), and a seeded PRNG for RANSAC.
 * Plain TypeScript, float64 throughout.
 */

export type Mat3 = number[];
export type Vec3 = [number, number, number];

export function mul3(a: readonly number[], b: readonly number[]): Mat3 {
  const out = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    }
  }
  return out;
}

export function transpose3(a: readonly number[]): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

export function det3(a: readonly number[]): number {
  return (
    a[0] * (a[4] * a[8] - a[5] * a[7]) -
    a[1] * (a[3] * a[8] - a[5] * a[6]) +
    a[2] * (a[3] * a[7] - a[4] * a[6])
  );
}

/** Inverse of a 3x3 matrix, or null when it is singular (|det| tiny relative to its scale). */
export function inverse3(a: readonly number[]): Mat3 | null {
  const c00 = a[4] * a[8] - a[5] * a[7];
  const c01 = a[5] * a[6] - a[3] * a[8];
  const c02 = a[3] * a[7] - a[4] * a[6];
  const det = a[0] * c00 + a[1] * c01 + a[2] * c02;
  const scale = frobenius(a);
  if (!Number.isFinite(det) || scale === 0 || Math.abs(det) <= 1e-14 * scale * scale * scale) return null;
  const inv = 1 / det;
  return [
    c00 * inv,
    (a[2] * a[7] - a[1] * a[8]) * inv,
    (a[1] * a[5] - a[2] * a[4]) * inv,
    c01 * inv,
    (a[0] * a[8] - a[2] * a[6]) * inv,
    (a[2] * a[3] - a[0] * a[5]) * inv,
    c02 * inv,
    (a[1] * a[6] - a[0] * a[7]) * inv,
    (a[0] * a[4] - a[1] * a[3]) * inv,
  ];
}

export function mulVec3(a: readonly number[], v: readonly number[]): Vec3 {
  return [
    a[0] * v[0] + a[1] * v[1] + a[2] * v[2],
    a[3] * v[0] + a[4] * v[1] + a[5] * v[2],
    a[6] * v[0] + a[7] * v[1] + a[8] * v[2],
  ];
}

export function frobenius(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

export function cross(a: readonly number[], b: readonly number[]): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function dot3(a: readonly number[], b: readonly number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function norm3(a: readonly number[]): number {
  return Math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
}

/** The skew-symmetric matrix [t]x, so that [t]x v = t x v. */
export function skew(t: readonly number[]): Mat3 {
  return [0, -t[2], t[1], t[2], 0, -t[0], -t[1], t[0], 0];
}

export interface Svd {
  /** rows x cols, row-major; columns are the left singular vectors (zero where S is zero). */
  U: Float64Array;
  /** cols singular values, descending. */
  S: Float64Array;
  /** cols x cols, row-major; column k is the right singular vector of S[k]. */
  V: Float64Array;
  rows: number;
  cols: number;
}

/**
 * Thin SVD A = U diag(S) V^T of a row-major rows x cols matrix by one-sided Jacobi (Hestenes):
 * rotate column pairs of A until all are orthogonal; the column norms are then the singular
 * values. Accurate (no A^T A squaring) and simple; cost per sweep is rows * cols^2, which is
 * what a DLT system (cols <= 9) needs. Works for rows < cols too (missing values are zero).
 */
export function svd(a: ArrayLike<number>, rows: number, cols: number): Svd {
  // Column-major working copy: each column contiguous for the rotations.
  const m = Math.max(rows, 1);
  const w = new Float64Array(m * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[j * m + i] = a[i * cols + j];
  const v = new Float64Array(cols * cols); // column-major too
  for (let j = 0; j < cols; j++) v[j * cols + j] = 1;

  const eps = 1e-15;
  // Columns whose energy is negligible against the whole matrix are (numerically) zero: rotating
  // them only shuffles rounding noise and stalls convergence on rank-deficient input.
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i] * w[i];
  const negligible = 1e-30 * total;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        const po = p * m;
        const qo = q * m;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = w[po + i];
          const y = w[qo + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        if (alpha <= negligible || beta <= negligible) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[po + i];
          const y = w[qo + i];
          w[po + i] = c * x - s * y;
          w[qo + i] = s * x + c * y;
        }
        const pv = p * cols;
        const qv = q * cols;
        for (let i = 0; i < cols; i++) {
          const x = v[pv + i];
          const y = v[qv + i];
          v[pv + i] = c * x - s * y;
          v[qv + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }

  const norms = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += w[j * m + i] * w[j * m + i];
    norms[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: cols }, (_, j) => j).sort((x, y) => norms[y] - norms[x] || x - y);
  const U = new Float64Array(rows * cols);
  const S = new Float64Array(cols);
  const V = new Float64Array(cols * cols);
  for (let k = 0; k < cols; k++) {
    const j = order[k];
    const sv = norms[j];
    S[k] = sv;
    for (let i = 0; i < cols; i++) V[i * cols + k] = v[j * cols + i];
    if (sv > 0) for (let i = 0; i < rows; i++) U[i * cols + k] = w[j * m + i] / sv;
  }
  return { U, S, V, rows, cols };
}

/** The right singular vector of the smallest singular value, and the two smallest values. */
export function nullVector(a: ArrayLike<number>, rows: number, cols: number): { x: number[]; S: Float64Array } {
  const { S, V } = svd(a, rows, cols);
  const x = new Array<number>(cols);
  for (let i = 0; i < cols; i++) x[i] = V[i * cols + cols - 1];
  return { x, S };
}

/** Full SVD of a 3x3 matrix, as plain row-major arrays: A = U diag(S) V^T. */
export function svd3(a: readonly number[]): { U: Mat3; S: Vec3; V: Mat3 } {
  const r = svd(a, 3, 3);
  const U = Array.from(r.U);
  // Complete U where singular values vanished (rank-deficient input): orthonormal completion.
  const col = (k: number): Vec3 => [U[k], U[3 + k], U[6 + k]];
  const setCol = (k: number, c: readonly number[]) => {
    U[k] = c[0];
    U[3 + k] = c[1];
    U[6 + k] = c[2];
  };
  if (r.S[0] === 0) setCol(0, [1, 0, 0]);
  const tiny = 1e-12 * r.S[0];
  if (r.S[1] <= tiny || Math.abs(norm3(col(1)) - 1) > 1e-6) {
    const u0 = col(0);
    const trial: Vec3 = Math.abs(u0[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const c = cross(u0, trial);
    const n = norm3(c);
    setCol(1, [c[0] / n, c[1] / n, c[2] / n]);
  }
  if (r.S[2] <= tiny || Math.abs(norm3(col(2)) - 1) > 1e-6) setCol(2, cross(col(0), col(1)));
  return { U, S: [r.S[0], r.S[1], r.S[2]], V: Array.from(r.V) };
}

/** Deterministic PRNG (mulberry32): uniform floats in [0, 1) from a 32-bit seed. */
export function createRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct integers from [0, n) (k <= n), drawn with `rng` (partial Fisher-Yates on a scratch pool). */
export function sampleDistinct(rng: () => number, n: number, k: number, out: Int32Array = new Int32Array(k)): Int32Array {
  // Rejection sampling: k is tiny (4 or 8) compared with n in RANSAC.
  for (let i = 0; i < k; i++) {
    let x: number;
    let dup: boolean;
    do {
      x = Math.floor(rng() * n);
      dup = false;
      for (let j = 0; j < i; j++) if (out[j] === x) dup = true;
    } while (dup);
    out[i] = x;
  }
  return out;
}

/**
 * Null vector of a (cols - 1) x cols matrix of full rank by Gauss-Jordan elimination with full
 * pivoting: the minimal-sample solver of RANSAC (4-point DLT, 8-point), much cheaper than an SVD.
 * Null when the rank is short (a pivot is negligible against the largest entry). Unit norm.
 */
export function nullVectorMinimal(a: ArrayLike<number>, rows: number, cols: number): number[] | null {
  if (rows !== cols - 1) return null;
  const m = Float64Array.from(a as ArrayLike<number>);
  const perm = Array.from({ length: cols }, (_, j) => j);
  let scale = 0;
  for (let i = 0; i < m.length; i++) scale = Math.max(scale, Math.abs(m[i]));
  if (!(scale > 0) || !Number.isFinite(scale)) return null;
  for (let k = 0; k < rows; k++) {
    let pi = k;
    let pj = k;
    let best = 0;
    for (let i = k; i < rows; i++) {
      for (let j = k; j < cols; j++) {
        const v = Math.abs(m[i * cols + j]);
        if (v > best) {
          best = v;
          pi = i;
          pj = j;
        }
      }
    }
    if (best <= 1e-12 * scale) return null;
    if (pi !== k) {
      for (let j = 0; j < cols; j++) {
        const t = m[k * cols + j];
        m[k * cols + j] = m[pi * cols + j];
        m[pi * cols + j] = t;
      }
    }
    if (pj !== k) {
      for (let i = 0; i < rows; i++) {
        const t = m[i * cols + k];
        m[i * cols + k] = m[i * cols + pj];
        m[i * cols + pj] = t;
      }
      const t = perm[k];
      perm[k] = perm[pj];
      perm[pj] = t;
    }
    const inv = 1 / m[k * cols + k];
    for (let j = k; j < cols; j++) m[k * cols + j] *= inv;
    for (let i = 0; i < rows; i++) {
      if (i === k) continue;
      const f = m[i * cols + k];
      if (f === 0) continue;
      for (let j = k; j < cols; j++) m[i * cols + j] -= f * m[k * cols + j];
    }
  }
  // Now m = [I | c]: x_perm = (-c, 1).
  const x = new Array<number>(cols);
  let norm = 1;
  for (let k = 0; k < rows; k++) norm += m[k * cols + rows] * m[k * cols + rows];
  norm = Math.sqrt(norm);
  for (let k = 0; k < rows; k++) x[perm[k]] = -m[k * cols + rows] / norm;
  x[perm[rows]] = 1 / norm;
  return x;
}

/** Solves the n x n system A x = b (row-major A) by Gaussian elimination with partial pivoting; null if singular. */
export function solveLinear(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number[] | null {
  const m = Float64Array.from(a as ArrayLike<number>);
  const x = Array.from(b as ArrayLike<number>);
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]));
  if (!(scale > 0) || !Number.isFinite(scale)) return null;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]) > Math.abs(m[p * n + k])) p = i;
    if (!(Math.abs(m[p * n + k]) > 1e-14 * scale)) return null;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = m[k * n + j];
        m[k * n + j] = m[p * n + j];
        m[p * n + j] = t;
      }
      const t = x[k];
      x[k] = x[p];
      x[p] = t;
    }
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k] / m[k * n + k];
      if (f === 0) continue;
      for (let j = k; j < n; j++) m[i * n + j] -= f * m[k * n + j];
      x[i] -= f * x[k];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = x[k];
    for (let j = k + 1; j < n; j++) s -= m[k * n + j] * x[j];
    x[k] = s / m[k * n + k];
  }
  return x;
}

/** Rotation matrix exp([w]x) of the axis-angle vector w (Rodrigues). */
export function rodrigues(w: readonly number[]): Mat3 {
  const th = Math.hypot(w[0], w[1], w[2]);
  if (th < 1e-12) return [1, -w[2], w[1], w[2], 1, -w[0], -w[1], w[0], 1];
  const k = [w[0] / th, w[1] / th, w[2] / th];
  const c = Math.cos(th);
  const s = Math.sin(th);
  const C = 1 - c;
  return [
    c + k[0] * k[0] * C, k[0] * k[1] * C - k[2] * s, k[0] * k[2] * C + k[1] * s,
    k[1] * k[0] * C + k[2] * s, c + k[1] * k[1] * C, k[1] * k[2] * C - k[0] * s,
    k[2] * k[0] * C - k[1] * s, k[2] * k[1] * C + k[0] * s, c + k[2] * k[2] * C,
  ];
}
