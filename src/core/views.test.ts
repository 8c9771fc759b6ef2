import { describe, expect, it } from 'vitest';
import { applyHomography } from './geometry';
import { fedToOriginal, prepareImage } from './image';
import { cellCenterFed } from './matching';
import type { DenseOutput, Point, RasterImage } from './types';
import {
  AUTO_MIN_INLIER_SHARE,
  AUTO_MIN_INLIERS,
  describeKeptView,
  fineViews,
  autoFineViews,
  checkView,
  fineTurn,
  FINE_TURN_MIN_INLIERS,
  firmlyHolds,
  holdsTogether,
  probeViews,
  rescueViews,
  RESCUE_MIN_INLIERS,
  turnFromProbes,
  wantsFineViews,
  needsSearch,
  searchViews,
  wantsMoreViews,
  AUTO_MIN_EPIPOLAR,
  type ViewCheck,
  turnRaster,
  unturnDense,
  unturnGeometry,
  verifyMatches,
  viewChanges,
  VERIFY_TOP,
  type QuarterTurns,
} from './views';

/** Pixel (x, y) holds x in red and y in green (sizes under 256), so any pixel says where it came from. */
function coordinateImage(width: number, height: number): RasterImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, 0, 255], (y * width + x) * 4);
  return { width, height, data };
}

/**
 * A stand-in for the network at stride s: each cell's "descriptor" is the original (x, y) that the
 * raster holds at the cell's centre pixel, and its distinctiveness is x + 1000 y.
 */
function denseOf(raster: RasterImage, stride: number): DenseOutput {
  const gw = raster.width / stride;
  const gh = raster.height / stride;
  const n = gw * gh;
  const descriptors = new Float32Array(2 * n);
  const distinctiveness = new Float32Array(n);
  for (let i = 0; i < gh; i++) {
    for (let j = 0; j < gw; j++) {
      const p = ((i * stride + stride / 2) * raster.width + j * stride + stride / 2) * 4;
      descriptors[i * gw + j] = raster.data[p];
      descriptors[n + i * gw + j] = raster.data[p + 1];
      distinctiveness[i * gw + j] = raster.data[p] + 1000 * raster.data[p + 1];
    }
  }
  return { descriptors, distinctiveness, descriptorDim: 2, gridWidth: gw, gridHeight: gh, stride };
}

