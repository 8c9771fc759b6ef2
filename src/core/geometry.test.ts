import { describe, expect, it } from 'vitest';
import type { Point } from './types';
import { createRng, mul3, mulVec3, transpose3 } from './linalg';
import {
  applyHomography,
  essentialFivePoint,
  essentialFromPose,
  estimateEssential,
  estimateFundamental,
  estimateHomography,
  fundamentalFromEssential,
  refineHomography,
  isCollinear,
  normalizePoints,
  ransacEssential,
  realRoots,
  ransacFundamental,
  ransacHomography,
  recoverPose,
  sampsonDistance,
} from './geometry';
import { cornerError, rotationAngleDeg, symmetricEpipolarDistance, translationAngleDeg } from './metrics';

const W = 640;
const H = 480;

function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function rotation(axis: [number, number, number], deg: number): number[] {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n);
  const a = (deg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const C = 1 - c;
  return [
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  ];
}

const H_GT = [0.9, 0.08, 25, -0.05, 1.1, -12, 1.2e-4, -8e-5, 1];

/** Matches of a plane: `inliers` true ones (with pixel noise) then `outliers` random pairs. */
function homographyMatches(seed: number, inliers: number, outliers: number, noise = 0.3) {
  const rng = createRng(seed);
  const src: Point[] = [];
  const dst: Point[] = [];
  for (let i = 0; i < inliers; i++) {
    const p: Point = [rng() * (W - 1), rng() * (H - 1)];
    const q = applyHomography(H_GT, p);
    src.push(p);
    dst.push([q[0] + noise * gaussian(rng), q[1] + noise * gaussian(rng)]);
  }
  for (let i = 0; i < outliers; i++) {
    src.push([rng() * (W - 1), rng() * (H - 1)]);
    dst.push([rng() * (W - 1), rng() * (H - 1)]);
  }
  return { src, dst };
}

const K = [500, 0, 320, 0, 500, 240, 0, 0, 1];
const R_GT = rotation([0.2, 1, 0.1], 12);
const T_GT: [number, number, number] = [-0.8, 0.1, 0.15]; // x_cam2 = R x_cam1 + t

/** A random 3D scene seen by two cameras (K, identity) and (K, R_GT | T_GT). */
function sceneMatches(seed: number, inliers: number, outliers: number, noise = 0.3) {
  const rng = createRng(seed);
  const p1: Point[] = [];
  const p2: Point[] = [];
  const clean: Array<[number, number, number, number]> = [];
  while (p1.length < inliers) {
    const X = [rng() * 4 - 2, rng() * 3 - 1.5, 4 + rng() * 6];
    const Y = mulVec3(R_GT, X).map((v, k) => v + T_GT[k]);
    if (Y[2] <= 0.5) continue;
    const a = mulVec3(K, X);
    const b = mulVec3(K, Y);
    const x1: Point = [a[0] / a[2], a[1] / a[2]];
    const x2: Point = [b[0] / b[2], b[1] / b[2]];
    if (x1[0] < 0 || x1[0] > W || x1[1] < 0 || x1[1] > H || x2[0] < 0 || x2[0] > W || x2[1] < 0 || x2[1] > H) continue;
    clean.push([x1[0], x1[1], x2[0], x2[1]]);
    p1.push([x1[0] + noise * gaussian(rng), x1[1] + noise * gaussian(rng)]);
    p2.push([x2[0] + noise * gaussian(rng), x2[1] + noise * gaussian(rng)]);
  }
  for (let i = 0; i < outliers; i++) {
    p1.push([rng() * W, rng() * H]);
    p2.push([rng() * W, rng() * H]);
  }
  return { p1, p2, clean };
}

describe('estimateHomography (normalised DLT)', () => {
  it('recovers H exactly from 4 and from many noise-free points', () => {
    for (const n of [4, 50]) {
      const { src, dst } = homographyMatches(n, n, 0, 0);
      const Hest = estimateHomography(src, dst)!;
      expect(Hest).not.toBeNull();
      Hest.forEach((v, k) => expect(v).toBeCloseTo(H_GT[k], 6));
      expect(cornerError(Hest, H_GT, W, H)).toBeLessThan(1e-6);
    }
  });

  it('returns null for degenerate input', () => {
    const line: Point[] = [[0, 0], [1, 1], [2, 2], [3, 3], [5, 5]];
    const quad: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10], [5, 3]];
    expect(estimateHomography(quad.slice(0, 3), quad.slice(0, 3))).toBeNull();
    expect(estimateHomography(line, quad)).toBeNull();
    expect(estimateHomography(quad, line)).toBeNull();
    expect(estimateHomography(new Array(5).fill([1, 1]), quad)).toBeNull();
    expect(estimateHomography([[0, 0], [10, 0], [20, 0], [0, 10]], quad.slice(0, 4))).toBeNull();
    expect(estimateHomography([[NaN, 0], [10, 0], [10, 10], [0, 10]], quad.slice(0, 4))).toBeNull();
    expect(estimateHomography(quad, quad.slice(0, 4))).toBeNull();
  });
});

