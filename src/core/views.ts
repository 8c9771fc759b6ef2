/**
 * Test-time views: the network is not rotation-invariant, sees scale changes only within what
 * training showed it, and describes a photo only as finely as its fed size allows. So a pair whose
 * upright matches do not hold together geometrically is tried again with B turned by quarter turns
 * and with either image at half size (the coarse views), and every pair is then tried finer: both
 * images at 1.6 times the long side, each alone, and a 4x zoom either way from there (the fine
 * views, at the kept turn). The view whose matches best fit one homography wins, and its outputs
 * are turned back into B's own frame, so everything downstream (re-matching, heat maps,
 * inspection) sees ordinary dense outputs of the upright image.
 *
 * Pure maths on plain data (no model, no DOM); the pipeline runs the views.
 */
import { ransacHomography } from './geometry';
import { applyOrientation } from './image';
import type { DenseOutput, FedGeometry, Match, Point, RasterImage } from './types';

/**
 * 'off': the images as given. 'auto': the coarse views only when the upright matches fail the
 * geometric check (`needsSearch`), then the fine views (`fineViews`). 'always': every coarse
 * view, then the fine ones.
 */
export type SearchMode = 'off' | 'auto' | 'always';
export const SEARCH_MODES: readonly SearchMode[] = ['off', 'auto', 'always'];

export type QuarterTurns = 0 | 1 | 2 | 3;

/** One way of feeding a pair: B turned clockwise by `quarterTurns`, each image at its long side. */
export interface View {
  quarterTurns: QuarterTurns;
  longSideA: number;
  longSideB: number;
}

/** What the search tried and kept; part of a PairResult. */
export interface ViewChoice extends View {
  /** The long side the search started from (the upright view's). */
  longSide: number;
  /** Of the kept view's top VERIFY_TOP matches, how many fit one homography (VERIFY_PX). */
  inliers: number;
  /** Views run, the upright one included (1 when the search was off or not needed). */
  tried: number;
}

/**
 * Matches checked per view, and the homography inlier threshold in pixels at the model's input long
 * side (the sidecar's `inputSize.longSide`).
 */
export const VERIFY_TOP = 200;
export const VERIFY_PX = 6;
/**
 * 'auto' searches when fewer than this share of the upright view's top matches, or fewer than
 * AUTO_MIN_INLIERS of them, fit one homography (any 4 matches fit one, so a handful proves
 * nothing). Chosen on ../shared/data/val at model step 15,174: the upright views that succeeded had
 * 14 or more of their top 200 matches on one homography, the failing ones 13 or fewer, so 24 (12 %)
 * searches every failure and a few borderline successes, which keep their upright view when no
 * other verifies better (CHANGELOG.md).
 */
export const AUTO_MIN_INLIER_SHARE = 0.12;
export const AUTO_MIN_INLIERS = 12;

/**
 * What a view changes from the upright one at `longSide`, in words: 'B turned 90°',
 * 'A at 320 px', 'both at 1024 px'; empty for the upright view.
 */
export function viewChanges(view: View, longSide: number): string[] {
  const parts: string[] = [];
  if (view.quarterTurns) parts.push(`B turned ${view.quarterTurns * 90}°`);
  const { longSideA: a, longSideB: b } = view;
  if (a === b && a !== longSide) parts.push(`both at ${a} px`);
  else if (a !== b) parts.push(...(a !== longSide ? [`A at ${a} px`] : []), ...(b !== longSide ? [`B at ${b} px`] : []));
  return parts;
}

/** 'kept B turned 90°, A at 320 px' or 'kept the upright view'. */
export function describeKeptView(view: ViewChoice): string {
  const parts = viewChanges(view, view.longSide);
  return parts.length ? `kept ${parts.join(', ')}` : 'kept the upright view';
}

/** The upright view first, then B turned, then each image at half size, for every turn. */
export function searchViews(longSide: number): View[] {
  const half = Math.round(longSide / 2);
  const views: View[] = [];
  for (const quarterTurns of [0, 1, 2, 3] as const) {
    views.push({ quarterTurns, longSideA: longSide, longSideB: longSide });
    views.push({ quarterTurns, longSideA: longSide, longSideB: half });
    views.push({ quarterTurns, longSideA: half, longSideB: longSide });
  }
  return views;
}

/** The fine views' long side, as a multiple of the fed one, and their zoom factor. */
export const FINE_SCALE = 1.6;
export const FINE_ZOOM = 4;

/**
 * The fine views at a turn: both images at FINE_SCALE times the fed side (finer cells: more of a
 * large photo's detail, denser sampling of a small one), each alone at that size (a 1.6x zoom
 * either way, between the coarse views' 1x and 2x), and each against the other at a quarter of
 * it (a close-up against a wide shot, a 6.4x zoom from the upright view).
 * Chosen on ../shared/data/val at step 37,321 (CHANGELOG.md).
 */
export function fineViews(longSide: number, quarterTurns: QuarterTurns): View[] {
  const fine = Math.round(FINE_SCALE * longSide);
  const zoom = Math.round(fine / FINE_ZOOM);
  return [
    [fine, fine],
    [fine, longSide],
    [longSide, fine],
    [zoom, fine],
    [fine, zoom],
  ].map(([longSideA, longSideB]) => ({ quarterTurns, longSideA, longSideB }));
}

