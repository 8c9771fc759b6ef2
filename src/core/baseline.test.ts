/**
 * The classic matcher beside CoAM, on the real OpenCV.js build: a photo and its warp by a known
 * homography (rendered here), so each match can be checked against the truth.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  baselineMatchesFile,
  matchBaseline,
  matcherCounts,
  matcherFit,
  openCvBuild,
  type OpenCv,
} from './baseline';
import { isCoamError } from './errors';
import { applyHomography } from './geometry';
import { decodeImage, fedSize } from './image';
import { inverse3 } from './linalg';
import type { Point, RasterImage } from './types';

const ROOT = join(__dirname, '..', '..');
const photo = decodeImage(readFileSync(join(ROOT, 'public', 'samples', 'graf1.jpg')));

/** A→B: turned by ~8°, shrunk to 0.8 and moved, with a little perspective. */
const H: number[] = [0.79, -0.11, 90, 0.11, 0.79, 40, 0.00005, -0.00003, 1];

/** B rendered from A: each pixel of B samples A bilinearly at H⁻¹ (pixel centres at integers). */
function warp(src: RasterImage, Hm: number[], width: number, height: number): RasterImage {
  const inv = inverse3(Hm)!;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = applyHomography(inv, [x, y]);
      const o = (y * width + x) * 4;
      data[o + 3] = 255;
      if (!(u >= 0 && v >= 0 && u <= src.width - 1 && v <= src.height - 1)) continue;
      const x0 = Math.min(Math.floor(u), src.width - 2);
      const y0 = Math.min(Math.floor(v), src.height - 2);
      const fx = u - x0;
      const fy = v - y0;
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number) => src.data[(yy * src.width + xx) * 4 + c];
        data[o + c] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
      }
    }
  }
  return { width, height, data };
}

const warped = warp(photo, H, 760, 600);
const errorPx = (m: { xyA: Point; xyB: Point }) => {
  const p = applyHomography(H, m.xyA);
  return Math.hypot(p[0] - m.xyB[0], p[1] - m.xyB[1]);
};

let cv: OpenCv;
beforeAll(async () => {
  // Loaded as Node loads it (loadOpenCv's import() is what the CLI and the browser use; the test
  // runner's module interop would await the Emscripten thenable forever).
  const module = createRequire(import.meta.url)('@techstark/opencv-js') as OpenCv & { then(f: () => void): void };
  await new Promise<void>((resolve) => module.then(() => resolve()));
  cv = module;
});

