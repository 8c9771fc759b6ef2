/**
 * Values computed from the store, never stored: the top-K prefix, the effective layout, which
 * drawn matches are inliers, and the inspect heatmap.
 */
import type { DenseOutput, FedGeometry, PairResult, Point, Slot } from '../core/types';
import { peaksInOriginal, type AttentionLevel, type Peak } from '../core/attention';
import { cellCenterFed, nearestCell, similarityMap } from '../core/matching';
import { fedToOriginal, originalToFed } from '../core/image';
import { figureLayout, type Size } from '../render/layout';
import { countsCaption } from '../render/compare-figure';
import type { BaselineState } from './baseline';
import type { AttentionResult, CoamState, FigureShow, GeometryResult, Layout } from './store';

/** K is a prefix of the sorted list; it never exceeds what there is. */
export function shownCount(s: Pick<CoamState, 'k' | 'result'>): number {
  return s.result ? Math.max(0, Math.min(s.k, s.result.matches.length)) : 0;
}

export function totalCount(s: Pick<CoamState, 'result'>): number {
  return s.result ? s.result.matches.length : 0;
}

/** A figure wider than this (or taller than its inverse) draws its smaller image as a sliver. */
const MAX_FIGURE_ASPECT = 4;

/**
 * Landscape pairs side by side; portrait pairs (both taller than wide) stacked. When that figure
 * would be more than 4:1 (a panorama beside a photo), the other arrangement is used if it is less
 * extreme, so neither image is drawn a few pixels across.
 */
export function effectiveLayout(s: Pick<CoamState, 'layout' | 'images'>): Exclude<Layout, 'auto'> {
  if (s.layout !== 'auto') return s.layout;
  const a = s.images.A;
  const b = s.images.B;
  if (!a || !b) return 'side';
  const preferred = a.height > a.width && b.height > b.width ? 'stacked' : 'side';
  if (!(a.width > 0 && a.height > 0 && b.width > 0 && b.height > 0)) return preferred;
  const ra = a.width / a.height;
  const rb = b.width / b.height;
  // Width over height of the figure: side by side at one height, stacked at one width.
  const extremity = (layout: 'side' | 'stacked') => Math.abs(Math.log(layout === 'side' ? ra + rb : 1 / (1 / ra + 1 / rb)));
  const other = preferred === 'side' ? 'stacked' : 'side';
  return extremity(preferred) > Math.log(MAX_FIGURE_ASPECT) && extremity(other) < extremity(preferred) ? other : preferred;
}

/** The figure's size in figure units (both images at the effective layout), or null before both have a size. */
export function figureSize(s: Pick<CoamState, 'layout' | 'images'>): Size | null {
  const { A, B } = s.images;
  if (!A || !B || !(A.width > 0 && A.height > 0 && B.width > 0 && B.height > 0)) return null;
  const L = figureLayout(A, B, effectiveLayout(s));
  return { width: L.width, height: L.height };
}

/** Why the pair cannot be (re-)run now, in words for a disabled button's title; null when it can. */
export function runBlocker(s: Pick<CoamState, 'images' | 'model' | 'run'>): string | null {
  for (const slot of ['A', 'B'] as const) {
    const e = s.images[slot];
    if (!e) return `Add Image ${slot} first`;
    if (e.status === 'decoding') return `Image ${slot} is still decoding`;
    if (e.status === 'error') return `Image ${slot} could not be used; add another`;
  }
  if (s.model.status === 'loading') return 'The model is still loading';
  if (s.model.status !== 'ready') return 'No model is loaded';
  if (s.run.status === 'running') return 'Matching…';
  return null;
}

/** The geometry result if it belongs to the current result, model kind and K; otherwise null. */
export function currentGeometry(s: Pick<CoamState, 'geometry' | 'ransac' | 'run' | 'k' | 'result'>): GeometryResult | null {
  const g = s.geometry;
  if (!g || s.ransac === 'off' || g.kind !== s.ransac || g.runId !== s.run.runId) return null;
  if (g.k !== shownCount(s)) return null;
  return g;
}