const ORIENTATION_OF_TURNS = [1, 6, 3, 8] as const; // EXIF: none, 90° cw, 180°, 90° ccw

/** The raster turned clockwise by quarter turns. */
export function turnRaster(raster: RasterImage, quarterTurns: QuarterTurns): RasterImage {
  return quarterTurns === 0 ? raster : applyOrientation(raster, ORIENTATION_OF_TURNS[quarterTurns]);
}

/**
 * For each cell of the unturned grid (row-major), the index of the cell of the grid turned
 * clockwise by `quarterTurns` that shows it; `width` and `height` are the turned grid's.
 */
export function unturnedSource(width: number, height: number, quarterTurns: QuarterTurns): Int32Array {
  const w = width;
  const h = height;
  const odd = quarterTurns % 2 === 1;
  const outW = odd ? h : w;
  const outH = odd ? w : h;
  const source = new Int32Array(w * h);
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      let si: number;
      let sj: number;
      if (quarterTurns === 0) { si = i; sj = j; }
      else if (quarterTurns === 1) { si = j; sj = w - 1 - i; } // turned(x', y') = unturned(y', H-1-x')
      else if (quarterTurns === 2) { si = h - 1 - i; sj = w - 1 - j; }
      else { si = h - 1 - j; sj = i; }
      source[i * outW + j] = si * w + sj;
    }
  }
  return source;
}

/** One channel on a grid turned clockwise by `quarterTurns`, turned back (`width`, `height`: the turned grid's). */
export function unturnGrid(values: Float32Array, width: number, height: number, quarterTurns: QuarterTurns): { values: Float32Array; width: number; height: number } {
  if (quarterTurns === 0) return { values, width, height };
  const source = unturnedSource(width, height, quarterTurns);
  const out = new Float32Array(source.length);
  for (let c = 0; c < source.length; c++) out[c] = values[source[c]];
  return quarterTurns % 2 === 1 ? { values: out, width: height, height: width } : { values: out, width, height };
}

/**
 * Dense outputs of an image that was turned clockwise by `quarterTurns`, turned back: the grid
 * of the unturned image. Exact, since the fed sides are multiples of the stride.
 */
export function unturnDense(dense: DenseOutput, quarterTurns: QuarterTurns): DenseOutput {
  if (quarterTurns === 0) return dense;
  const { gridWidth: w, gridHeight: h, descriptorDim: d } = dense;
  const odd = quarterTurns % 2 === 1;
  const n = w * h;
  const source = unturnedSource(w, h, quarterTurns);
  const descriptors = new Float32Array(dense.descriptors.length);
  const distinctiveness = new Float32Array(n);
  for (let c = 0; c < n; c++) distinctiveness[c] = dense.distinctiveness[source[c]];
  for (let k = 0; k < d; k++) {
    const from = dense.descriptors.subarray(k * n, (k + 1) * n);
    const to = descriptors.subarray(k * n, (k + 1) * n);
    for (let c = 0; c < n; c++) to[c] = from[source[c]];
  }
  return { ...dense, descriptors, distinctiveness, gridWidth: odd ? h : w, gridHeight: odd ? w : h };
}

/** The fed geometry of a turned image, seen from the unturned one (sides and scales swap). */
export function unturnGeometry(prep: FedGeometry, quarterTurns: QuarterTurns): FedGeometry {
  if (quarterTurns % 2 === 0) return prep;
  return {
    width: prep.height,
    height: prep.width,
    originalWidth: prep.originalHeight,
    originalHeight: prep.originalWidth,
    scaleX: prep.scaleY,
    scaleY: prep.scaleX,
  };
}

/**
 * How many of the top matches fit one homography within VERIFY_PX, measured with each image
 * scaled to `longSide` px, the model's input long side (so views at different sizes compare, and
 * every run of one model checks in the same pixels). Seeded: deterministic.
 */
export function verifyMatches(
  matches: ReadonlyArray<Pick<Match, 'xyA' | 'xyB'>>,
  sizeA: { width: number; height: number },
  sizeB: { width: number; height: number },
  longSide: number,
): number {
  const top = matches.slice(0, VERIFY_TOP);
  if (top.length < 8) return 0;
  const sA = longSide / Math.max(sizeA.width, sizeA.height);
  const sB = longSide / Math.max(sizeB.width, sizeB.height);
  const src = top.map((m): Point => [m.xyA[0] * sA, m.xyA[1] * sA]);
  const dst = top.map((m): Point => [m.xyB[0] * sB, m.xyB[1] * sB]);
  return ransacHomography(src, dst, { threshold: VERIFY_PX, maxIterations: 1000, seed: 1 })?.inlierCount ?? 0;
}

/** 'auto' mode's trigger: the upright matches are too few or do not hold together. */
export function needsSearch(inliers: number, matchCount: number): boolean {
  const checked = Math.min(VERIFY_TOP, matchCount);
  return checked < 8 || inliers < Math.max(AUTO_MIN_INLIERS, AUTO_MIN_INLIER_SHARE * checked);
}