describe('refineHomography', () => {
  it('lowers the reprojection error of the DLT on noisy points and keeps H[8] = 1', () => {
    const { src, dst } = homographyMatches(4, 60, 0, 1.0);
    const dlt = estimateHomography(src, dst)!;
    const refined = refineHomography(dlt, src, dst);
    const sse = (Hm: number[]) =>
      src.reduce((acc, p, i) => {
        const q = applyHomography(Hm, p);
        return acc + (q[0] - dst[i][0]) ** 2 + (q[1] - dst[i][1]) ** 2;
      }, 0);
    expect(sse(refined)).toBeLessThan(sse(dlt));
    expect(refined[8]).toBe(1);
    expect(cornerError(refined, H_GT, W, H)).toBeLessThan(1);
    // Noise-free: nothing to improve, the start comes back (to rounding).
    const exact = homographyMatches(5, 20, 0, 0);
    const h0 = estimateHomography(exact.src, exact.dst)!;
    refineHomography(h0, exact.src, exact.dst).forEach((v, k) => expect(v).toBeCloseTo(h0[k], 9));
  });
});

describe('ransacHomography', () => {
  it('recovers a known H from matches with 50% outliers (corner error < 0.5 px)', () => {
    const { src, dst } = homographyMatches(1, 200, 200);
    const r = ransacHomography(src, dst, { seed: 3 })!;
    expect(r).not.toBeNull();
    expect(cornerError(r.H, H_GT, W, H)).toBeLessThan(0.5);
    let trueIn = 0;
    let falseIn = 0;
    for (let i = 0; i < 400; i++) if (r.inliers[i]) (i < 200 ? trueIn++ : falseIn++);
    expect(trueIn).toBeGreaterThan(190);
    expect(falseIn).toBeLessThan(10);
    expect(r.inlierCount).toBe(trueIn + falseIn);
  });

  it('is deterministic for a seed', () => {
    const { src, dst } = homographyMatches(2, 60, 60);
    const a = ransacHomography(src, dst, { seed: 9 })!;
    const b = ransacHomography(src, dst, { seed: 9 })!;
    expect(a.H).toEqual(b.H);
    expect(Array.from(a.inliers)).toEqual(Array.from(b.inliers));
  });

  it('returns null (quickly) for too few or collinear points', () => {
    const line: Point[] = Array.from({ length: 50 }, (_, i) => [i, 2 * i + 1]);
    const cloud = homographyMatches(3, 50, 0).src;
    expect(ransacHomography(cloud.slice(0, 3), cloud.slice(0, 3))).toBeNull();
    expect(ransacHomography([], [])).toBeNull();
    expect(ransacHomography(line, cloud)).toBeNull();
    expect(ransacHomography(cloud, line)).toBeNull();
    expect(ransacHomography(cloud, cloud.slice(1))).toBeNull();
  });
});