/** Original pixel → cell index in that image's grid (via the fed frame). */
export function cellAt(result: PairResult, slot: Slot, xy: Point): number {
  const prep = slot === 'A' ? result.preparedA : result.preparedB;
  const dense = slot === 'A' ? result.denseA : result.denseB;
  const [xFed, yFed] = originalToFed(xy, prep);
  return nearestCell(xFed, yFed, dense.gridWidth, dense.gridHeight, dense.stride);
}

export interface Inspection {
  /** The image inspected and the cell under the pointer. */
  slot: Slot;
  cell: number;
  /** Cosine similarity of that cell against every cell of the other image (its grid). */
  similarity: Float32Array;
  other: DenseOutput;
  /** Index into `result.matches` of this cell's match within the shown prefix, or -1. */
  matchIndex: number;
  /** The most similar cell of the other image, in its original pixels. */
  best: { cell: number; xy: Point; similarity: number };
}

let memo: { result: PairResult; slot: Slot; cell: number; k: number; value: Inspection } | null = null;

export function inspection(s: Pick<CoamState, 'inspect' | 'result' | 'k'>): Inspection | null {
  const { inspect, result } = s;
  if (!inspect || !result) return null;
  const cell = cellAt(result, inspect.slot, inspect.xy);
  const k = shownCount(s);
  if (memo && memo.result === result && memo.slot === inspect.slot && memo.cell === cell && memo.k === k) return memo.value;
  const [self, other] = inspect.slot === 'A' ? [result.denseA, result.denseB] : [result.denseB, result.denseA];
  const similarity = similarityMap(self, cell, other);
  let matchIndex = -1;
  for (let i = 0; i < k; i++) {
    const m = result.matches[i];
    if ((inspect.slot === 'A' ? m.cellA : m.cellB) === cell) {
      matchIndex = i;
      break;
    }
  }
  let bestCell = 0;
  for (let i = 1; i < similarity.length; i++) if (similarity[i] > similarity[bestCell]) bestCell = i;
  const otherPrep = inspect.slot === 'A' ? result.preparedB : result.preparedA;
  const best = {
    cell: bestCell,
    xy: fedToOriginal(cellCenterFed(bestCell, other.gridWidth, other.stride), otherPrep),
    similarity: similarity[bestCell],
  };
  const value: Inspection = { slot: inspect.slot, cell, similarity, other, matchIndex, best };
  memo = { result, slot: inspect.slot, cell, k, value };
  return value;
}

/** Flat arrays of the sorted matches for the renderer: [xA, yA, xB, yB] and scores. */
export interface MatchArrays {
  pairs: Float32Array;
  scores: Float32Array;
}

const arrays = new WeakMap<PairResult, MatchArrays>();

export function matchArrays(result: PairResult): MatchArrays {
  let a = arrays.get(result);
  if (!a) {
    const n = result.matches.length;
    const pairs = new Float32Array(n * 4);
    const scores = new Float32Array(n);
    result.matches.forEach((m, i) => {
      pairs[i * 4] = m.xyA[0];
      pairs[i * 4 + 1] = m.xyA[1];
      pairs[i * 4 + 2] = m.xyB[0];
      pairs[i * 4 + 3] = m.xyB[1];
      scores[i] = m.score;
    });
    a = { pairs, scores };
    arrays.set(result, a);
  }
  return a;
}

/** Score range of the whole list, for the legend. */
export function scoreRange(result: PairResult | null): [number, number] | null {
  if (!result || result.matches.length === 0) return null;
  const m = result.matches;
  return [m[m.length - 1].score, m[0].score];
}

/**
 * Pair vs self conditioning on the current images, as measured: matches, and inliers where both
 * runs were verified with the same model and K. Null until both have run.
 */