describe('matchBaseline', () => {
  it('AKAZE on a known warp: sorted best first, mapped back to original pixels, the best ones on the homography', () => {
    const r = matchBaseline(cv, photo, warped, { detector: 'akaze', longSide: 320, multiple: 16 });
    expect(r.detector).toBe('akaze');
    expect(r.fallbackReason).toBeUndefined();
    // The same fed size as CoAM's for these settings.
    expect([r.preparedA.width, r.preparedA.height]).toEqual(Object.values(fedSize(photo.width, photo.height, 320, 16)));
    expect([r.preparedB.width, r.preparedB.height]).toEqual(Object.values(fedSize(warped.width, warped.height, 320, 16)));
    expect(r.keypointsA).toBeGreaterThan(100);
    expect(r.matches.length).toBeGreaterThan(40);
    for (let i = 1; i < r.matches.length; i++) expect(r.matches[i].score).toBeLessThanOrEqual(r.matches[i - 1].score);
    for (const m of r.matches) {
      expect(m.ratio).toBeLessThanOrEqual(0.85);
      expect(m.score).toBeCloseTo(1 - m.ratio, 12);
    }
    // Keypoints at 320 px mapped to 800 px originals: within a fed pixel or so (2.5 px here) of the truth.
    const top = r.matches.slice(0, 40);
    const good = top.filter((m) => errorPx(m) < 5).length;
    expect(good / top.length).toBeGreaterThan(0.8);
    const counts = matcherCounts(r.matches, 40, 'homography');
    expect(counts).toMatchObject({ total: r.matches.length, shown: 40 });
    expect(counts.inliers!).toBeGreaterThanOrEqual(good * 0.8);
    // The figure's verdicts: one per shown match, as many set as counted, and the far-off ones not.
    const fit = matcherFit(r.matches, 40, 'homography');
    expect(fit.counts).toEqual(counts);
    expect(fit.inlierFlags).toHaveLength(40);
    expect(fit.inlierFlags!.reduce((a, v) => a + v, 0)).toBe(counts.inliers);
    top.forEach((m, i) => {
      if (errorPx(m) > 30) expect(fit.inlierFlags![i]).toBe(0);
    });
  });

  it("a stricter ratio keeps a subset; ORB runs too; the same input gives the same list", () => {
    const loose = matchBaseline(cv, photo, warped, { detector: 'akaze', longSide: 320, multiple: 16, maxRatio: 0.95 });
    const strict = matchBaseline(cv, photo, warped, { detector: 'akaze', longSide: 320, multiple: 16, maxRatio: 0.6 });
    expect(strict.matches.length).toBeLessThan(loose.matches.length);
    expect(strict.matches.every((m) => m.ratio <= 0.6)).toBe(true);
    const again = matchBaseline(cv, photo, warped, { detector: 'akaze', longSide: 320, multiple: 16, maxRatio: 0.6 });
    expect(again.matches).toEqual(strict.matches);
    const orb = matchBaseline(cv, photo, warped, { detector: 'orb', longSide: 320, multiple: 16 });
    expect(orb.detector).toBe('orb');
    expect(orb.matches.slice(0, 20).filter((m) => errorPx(m) < 6).length).toBeGreaterThan(12);
  });

  it("'sift' runs SIFT where the build has it and says why not where it does not", () => {
    const r = matchBaseline(cv, photo, warped, { detector: 'sift', longSide: 256, multiple: 16 });
    if (openCvBuild(cv).hasSift) {
      expect(r.detector).toBe('sift');
    } else {
      expect(r.detector).toBe('akaze');
      expect(r.fallbackReason).toMatch(/has no SIFT; AKAZE ran instead/);
    }
  });

  it('a flat image gives no matches rather than an error; bad settings are named', () => {
    const flat: RasterImage = { width: 200, height: 150, data: new Uint8ClampedArray(200 * 150 * 4).fill(128) };
    const r = matchBaseline(cv, flat, warped, { detector: 'akaze', longSide: 256, multiple: 16 });
    expect(r.keypointsA).toBe(0);
    expect(r.matches).toEqual([]);
    expect(matcherCounts(r.matches, 100, 'homography')).toEqual({ total: 0, shown: 0, inliers: null });
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return null;
    };
    const ratio = err(() => matchBaseline(cv, photo, warped, { detector: 'akaze', longSide: 256, multiple: 16, maxRatio: 1.5 }));
    expect(isCoamError(ratio) && ratio.code).toBe('bad-argument');
    const name = err(() => matchBaseline(cv, photo, warped, { detector: 'surf' as 'orb', longSide: 256, multiple: 16 }));
    expect(isCoamError(name) && name.message).toMatch(/Unknown baseline 'surf'/);
  });

  it("writes the top-K prefix in the layout 'coam eval --matches' reads", () => {
    const r = matchBaseline(cv, photo, warped, { detector: 'akaze', longSide: 256, multiple: 16 });
    const file = baselineMatchesFile(r, { pathA: 'a.jpg', pathB: 'b.jpg', openCvVersion: '4.12.0', longSide: 256, topK: 10 });
    expect(file.imageA).toEqual({ path: 'a.jpg', width: photo.width, height: photo.height });
    expect(file.model).toEqual({ name: 'opencv-akaze-ratio-mnn', version: '4.12.0' });
    expect(file.matches).toHaveLength(Math.min(10, r.matches.length));
    expect(file.matches[0].score).toBe(r.matches[0].score);
  });
});
