/**
 * Nistér's five-point solver (2004) for the essential matrix; the constraint coefficients are
 * expanded generically over the monomials below.
 */
import type { Point } from '../types';
import { cross, frobenius, type Vec3 } from '../linalg';
import { allFinite } from './dlt';
import { realRoots, upolyAdd, upolyEval, upolyMul } from './polynomial';

/** Monomials of degree <= 3 in (x, y, z), in Nistér's order: the first 10 are eliminated. */
const MONOMIALS: ReadonlyArray<readonly [number, number, number]> = [
  [3, 0, 0], [0, 3, 0], [2, 1, 0], [1, 2, 0], [2, 0, 1], [2, 0, 0], [0, 2, 1], [0, 2, 0], [1, 1, 1], [1, 1, 0],
  [1, 0, 2], [1, 0, 1], [1, 0, 0], [0, 1, 2], [0, 1, 1], [0, 1, 0], [0, 0, 3], [0, 0, 2], [0, 0, 1], [0, 0, 0],
];
/** Where x, y, z, 1 and the ten monomials of degree <= 2 sit in MONOMIALS. */
const LINEAR = [12, 15, 18, 19];
const QUADRATIC = [5, 7, 9, 11, 12, 14, 15, 17, 18, 19];

/** Index tables for products (linear x linear, and degree <= 2 x linear). */
const [LIN_LIN, QUAD_LIN] = (() => {
  const index = new Map(MONOMIALS.map(([a, b, c], i) => [a * 16 + b * 4 + c, i]));
  const product = (i: number, j: number) => {
    const [a1, b1, c1] = MONOMIALS[i];
    const [a2, b2, c2] = MONOMIALS[j];
    return index.get((a1 + a2) * 16 + (b1 + b2) * 4 + (c1 + c2))!;
  };
  const ll = new Int8Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) ll[i * 4 + j] = product(LINEAR[i], LINEAR[j]);
  const ql = new Int8Array(40);
  for (let i = 0; i < 10; i++) for (let j = 0; j < 4; j++) ql[i * 4 + j] = product(QUADRATIC[i], LINEAR[j]);
  return [ll, ql];
})();

/** out += s * a * b for linear a, b (coefficients of x, y, z, 1). */
function addLinLin(out: Float64Array, s: number, a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < 4; i++) {
    const ai = s * a[i];
    for (let j = 0; j < 4; j++) out[LIN_LIN[i * 4 + j]] += ai * b[j];
  }
}

/** out += s * q * a for q of degree <= 2 (over MONOMIALS) and linear a. */
function addQuadLin(out: Float64Array, s: number, q: Float64Array, a: Float64Array): void {
  for (let i = 0; i < 10; i++) {
    const qi = s * q[QUADRATIC[i]];
    if (qi === 0) continue;
    for (let j = 0; j < 4; j++) out[QUAD_LIN[i * 4 + j]] += qi * a[j];
  }
}

/**
 * A basis of the null space of the 5 x 9 epipolar system, by Gauss-Jordan with full pivoting and
 * Gram-Schmidt; null when the 5 constraints are not independent.
 */