export function conditioningComparison(s: Pick<CoamState, 'summaries' | 'images' | 'run' | 'k' | 'result' | 'ransac'>) {
  const a = s.images.A?.id;
  const b = s.images.B?.id;
  const same = (x: CoamState['summaries'][number]) =>
    x.imageA === a && x.imageB === b && x.longSide === s.run.longSide && x.search === s.run.search && x.maxRatio === s.run.maxRatio;
  const pair = s.summaries.find((x) => x.conditioning === 'pair' && same(x));
  const self = s.summaries.find((x) => x.conditioning === 'self' && same(x));
  if (!pair || !self) return null;
  const inl = (x: typeof pair) => (s.ransac === 'off' ? undefined : x.inliers.find((i) => i.kind === s.ransac && i.k === Math.min(s.k, x.matches))?.count);
  return { pair: { matches: pair.matches, inliers: inl(pair) }, self: { matches: self.matches, inliers: inl(self) } };
}

/**
 * Why the attention view cannot be shown for this model, in words for the control's tooltip; null
 * when it can. It needs the co-attention graph the sidecar's `attention` names.
 */
export function attentionUnavailable(s: Pick<CoamState, 'model'>): string | null {
  if (s.model.status !== 'ready' || !s.model.info) return 'The attention view needs a loaded model';
  if (s.model.attentionLevels?.length) return null;
  if (s.model.info.attention !== undefined) return `The attention view reads the model's split and attention graphs, which ${s.model.label} does not come with`;
  return `${s.model.label} has no co-attention graph (its sidecar names no 'attention'), so its attention cannot be shown`;
}

/** The attention result that belongs to the shown run and query; null while it is being computed. */
export function currentAttention(s: Pick<CoamState, 'attention' | 'attentionQuery' | 'run' | 'result'>): AttentionResult | null {
  const a = s.attention;
  const q = s.attentionQuery;
  if (!a || !q || !s.result || a.runId !== s.run.runId || a.from !== q.from || a.xy[0] !== q.xy[0] || a.xy[1] !== q.xy[1]) return null;
  return a;
}

/** The level drawn: the chosen one if the model has it, else the model's first. */
export function attentionLevelName(s: Pick<CoamState, 'attentionLevel' | 'model'>): string | null {
  const levels = s.model.attentionLevels ?? [];
  return s.attentionLevel && levels.includes(s.attentionLevel) ? s.attentionLevel : levels[0] ?? null;
}

/** How many of a level's strongest positions are ringed. */
export const ATTENTION_PEAKS = 3;

export interface ShownAttention {
  from: Slot;
  to: Slot;
  xy: Point;
  level: AttentionLevel;
  /** The strongest positions in the attended image's original pixels, strongest first. */
  peaks: Array<Peak & { xy: Point }>;
  /** A ring's radius around a peak in the attended image's original pixels: one cell. */
  ringRadius: number;
}

const shownMemo = new WeakMap<AttentionLevel, ShownAttention>();

/** What the attention view draws now (the current result at the drawn level), or null. */
export function shownAttention(s: Pick<CoamState, 'view' | 'attention' | 'attentionQuery' | 'attentionLevel' | 'run' | 'result' | 'model'>): ShownAttention | null {
  if (s.view !== 'attention' || !s.result) return null;
  const a = currentAttention(s);
  const name = attentionLevelName(s);
  const level = a?.levels.find((l) => l.level === name);
  if (!a || !level) return null;
  let shown = shownMemo.get(level);
  if (!shown) {
    const to: Slot = a.from === 'A' ? 'B' : 'A';
    const geometry: FedGeometry = to === 'A' ? s.result.preparedA : s.result.preparedB;
    shown = {
      from: a.from,
      to,
      xy: a.xy,
      level,
      peaks: peaksInOriginal(level, geometry, ATTENTION_PEAKS),
      ringRadius: (0.6 * level.stride) / Math.min(geometry.scaleX, geometry.scaleY),
    };
    shownMemo.set(level, shown);
  }
  return shown;
}

/**
 * Caption of CoAM's pane in the attention view (beside the classic matcher's): the point and the
 * level drawn, or what to do; CoAM's own caption until there is a result.
 */
export function attentionCaption(s: Pick<CoamState, 'view' | 'attention' | 'attentionQuery' | 'attentionLevel' | 'run' | 'result' | 'model' | 'k' | 'ransac' | 'geometry'>): string {
  if (!s.result) return coamCaption(s);
  const att = shownAttention(s);
  if (!att) return s.attentionQuery ? 'CoAM attention: computing…' : 'CoAM attention: click a point of A (or of B)';
  const [x, y] = att.xy.map(Math.round);
  return `CoAM attention of ${att.from} (${x}, ${y}) over ${att.to} · level ${att.level.level}`;
}

