/**
 * Test-time views: the network is not rotation-invariant, sees scale changes only within what
 * training showed it, and describes a photo only as finely as its fed size allows. So a pair can
 * be fed in other views: B turned by quarter turns and either image at half size (the coarse
 * views), and both images at 1.6 times the long side, each alone, and a 4x zoom either way from
 * there (the fine views, at the kept turn). The view whose matches best fit one homography wins,
 * and its outputs are turned back into B's own frame, so everything downstream (re-matching, heat
 * maps, inspection) sees ordinary dense outputs of the upright image.
 *
 * 'auto' spends views only where the evidence asks for them: a pair whose upright matches hold
 * together (`holdsTogether`: one homography, or one fundamental matrix for a 3-D scene) keeps its
 * upright view. One that does not is probed cheaply at each quarter turn at half size
 * (`probeViews`); the turn the probes name (`turnFromProbes`) runs at full size and with either
 * image at half size until one view holds firmly (`rescueViews`, `firmlyHolds`); the fine views run
 * only when none does (`wantsFineViews`, `autoFineViews`, `fineTurn`).
 *
 * Pure maths on plain data (no model, no DOM); the pipeline runs the views.
 */
import { ransacFundamental, ransacHomography } from './geometry';
import { applyOrientation } from './image';
import type { DenseOutput, FedGeometry, Match, Point, RasterImage } from './types';

/**
 * 'off': the images as given. 'auto' (the default): more views only when the upright matches do
 * not hold together, chosen as above. 'full': every coarse view when the upright matches fail the
 * homography check, then the fine views for every pair (the exhaustive search, about ten times
 * slower than 'auto'). 'always': every coarse view for every pair, then the fine ones.
 */
export type SearchMode = 'off' | 'auto' | 'full' | 'always';
export const SEARCH_MODES: readonly SearchMode[] = ['off', 'auto', 'full', 'always'];

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
 * 'auto' and 'full' search when fewer than this share of the upright view's top matches, or fewer
 * than AUTO_MIN_INLIERS of them, fit one homography (any 4 matches fit one, so a handful proves
 * nothing). Chosen on ../shared/data/val at model step 15,174: the upright views that succeeded had
 * 14 or more of their top 200 matches on one homography, the failing ones 13 or fewer, so 24 (12 %)
 * searches every failure and a few borderline successes, which keep their upright view when no
 * other verifies better. Re-checked for 'auto' at step 37,321: searching below 14 or 16 lets pairs
 * that held upright keep worse views, below 10 misses pairs the search mends (CHANGELOG.md).
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

/** The top matches in pixels with each image scaled to `longSide` px (so every view checks alike). */
function checkedPoints(
  matches: ReadonlyArray<Pick<Match, 'xyA' | 'xyB'>>,
  sizeA: { width: number; height: number },
  sizeB: { width: number; height: number },
  longSide: number,
): { src: Point[]; dst: Point[] } {
  const top = matches.slice(0, VERIFY_TOP);
  const sA = longSide / Math.max(sizeA.width, sizeA.height);
  const sB = longSide / Math.max(sizeB.width, sizeB.height);
  return { src: top.map((m): Point => [m.xyA[0] * sA, m.xyA[1] * sA]), dst: top.map((m): Point => [m.xyB[0] * sB, m.xyB[1] * sB]) };
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
  if (Math.min(matches.length, VERIFY_TOP) < 8) return 0;
  const { src, dst } = checkedPoints(matches, sizeA, sizeB, longSide);
  return ransacHomography(src, dst, { threshold: VERIFY_PX, maxIterations: 1000, seed: 1 })?.inlierCount ?? 0;
}

/**
 * How many of the top matches fit one fundamental matrix within VERIFY_EPIPOLAR_PX (Sampson
 * distance, same pixels as verifyMatches). A 3-D scene's matches need not share one homography,
 * but right ones always share one epipolar geometry. Seeded: deterministic.
 */
export function verifyEpipolar(
  matches: ReadonlyArray<Pick<Match, 'xyA' | 'xyB'>>,
  sizeA: { width: number; height: number },
  sizeB: { width: number; height: number },
  longSide: number,
): number {
  if (Math.min(matches.length, VERIFY_TOP) < 8) return 0;
  const { src, dst } = checkedPoints(matches, sizeA, sizeB, longSide);
  return ransacFundamental(src, dst, { threshold: VERIFY_EPIPOLAR_PX, maxIterations: 1000, seed: 1 })?.inlierCount ?? 0;
}

/** 'full' mode's trigger: the upright matches are too few or do not fit one homography. */
export function needsSearch(inliers: number, matchCount: number): boolean {
  const checked = Math.min(VERIFY_TOP, matchCount);
  return checked < 8 || inliers < Math.max(AUTO_MIN_INLIERS, AUTO_MIN_INLIER_SHARE * checked);
}

/** How one view's top matches hold together: the evidence 'auto' decides from. */
export interface ViewCheck {
  /** Matches checked: the view's top VERIFY_TOP. */
  checked: number;
  /** Of those, how many fit one homography (verifyMatches). */
  homography: number;
  /** Of those, how many fit one fundamental matrix (verifyEpipolar); 0 when not measured. */
  epipolar: number;
}

/** The check of a view's matches, both counts. */
export function checkView(
  matches: ReadonlyArray<Pick<Match, 'xyA' | 'xyB'>>,
  sizeA: { width: number; height: number },
  sizeB: { width: number; height: number },
  longSide: number,
): ViewCheck {
  return {
    checked: Math.min(VERIFY_TOP, matches.length),
    homography: verifyMatches(matches, sizeA, sizeB, longSide),
    epipolar: verifyEpipolar(matches, sizeA, sizeB, longSide),
  };
}