function fivePointNullSpace(Q: Float64Array): Float64Array[] | null {
  const m = Float64Array.from(Q);
  const perm = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  let scale = 0;
  for (let i = 0; i < 45; i++) scale = Math.max(scale, Math.abs(m[i]));
  if (!(scale > 0)) return null;
  for (let k = 0; k < 5; k++) {
    let pi = k;
    let pj = k;
    let best = 0;
    for (let i = k; i < 5; i++) {
      for (let j = k; j < 9; j++) {
        const v = Math.abs(m[i * 9 + j]);
        if (v > best) {
          best = v;
          pi = i;
          pj = j;
        }
      }
    }
    if (!(best > 1e-10 * scale)) return null;
    for (let j = 0; j < 9; j++) [m[k * 9 + j], m[pi * 9 + j]] = [m[pi * 9 + j], m[k * 9 + j]];
    for (let i = 0; i < 5; i++) [m[i * 9 + k], m[i * 9 + pj]] = [m[i * 9 + pj], m[i * 9 + k]];
    [perm[k], perm[pj]] = [perm[pj], perm[k]];
    const inv = 1 / m[k * 9 + k];
    for (let j = k; j < 9; j++) m[k * 9 + j] *= inv;
    for (let i = 0; i < 5; i++) {
      if (i === k) continue;
      const f = m[i * 9 + k];
      if (f !== 0) for (let j = k; j < 9; j++) m[i * 9 + j] -= f * m[k * 9 + j];
    }
  }
  // m = [I | C] in permuted columns: free column f gives x_perm[f] = 1, x_perm[r] = -C[r][f].
  const basis: Float64Array[] = [];
  for (let f = 5; f < 9; f++) {
    const v = new Float64Array(9);
    v[perm[f]] = 1;
    for (let r = 0; r < 5; r++) v[perm[r]] = -m[r * 9 + f];
    for (const u of basis) {
      let d = 0;
      for (let i = 0; i < 9; i++) d += u[i] * v[i];
      for (let i = 0; i < 9; i++) v[i] -= d * u[i];
    }
    const nrm = frobenius(v);
    for (let i = 0; i < 9; i++) v[i] /= nrm;
    basis.push(v);
  }
  return basis;
}

/**
 * All essential matrices (up to 10, unit Frobenius norm) consistent with 5 correspondences of
 * K^-1-normalised points (x2^T E x1 = 0), by Nistér's method: E = xX + yY + zZ + W over the
 * null space of the 5 epipolar constraints; the 10 cubic constraints det E = 0 and
 * 2 E E^T E - tr(E E^T) E = 0, reduced by Gauss-Jordan, give a degree-10 polynomial in z.
 */