describe('fundamental matrix', () => {
  const E_GT = essentialFromPose(R_GT, T_GT);
  const F_GT = fundamentalFromEssential(E_GT, K, K)!;

  it('the synthetic ground truth is consistent (x2^T F x1 = 0 on clean points)', () => {
    const { clean } = sceneMatches(5, 50, 0, 0);
    symmetricEpipolarDistance(F_GT, clean).forEach((d) => expect(d).toBeLessThan(1e-6));
  });

  it('8-point recovers F from noise-free points (rank 2)', () => {
    const { p1, p2, clean } = sceneMatches(6, 30, 0, 0);
    const F = estimateFundamental(p1, p2)!;
    expect(F).not.toBeNull();
    symmetricEpipolarDistance(F, clean).forEach((d) => expect(d).toBeLessThan(1e-4));
    const det = F[0] * (F[4] * F[8] - F[5] * F[7]) - F[1] * (F[3] * F[8] - F[5] * F[6]) + F[2] * (F[3] * F[7] - F[4] * F[6]);
    expect(Math.abs(det)).toBeLessThan(1e-12);
  });

  it('RANSAC recovers a known F with 50% outliers', () => {
    const { p1, p2, clean } = sceneMatches(7, 100, 100);
    const r = ransacFundamental(p1, p2, { seed: 1 })!;
    expect(r).not.toBeNull();
    const d = symmetricEpipolarDistance(r.F, clean);
    const meanD = d.reduce((s, x) => s + x, 0) / d.length;
    expect(meanD).toBeLessThan(0.5);
    let trueIn = 0;
    for (let i = 0; i < 100; i++) trueIn += r.inliers[i];
    expect(trueIn / 100).toBeGreaterThan(0.9);
    let falseIn = 0;
    for (let i = 100; i < 200; i++) falseIn += r.inliers[i];
    expect(falseIn).toBeLessThan(10);
    // The threshold is on the Sampson distance.
    const mismatched = p1.filter(
      (a, i) => (r.inliers[i] === 1) !== sampsonDistance(r.F, a[0], a[1], p2[i][0], p2[i][1]) < 1.5,
    );
    expect(mismatched).toEqual([]);
  });

  it('returns null for degenerate input', () => {
    const { p1, p2 } = sceneMatches(8, 20, 0);
    expect(estimateFundamental(p1.slice(0, 7), p2.slice(0, 7))).toBeNull();
    expect(ransacFundamental(p1.slice(0, 7), p2.slice(0, 7))).toBeNull();
    const line: Point[] = Array.from({ length: 20 }, (_, i) => [3 * i, 100]);
    expect(estimateFundamental(line, p2)).toBeNull();
    expect(ransacFundamental(p1, line)).toBeNull();
    expect(ransacEssential(line, line)).toBeNull();
  });
});

describe('five-point solver', () => {
  it('realRoots finds the real roots of a known polynomial', () => {
    // (x - 1)(x + 2)(x - 0.5)(x^2 + 1) = x^5 + 0.5x^4 - 1.5x^3 + 1.5x^2 - 2.5x + 1
    const roots = realRoots([1, -2.5, 1.5, -1.5, 0.5, 1]).sort((a, b) => a - b);
    expect(roots).toHaveLength(3);
    [-2, 0.5, 1].forEach((r, k) => expect(roots[k]).toBeCloseTo(r, 10));
    expect(realRoots([1, 0, 1])).toEqual([]); // x^2 + 1
    expect(realRoots([0, 0, 0])).toEqual([]);
  });

  it('one of its solutions is the true E, for random scenes and motions', () => {
    const rng = createRng(77);
    for (let trial = 0; trial < 15; trial++) {
      const R = rotation([rng() - 0.5, rng() - 0.5, rng() - 0.5], 5 + rng() * 30);
      const t = [rng() * 2 - 1, rng() - 0.5, rng() - 0.5];
      const p1: Point[] = [];
      const p2: Point[] = [];
      while (p1.length < 5) {
        const X = [rng() * 4 - 2, rng() * 3 - 1.5, 4 + rng() * 6];
        const Y = mulVec3(R, X).map((v, k) => v + t[k]);
        if (Y[2] < 0.5) continue;
        p1.push([X[0] / X[2], X[1] / X[2]]);
        p2.push([Y[0] / Y[2], Y[1] / Y[2]]);
      }
      const Egt = essentialFromPose(R, t);
      const norm = Math.hypot(...Egt);
      const sols = essentialFivePoint(p1, p2);
      expect(sols.length).toBeGreaterThan(0);
      expect(sols.length).toBeLessThanOrEqual(10);
      const dist = Math.min(
        ...sols.map((E) => Math.min(...[1, -1].map((sg) => Math.hypot(...E.map((v, k) => v - (sg * Egt[k]) / norm))))),
      );
      expect(dist).toBeLessThan(1e-6);
      // Every solution satisfies the 5 constraints and is essential (det 0).
      let worst = 0;
      for (const E of sols) p1.forEach((a, i) => (worst = Math.max(worst, sampsonDistance(E, a[0], a[1], p2[i][0], p2[i][1]))));
      expect(worst).toBeLessThan(1e-8);
    }
  });

  it('returns no solution for degenerate samples', () => {
    const same: Point[] = [[0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2]];
    expect(essentialFivePoint(same, same)).toEqual([]);
    expect(essentialFivePoint(same.slice(0, 4), same.slice(0, 4))).toEqual([]);
  });
});