// The classic matcher beside CoAM, in the live view: the same top-K prefix and RANSAC, read from its store.

type Classic = Pick<BaselineState, 'enabled' | 'show' | 'status' | 'detector' | 'ran' | 'total' | 'counts' | 'shown' | 'lines' | 'error' | 'ms'>;

/** What the figure shows: the classic matcher's pane (alone or beside CoAM's) only while it is on. */
export function figureShow(b: Pick<BaselineState, 'enabled' | 'show'>): FigureShow {
  return b.enabled ? b.show : 'coam';
}

/** "AKAZE" (the detector that ran), or the one asked for before it has run. */
export const classicName = (b: Pick<BaselineState, 'ran' | 'detector'>): string => (b.ran ?? b.detector).toUpperCase();

/** Its shown prefix under the current K: min(K, its matches); 0 until it has run. */
export function classicShownCount(s: Pick<CoamState, 'k'>, b: Pick<BaselineState, 'status' | 'lines'>): number {
  return b.status === 'done' && b.lines ? Math.max(0, Math.min(s.k, b.lines.scores.length)) : 0;
}

/**
 * Its RANSAC verdicts if they were counted for the current K and RANSAC kind, as `currentGeometry`
 * is CoAM's: `inliers` null where no model was found; null while they are being counted.
 */
export function classicFit(s: Pick<CoamState, 'k' | 'ransac'>, b: Pick<BaselineState, 'status' | 'counts' | 'shown'>): { inliers: number | null; flags: Uint8Array | null } | null {
  if (s.ransac === 'off' || b.status !== 'done' || !b.counts || !b.shown) return null;
  if (b.counts.k !== s.k || b.counts.ransac !== s.ransac) return null;
  return { inliers: b.counts.inliers, flags: b.shown.inlierFlags };
}

/** The strip's line for the classic matcher: its state, or its counts under the current top-K and RANSAC. */
export function classicStatusText(s: Pick<CoamState, 'ransac'>, b: Classic): string {
  const name = classicName(b);
  if (b.status === 'waiting' || b.status === 'off') return `${name}: waiting for two images`;
  if (b.status === 'loading') return `${name}: loading OpenCV…`;
  if (b.status === 'running') return `${name}: matching…`;
  if (b.status === 'error') return `${name}: ${b.error ?? 'failed'}`;
  if (!b.counts) return `${name}: ${b.total} matches`;
  const inliers = b.counts.ransac === 'off' ? '' : b.counts.inliers === null ? ` · no ${s.ransac} found` : ` · ${b.counts.inliers} inliers`;
  return `${name}: ${b.counts.shown} matches shown of ${b.counts.total}${inliers} · ${b.ms.toFixed(0)} ms`;
}

/** Caption of CoAM's pane: its counts under the current top-K and RANSAC, or what it is doing. */
export function coamCaption(s: Pick<CoamState, 'result' | 'run' | 'k' | 'ransac' | 'geometry' | 'model'>): string {
  if (!s.result) {
    if (s.run.status === 'running') return 'CoAM: matching…';
    if (s.run.status === 'error') return 'CoAM: matching failed';
    return s.model.status === 'loading' ? 'CoAM: loading the model…' : 'CoAM: waiting for two images';
  }
  const g = currentGeometry(s);
  const caption = countsCaption('CoAM', shownCount(s), totalCount(s), s.ransac, g ? (g.matrix ? g.inlierCount : null) : undefined);
  return s.run.interim ? `${caption} · trying other views…` : caption;
}

/** Caption of the classic matcher's pane, worded as CoAM's. */
export function classicCaption(s: Pick<CoamState, 'k' | 'ransac'>, b: Classic): string {
  if (b.status !== 'done' || !b.lines) return classicStatusText(s, b);
  const fit = classicFit(s, b);
  return countsCaption(classicName(b), classicShownCount(s, b), b.total, s.ransac, fit ? fit.inliers : undefined);
}