export function essentialFivePoint(p1n: readonly Point[], p2n: readonly Point[]): number[][] {
  if (p1n.length !== 5 || p2n.length !== 5 || !allFinite(p1n) || !allFinite(p2n)) return [];
  const Q = new Float64Array(45);
  for (let i = 0; i < 5; i++) {
    const [u1, v1] = p1n[i];
    const [u2, v2] = p2n[i];
    const o = i * 9;
    Q[o] = u2 * u1;
    Q[o + 1] = u2 * v1;
    Q[o + 2] = u2;
    Q[o + 3] = v2 * u1;
    Q[o + 4] = v2 * v1;
    Q[o + 5] = v2;
    Q[o + 6] = u1;
    Q[o + 7] = v1;
    Q[o + 8] = 1;
  }
  const basis = fivePointNullSpace(Q);
  if (!basis) return [];
  // E_ij = x X_ij + y Y_ij + z Z_ij + W_ij: linear polynomials (coefficients of x, y, z, 1).
  const E = Array.from({ length: 9 }, (_, k) => Float64Array.of(basis[0][k], basis[1][k], basis[2][k], basis[3][k]));
  const e = (i: number, j: number) => E[i * 3 + j];
  const A = new Float64Array(200); // 10 constraints x 20 monomials
  const row = (r: number) => A.subarray(r * 20, r * 20 + 20);
  // det E, by cofactors along the first row.
  const cof = (a: Float64Array, b: Float64Array, c: Float64Array, d: Float64Array) => {
    const q = new Float64Array(20);
    addLinLin(q, 1, a, d);
    addLinLin(q, -1, b, c);
    return q;
  };
  addQuadLin(row(0), 1, cof(e(1, 1), e(1, 2), e(2, 1), e(2, 2)), e(0, 0));
  addQuadLin(row(0), -1, cof(e(1, 0), e(1, 2), e(2, 0), e(2, 2)), e(0, 1));
  addQuadLin(row(0), 1, cof(e(1, 0), e(1, 1), e(2, 0), e(2, 1)), e(0, 2));
  // 2 E E^T E - tr(E E^T) E = 0.
  const EEt: Float64Array[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const q = new Float64Array(20);
      for (let k = 0; k < 3; k++) addLinLin(q, 1, e(i, k), e(j, k));
      EEt.push(q);
    }
  }
  const trace = new Float64Array(20);
  for (let i = 0; i < 20; i++) trace[i] = EEt[0][i] + EEt[4][i] + EEt[8][i];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const r = row(1 + i * 3 + j);
      for (let k = 0; k < 3; k++) addQuadLin(r, 2, EEt[i * 3 + k], e(k, j));
      addQuadLin(r, -1, trace, e(i, j));
    }
  }
  // Gauss-Jordan, eliminating the first 10 monomials.
  for (let c = 0; c < 10; c++) {
    let piv = c;
    for (let r = c + 1; r < 10; r++) if (Math.abs(A[r * 20 + c]) > Math.abs(A[piv * 20 + c])) piv = r;
    if (!(Math.abs(A[piv * 20 + c]) > 1e-12)) return [];
    if (piv !== c) {
      for (let k = 0; k < 20; k++) [A[c * 20 + k], A[piv * 20 + k]] = [A[piv * 20 + k], A[c * 20 + k]];
    }
    const inv = 1 / A[c * 20 + c];
    for (let k = c; k < 20; k++) A[c * 20 + k] *= inv;
    for (let r = 0; r < 10; r++) {
      const f = A[r * 20 + c];
      if (r === c || f === 0) continue;
      for (let k = c; k < 20; k++) A[r * 20 + k] -= f * A[c * 20 + k];
    }
  }
  // <k> = <e> - z<f>, <l> = <g> - z<h>, <m> = <i> - z<j> (the rows of x^2 z, x^2, y^2 z, y^2,
  // xyz, xy): each is x * (cubic in z) + y * (cubic in z) + (quartic in z).
  const combine = (ra: number, rb: number) => {
    const a = (c: number) => A[ra * 20 + c];
    const b = (c: number) => A[rb * 20 + c];
    return [
      [a(12), a(11) - b(12), a(10) - b(11), -b(10)],
      [a(15), a(14) - b(15), a(13) - b(14), -b(13)],
      [a(19), a(18) - b(19), a(17) - b(18), a(16) - b(17), -b(16)],
    ];
  };
  const [k, l, m] = [combine(4, 5), combine(6, 7), combine(8, 9)];
  const minor = (a: number[], b: number[], c: number[], d: number[]) => upolyAdd(upolyMul(a, d), upolyMul(b, c), -1);
  let detN = upolyMul(k[0], minor(l[1], l[2], m[1], m[2]));
  detN = upolyAdd(detN, upolyMul(k[1], minor(l[0], l[2], m[0], m[2])), -1);
  detN = upolyAdd(detN, upolyMul(k[2], minor(l[0], l[1], m[0], m[1])));
  const out: number[][] = [];
  for (const z of realRoots(detN)) {
    const rowsAt = [k, l, m].map((r) => r.map((p) => upolyEval(p, z)));
    // [x, y, 1] spans the null space of the 3 x 3 matrix: the largest cross product of two rows.
    let v: Vec3 | null = null;
    let best = 0;
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) {
      const c = cross(rowsAt[a], rowsAt[b]);
      const nrm = Math.sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
      if (nrm > best) {
        best = nrm;
        v = c;
      }
    }
    if (!v || !(Math.abs(v[2]) > 1e-12 * best)) continue;
    const x = v[0] / v[2];
    const y = v[1] / v[2];
    const Em = E.map((p) => x * p[0] + y * p[1] + z * p[2] + p[3]);
    const nrm = frobenius(Em);
    if (nrm > 0 && Number.isFinite(nrm)) out.push(Em.map((q) => q / nrm));
  }
  return out;
}