describe('essential matrix and pose', () => {
  it('recoverPose picks the true decomposition of an exact E', () => {
    const { p1, p2 } = sceneMatches(9, 50, 0, 0);
    const n1 = normalizePoints(p1, K);
    const n2 = normalizePoints(p2, K);
    const E = essentialFromPose(R_GT, T_GT);
    const { R, t } = recoverPose(E, n1, n2);
    expect(rotationAngleDeg(R, R_GT)).toBeLessThan(1e-6);
    const tn = Math.hypot(...T_GT);
    t.forEach((v, k) => expect(v).toBeCloseTo(T_GT[k] / tn, 8)); // the sign too, by cheirality
    // R is a proper rotation.
    const rtr = mul3(transpose3(R), R);
    rtr.forEach((v, k) => expect(v).toBeCloseTo(k % 4 === 0 ? 1 : 0, 10));
  });

  it('estimateEssential enforces two equal singular values and a zero one', () => {
    const { p1, p2 } = sceneMatches(10, 40, 0, 0.5);
    const E = estimateEssential(normalizePoints(p1, K), normalizePoints(p2, K))!;
    // E E^T has eigenvalues (s^2, s^2, 0): trace = 2 s^2, and E E^T E = s^2 E.
    const EEt = mul3(E, transpose3(E));
    const s2 = (EEt[0] + EEt[4] + EEt[8]) / 2;
    const EEtE = mul3(EEt, E);
    EEtE.forEach((v, k) => expect(v).toBeCloseTo(s2 * E[k], 10));
  });

  it('RANSAC essential + recoverPose on a synthetic scene with 50% outliers', () => {
    const { p1, p2 } = sceneMatches(11, 100, 100);
    const n1 = normalizePoints(p1, K);
    const n2 = normalizePoints(p2, K);
    const r = ransacEssential(n1, n2, { threshold: 1.5 / 500, seed: 2 })!;
    expect(r).not.toBeNull();
    let trueIn = 0;
    for (let i = 0; i < 100; i++) trueIn += r.inliers[i];
    expect(trueIn / 100).toBeGreaterThan(0.9);
    const { R, t } = recoverPose(r.E, n1, n2, r.inliers);
    expect(rotationAngleDeg(R, R_GT)).toBeLessThan(1);
    expect(translationAngleDeg(t, T_GT)).toBeLessThan(2);
    // Not just sign-agnostic: cheirality picks the true direction.
    expect(t[0] * T_GT[0] + t[1] * T_GT[1] + t[2] * T_GT[2]).toBeGreaterThan(0);
  });
});

describe('edge cases', () => {
  it('exactly the minimal number of points', () => {
    const { src, dst } = homographyMatches(13, 4, 0, 0);
    const r = ransacHomography(src, dst)!;
    expect(r.inlierCount).toBe(4);
    expect(cornerError(r.H, H_GT, W, H)).toBeLessThan(1e-6);
    const { p1, p2 } = sceneMatches(14, 8, 0, 0);
    const f = ransacFundamental(p1, p2)!;
    expect(f.inlierCount).toBe(8);
  });

  it('all inliers: every point is kept, and the estimate is exact', () => {
    const { p1, p2, clean } = sceneMatches(15, 60, 0, 0);
    const f = ransacFundamental(p1, p2)!;
    expect(f.inlierCount).toBe(60);
    symmetricEpipolarDistance(f.F, clean).forEach((d) => expect(d).toBeLessThan(1e-3));
  });

  it('a planar scene (degenerate for F) neither throws nor hangs', () => {
    const { src, dst } = homographyMatches(16, 100, 0, 0.2);
    expect(() => ransacFundamental(src, dst, { maxIterations: 300 })).not.toThrow();
    expect(() => ransacEssential(normalizePoints(src, K), normalizePoints(dst, K), { maxIterations: 300 })).not.toThrow();
  });
});

describe('garbage in', () => {
  it('never throws on non-finite input', () => {
    const bad: Point[] = Array.from({ length: 20 }, (_, i) => [i % 3 ? i : NaN, i * i]);
    const good = sceneMatches(12, 20, 0).p1;
    expect(ransacHomography(bad, good)).toBeNull();
    expect(ransacFundamental(good, bad)).toBeNull();
    expect(ransacEssential(bad, bad)).toBeNull();
    const pose = recoverPose(new Array(9).fill(NaN), good, good);
    expect(pose.R).toHaveLength(9);
    expect(pose.t).toHaveLength(3);
    expect(() => recoverPose(new Array(9).fill(0), good, good)).not.toThrow();
  });
});

describe('helpers', () => {
  it('applyHomography and isCollinear', () => {
    expect(applyHomography([2, 0, 1, 0, 2, -1, 0, 0, 1], [3, 4])).toEqual([7, 7]);
    expect(applyHomography([1, 0, 0, 0, 1, 0, 0, 0, 2], [3, 4])).toEqual([1.5, 2]);
    expect(isCollinear([[0, 0], [1, 1], [2, 2]])).toBe(true);
    expect(isCollinear([[0, 0], [1, 1], [2, 2.5]])).toBe(false);
    expect(isCollinear([[0, 0], [1, 1]])).toBe(true);
  });
});