describe('test-time views', () => {
  it('lists the upright view first, then every turn at full and half size on either side', () => {
    const views = searchViews(640);
    expect(views).toHaveLength(12);
    expect(views[0]).toEqual({ quarterTurns: 0, longSideA: 640, longSideB: 640 });
    expect(new Set(views.map((v) => `${v.quarterTurns}:${v.longSideA}:${v.longSideB}`)).size).toBe(12);
    for (const k of [0, 1, 2, 3]) {
      expect(views.filter((v) => v.quarterTurns === k).map((v) => [v.longSideA, v.longSideB])).toEqual([[640, 640], [640, 320], [320, 640]]);
    }
  });

  it('lists the fine views at a turn: both at 1.6x, each alone, and a 4x zoom either way from there', () => {
    const sides = (k: QuarterTurns, longSide: number) => fineViews(longSide, k).map((v) => [v.quarterTurns, v.longSideA, v.longSideB]);
    expect(sides(2, 640)).toEqual([[2, 1024, 1024], [2, 1024, 640], [2, 640, 1024], [2, 256, 1024], [2, 1024, 256]]);
    expect(sides(0, 320)).toEqual([[0, 512, 512], [0, 512, 320], [0, 320, 512], [0, 128, 512], [0, 512, 128]]);
    // None repeats a coarse view.
    const coarse = new Set(searchViews(640).map((v) => `${v.quarterTurns}:${v.longSideA}:${v.longSideB}`));
    for (const k of [0, 1, 2, 3] as const) for (const v of fineViews(640, k)) expect(coarse.has(`${v.quarterTurns}:${v.longSideA}:${v.longSideB}`)).toBe(false);
  });

  it('describes a view by what it changes from the upright one', () => {
    expect(viewChanges({ quarterTurns: 0, longSideA: 640, longSideB: 640 }, 640)).toEqual([]);
    expect(viewChanges({ quarterTurns: 1, longSideA: 640, longSideB: 320 }, 640)).toEqual(['B turned 90°', 'B at 320 px']);
    expect(viewChanges({ quarterTurns: 0, longSideA: 1024, longSideB: 1024 }, 640)).toEqual(['both at 1024 px']);
    expect(viewChanges({ quarterTurns: 3, longSideA: 256, longSideB: 1024 }, 640)).toEqual(['B turned 270°', 'A at 256 px', 'B at 1024 px']);
    expect(describeKeptView({ quarterTurns: 0, longSideA: 640, longSideB: 640, longSide: 640, inliers: 30, tried: 6 })).toBe('kept the upright view');
    expect(describeKeptView({ quarterTurns: 0, longSideA: 1024, longSideB: 640, longSide: 640, inliers: 30, tried: 6 })).toBe('kept A at 1024 px');
  });

  it('turns rasters clockwise', () => {
    const img = coordinateImage(3, 2);
    const once = turnRaster(img, 1);
    expect([once.width, once.height]).toEqual([2, 3]);
    // Clockwise: the top-left pixel goes to the top-right, the bottom-left to the top-left.
    expect(Array.from(once.data.subarray(4, 6))).toEqual([0, 0]);
    expect(Array.from(once.data.subarray(0, 2))).toEqual([0, 1]);
    const twice = turnRaster(once, 1);
    expect(Array.from(twice.data)).toEqual(Array.from(turnRaster(img, 2).data));
    expect(turnRaster(img, 0)).toBe(img);
  });

  for (const k of [0, 1, 2, 3] as QuarterTurns[]) {
    it(`turns dense outputs and fed geometry back into the upright frame (${k * 90}°)`, () => {
      // 48×32 original, turned, fed at half size with stride 4 (12×8 or 8×12 cells).
      const img = coordinateImage(48, 32);
      const turned = turnRaster(img, k);
      const prep = prepareImage(turned, 24, 8);
      const fed: RasterImage = { width: prep.width, height: prep.height, data: new Uint8ClampedArray(prep.width * prep.height * 4) };
      // The fed image as a raster of original coordinates: sample the turned raster at each fed pixel's source.
      for (let y = 0; y < prep.height; y++) {
        for (let x = 0; x < prep.width; x++) {
          const [ox, oy] = fedToOriginal([x, y], prep).map(Math.round);
          fed.data.set(turned.data.subarray((oy * turned.width + ox) * 4, (oy * turned.width + ox) * 4 + 4), (y * prep.width + x) * 4);
        }
      }
      const dense = unturnDense(denseOf(fed, 4), k);
      const geometry = unturnGeometry(prep, k);
      expect([dense.gridWidth * 4, dense.gridHeight * 4]).toEqual([geometry.width, geometry.height]);
      expect([geometry.originalWidth, geometry.originalHeight]).toEqual([48, 32]);
      const n = dense.gridWidth * dense.gridHeight;
      for (let c = 0; c < n; c++) {
        // Each upright cell holds the original pixel under its own centre, to within the stand-in's
        // sampling (half a fed pixel off the centre, plus rounding); a wrong turn is a cell (8 px) off.
        const [x, y] = fedToOriginal(cellCenterFed(c, dense.gridWidth, 4), geometry);
        expect(Math.abs(dense.descriptors[c] - x)).toBeLessThanOrEqual(2);
        expect(Math.abs(dense.descriptors[n + c] - y)).toBeLessThanOrEqual(2);
        expect(dense.distinctiveness[c]).toBe(dense.descriptors[c] + 1000 * dense.descriptors[n + c]);
      }
    });
  }

  it('counts the top matches that fit one homography, at a 640 px scale', () => {
    const H = [1.1, 0.05, 20, -0.03, 0.95, 10, 1e-4, 0, 1];
    let s = 3;
    const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
    const matches = Array.from({ length: 300 }, (_, i) => {
      const xyA: Point = [rnd() * 1280, rnd() * 960];
      // Every third match is an outlier; the rest are true to within 0.5 px.
      const xyB: Point = i % 3 === 0 ? [rnd() * 1280, rnd() * 960] : (applyHomography(H, xyA).map((v) => v + (rnd() - 0.5)) as Point);
      return { xyA, xyB };
    });
    const size = { width: 1280, height: 960 };
    const inliers = verifyMatches(matches, size, size, 640);
    const trueInTop = matches.slice(0, VERIFY_TOP).filter((_, i) => i % 3 !== 0).length;
    expect(inliers).toBeGreaterThanOrEqual(trueInTop);
    expect(inliers).toBeLessThan(trueInTop + 5);
    expect(verifyMatches(matches.slice(0, 7), size, size, 640)).toBe(0);
    // Pure noise fits no homography beyond chance.
    const noise = matches.map(({ xyA }) => ({ xyA, xyB: [rnd() * 1280, rnd() * 960] as Point }));
    expect(verifyMatches(noise, size, size, 640)).toBeLessThan(20);
  });

  it("'full' searches when too few of the checked matches verify", () => {
    expect(needsSearch(0, 5)).toBe(true);
    expect(needsSearch(100, 300)).toBe(false);
    const cut = Math.ceil(AUTO_MIN_INLIER_SHARE * VERIFY_TOP);
    expect(needsSearch(cut, 300)).toBe(false);
    expect(needsSearch(cut - 1, 300)).toBe(true);
    // Few matches: the share is met but a dozen inliers are still needed (any 4 fit a homography).
    expect(needsSearch(10, 50)).toBe(true);
    expect(needsSearch(AUTO_MIN_INLIERS, 50)).toBe(false);
  });

  /** 300 matches of a 3-D scene seen from two cameras (a translation and a turn): one F, no one H. */
  function sceneMatches(outlierEvery: number, seed = 7) {
    let s = seed;
    const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
    const f = 800;
    const [cx, cy] = [640, 480];
    const c = Math.cos(0.15);
    const sn = Math.sin(0.15);
    return Array.from({ length: 300 }, (_, i) => {
      // A point 2-12 units deep, seen by camera 1 at the origin and camera 2 moved 3 units right.
      const z = 2 + 10 * rnd();
      const X = ((rnd() * 1280 - cx) / f) * z;
      const Y = ((rnd() * 960 - cy) / f) * z;
      const xyA: Point = [cx + (f * X) / z, cy + (f * Y) / z];
      const [X2, Z2] = [c * X - sn * z - 3, sn * X + c * z];
      const xyB: Point = i % outlierEvery === 0 ? [rnd() * 1280, rnd() * 960] : [cx + (f * X2) / Z2 + rnd() - 0.5, cy + (f * Y) / Z2 + rnd() - 0.5];
      return { xyA, xyB };
    });
  }

  it("'auto' keeps the upright view when its matches fit one homography or, in a 3-D scene, one epipolar geometry", () => {
    const size = { width: 1280, height: 960 };
    const scene = checkView(sceneMatches(4), size, size, 640);
    // Parallax: no homography holds the scene, but its epipolar geometry holds the true matches.
    expect(scene.checked).toBe(VERIFY_TOP);
    expect(scene.homography).toBeLessThan(Math.max(AUTO_MIN_INLIERS, AUTO_MIN_INLIER_SHARE * VERIFY_TOP));
    expect(scene.epipolar).toBeGreaterThanOrEqual(0.7 * VERIFY_TOP);
    expect(holdsTogether(scene)).toBe(true);
    expect(wantsMoreViews('auto', scene)).toBe(false);
    // Mostly wrong matches of the same scene hold neither way.
    const wrong = checkView(sceneMatches(1), size, size, 640);
    expect(wrong.epipolar).toBeLessThan(AUTO_MIN_EPIPOLAR);
    expect(holdsTogether(wrong)).toBe(false);
    expect(wantsMoreViews('auto', wrong)).toBe(true);
    // Under 8 matches prove nothing; 'off' never searches, 'full' and 'always' always run more views.
    expect(holdsTogether({ checked: 7, homography: 7, epipolar: 7 })).toBe(false);
    const firm: ViewCheck = { checked: 200, homography: 150, epipolar: 190 };
    expect(wantsMoreViews('auto', firm)).toBe(false);
    expect(wantsMoreViews('off', wrong)).toBe(false);
    expect(wantsMoreViews('full', firm)).toBe(true);
    expect(wantsMoreViews('always', firm)).toBe(true);
  });

  it("'auto' probes every turn cheaply and takes a turn only when its probe clearly matches more", () => {
    expect(probeViews(640)).toEqual([0, 1, 2, 3].map((quarterTurns) => ({ quarterTurns, longSideA: 320, longSideB: 320 })));
    const probes = (counts: number[]) => probeViews(640).map((view, i) => ({ view, matches: counts[i] }));
    // B turned 90° (a bookshelf shot sideways): only the probe that turns it back lines the content up.
    expect(turnFromProbes(probes([4, 10, 8, 6]))).toBe(1);
    expect(turnFromProbes(probes([1, 6, 10, 34]))).toBe(3);
    // No turn stands out, or the upright probe matches as much: stay upright.
    expect(turnFromProbes(probes([12, 12, 12, 11]))).toBe(0);
    expect(turnFromProbes(probes([50, 8, 10, 43]))).toBe(0);
    expect(turnFromProbes(probes([10, 12, 0, 0]))).toBe(0); // under PROBE_TURN_RATIO times as many
    expect(turnFromProbes(probes([0, 0, 0, 0]))).toBe(0);
    // At the named turn: B turned at full size first, then either image at half size.
    expect(rescueViews(640, 3)).toEqual([
      { quarterTurns: 3, longSideA: 640, longSideB: 640 },
      { quarterTurns: 3, longSideA: 640, longSideB: 320 },
      { quarterTurns: 3, longSideA: 320, longSideB: 640 },
    ]);
    expect(rescueViews(640, 0).map((v) => [v.longSideA, v.longSideB])).toEqual([[640, 320], [320, 640]]);
  });

  it("'auto' ends the search at a view that holds firmly; otherwise the fine views follow a turn only with some agreement", () => {
    const check = (homography: number, checked = 100): ViewCheck => ({ checked, homography, epipolar: 0 });
    expect(firmlyHolds(check(RESCUE_MIN_INLIERS))).toBe(true);
    expect(firmlyHolds(check(RESCUE_MIN_INLIERS - 1))).toBe(false);
    expect(firmlyHolds(check(RESCUE_MIN_INLIERS, 7))).toBe(false);
    expect(wantsFineViews(check(RESCUE_MIN_INLIERS - 1))).toBe(true);
    expect(wantsFineViews(check(100))).toBe(false);
    const turned = { quarterTurns: 1 as const, longSideA: 640, longSideB: 640 };
    expect(fineTurn(turned, check(FINE_TURN_MIN_INLIERS))).toBe(1);
    expect(fineTurn(turned, check(FINE_TURN_MIN_INLIERS - 1))).toBe(0);
    // The fine views less both images at 1.6x.
    expect(autoFineViews(640, 1)).toEqual(fineViews(640, 1).slice(1));
    expect(autoFineViews(640, 1).some((v) => v.longSideA === 1024 && v.longSideB === 1024)).toBe(false);
  });
});
