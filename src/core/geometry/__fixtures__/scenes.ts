/** Synthetic matches for the geometry tests: a plane under a known H, a 3D scene under a known pose. */
import type { Point } from '../../types';
import { createRng, mulVec3 } from '../../linalg';
import { applyHomography } from '../homography';

export const W = 640;
export const H = 480;

export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function rotation(axis: [number, number, number], deg: number): number[] {
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

export const H_GT = [0.9, 0.08, 25, -0.05, 1.1, -12, 1.2e-4, -8e-5, 1];

/** Matches of a plane: `inliers` true ones (with pixel noise) then `outliers` random pairs. */
export function homographyMatches(seed: number, inliers: number, outliers: number, noise = 0.3) {
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

export const K = [500, 0, 320, 0, 500, 240, 0, 0, 1];
export const R_GT = rotation([0.2, 1, 0.1], 12);
export const T_GT: [number, number, number] = [-0.8, 0.1, 0.15]; // x_cam2 = R x_cam1 + t

/** A random 3D scene seen by two cameras (K, identity) and (K, R_GT | T_GT). */
export function sceneMatches(seed: number, inliers: number, outliers: number, noise = 0.3) {
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