/** Sampson distance in pixels (at the model's long side) for verifyEpipolar. */
export const VERIFY_EPIPOLAR_PX = 1;

/**
 * 'auto' keeps the upright view when at least AUTO_MIN_INLIERS and AUTO_MIN_INLIER_SHARE of its
 * top matches fit one homography, or at least AUTO_MIN_EPIPOLAR and AUTO_MIN_EPIPOLAR_SHARE fit one
 * fundamental matrix: a 3-D scene with strong parallax fits no one homography. An F has more
 * freedom than an H (any 8 matches fit one, and a wrong match lands within a pixel of some
 * epipolar line more often than on one homography's point), so its bar is higher: the upright views of ../shared/data/val that fail the H check have at most
 * 14 of their matches on one F at 1 px. On val the F check decides no pair the H check does not.
 */
export const AUTO_MIN_EPIPOLAR = 30;
export const AUTO_MIN_EPIPOLAR_SHARE = 0.3;

/** The matches hold together: on one homography, or on one epipolar geometry. */
export function holdsTogether(check: ViewCheck): boolean {
  if (check.checked < 8) return false;
  if (check.homography >= Math.max(AUTO_MIN_INLIERS, AUTO_MIN_INLIER_SHARE * check.checked)) return true;
  return check.epipolar >= Math.max(AUTO_MIN_EPIPOLAR, AUTO_MIN_EPIPOLAR_SHARE * check.checked);
}

/**
 * A view that holds together this firmly ends the search: one homography fits at least
 * RESCUE_MIN_INLIERS of its top matches. Chosen on ../shared/data/val: 30 rather than 20 or 25 let
 * one more epipolar pair go on to a better view, and 40 changed nothing more (CHANGELOG.md).
 */
export const RESCUE_MIN_INLIERS = 30;

export function firmlyHolds(check: ViewCheck): boolean {
  return check.checked >= 8 && check.homography >= RESCUE_MIN_INLIERS;
}

/** The probes' long side, as a fraction of the fed one: a quarter of the cells, so a probe costs little. */
export const PROBE_SCALE = 0.5;

/** The probes: both images at PROBE_SCALE of the long side, B at each quarter turn (upright first). */
export function probeViews(longSide: number): View[] {
  const side = Math.round(PROBE_SCALE * longSide);
  return ([0, 1, 2, 3] as const).map((quarterTurns) => ({ quarterTurns, longSideA: side, longSideB: side }));
}

/**
 * A turned probe must find this many times the upright probe's matches to name its turn. The
 * network finds mutual, unambiguous matches mostly where the content lines up, so the right turn
 * matches more, even when too few of its matches agree yet to fit a homography at the probes' size.
 */
export const PROBE_TURN_RATIO = 1.3;

/**
 * The turn the probes point to: the turned probe with the most matches, when it has at least
 * PROBE_TURN_RATIO times the upright probe's; else 0 (no evidence of a turn).
 */
export function turnFromProbes(probes: ReadonlyArray<{ view: View; matches: number }>): QuarterTurns {
  const upright = probes.find((p) => p.view.quarterTurns === 0)?.matches ?? 0;
  let best: { view: View; matches: number } | undefined;
  for (const p of probes) if (p.view.quarterTurns !== 0 && (!best || p.matches > best.matches)) best = p;
  return best && best.matches >= PROBE_TURN_RATIO * Math.max(1, upright) ? best.view.quarterTurns : 0;
}

/**
 * The coarse views 'auto' tries after the probes, at the turn they name, until one holds firmly:
 * B turned at full size (when the turn is not upright), then either image at half size.
 */
export function rescueViews(longSide: number, quarterTurns: QuarterTurns): View[] {
  const half = Math.round(longSide / 2);
  return [
    ...(quarterTurns ? [{ quarterTurns, longSideA: longSide, longSideB: longSide }] : []),
    { quarterTurns, longSideA: longSide, longSideB: half },
    { quarterTurns, longSideA: half, longSideB: longSide },
  ];
}

/**
 * 'auto''s fine views, when no coarse view held firmly: the fine views less both images at 1.6x
 * (the costliest by far, and on ../shared/data/val never needed once its neighbours ran).
 */
export function autoFineViews(longSide: number, quarterTurns: QuarterTurns): View[] {
  return fineViews(longSide, quarterTurns).slice(1);
}

/**
 * The fine views follow the kept turn when at least this many of its matches fit one homography;
 * with fewer, the turn is noise and the upright turn is the likelier.
 */
export const FINE_TURN_MIN_INLIERS = 10;

/** The turn for 'auto''s fine views, from the best view so far. */
export function fineTurn(kept: View, check: ViewCheck): QuarterTurns {
  return check.homography >= FINE_TURN_MIN_INLIERS ? kept.quarterTurns : 0;
}

/** After the coarse stage: the fine views help when no view held together firmly. */
export function wantsFineViews(kept: ViewCheck): boolean {
  return !firmlyHolds(kept);
}

/** Whether a mode runs any view after the upright one, given the upright view's check. */
export function wantsMoreViews(mode: SearchMode, upright: ViewCheck): boolean {
  if (mode === 'off') return false;
  if (mode === 'auto') return !holdsTogether(upright);
  return true; // 'full' and 'always' run the fine views for every pair
}
