/**
 * The one store: inputs, settings, results, status. It holds facts only; anything that can be
 * computed from them (the top-K prefix, which matches are inliers, the effective layout) lives in
 * `derived.ts`. Side effects (the worker, fetching, decoding) live in `controller.ts`.
 */
import { create } from 'zustand';
import { DEFAULT_MATCH_OPTIONS } from '../core/types';
import type { AttentionLevel } from '../core/attention';
import type { Conditioning, GeometryKind, ModelInfo, PairResult, Point, Slot } from '../core/types';
import type { SearchMode } from '../core/views';
import type { BackendName } from '../worker/protocol';

export type Layout = 'auto' | 'side' | 'stacked';
export type HeatmapMode = 'off' | 'distinctiveness';
export type RansacMode = 'off' | GeometryKind;
/** What the figure shows: the matches, or the co-attention at a clicked point. */
export type FigureView = 'matches' | 'attention';
/** What the figure shows while the classic matcher is on: CoAM's lines, the classic matcher's, or both panes. */
export type FigureShow = 'coam' | 'classic' | 'compare';
export const FIGURE_SHOWS: readonly FigureShow[] = ['coam', 'classic', 'compare'];

export interface ImageEntry {
  /** Worker-side key of the decoded raster. */
  id: string;
  name: string;
  /** A sample name or URL that reproduces this image in a share link; absent for local files. */
  shareRef?: string;
  status: 'decoding' | 'ready' | 'error';
  /** Full-resolution display copy (shown sharp; the network sees a resized one). */
  bitmap: ImageBitmap | null;
  width: number;
  height: number;
  error?: string;
}

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
  /** What it is about ('image A', 'model', 'run', ...): a new message or a success there replaces it. */
  source?: string;
}

export interface ModelState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  label: string;
  info: ModelInfo | null;
  backend: BackendName | null;
  fallbackReason?: string;
  threads: number;
  loadMs: number;
  fetchMs?: number;
  /** The co-attention levels the loaded model can show (empty: no attention graph loaded). */
  attentionLevels?: string[];
}

export interface RunState {
  status: 'idle' | 'running' | 'done' | 'error';
  runId: number;
  /** Image ids and conditioning of the run, so a stale result is recognised. */
  imageA?: string;
  imageB?: string;
  conditioning?: Conditioning;
  search?: SearchMode;
  maxRatio?: number;
  longSide?: number;
  /** The result shown is the upright view's, while the search tries the others. */
  interim?: boolean;
}

export interface GeometryResult {
  runId: number;
  kind: GeometryKind;
  /** Computed over the top-k prefix. */
  k: number;
  matrix: number[] | null;
  inliers: Uint8Array | null;
  inlierCount: number;
  ms: number;
}

export interface Inspect {
  slot: Slot;
  /** Original pixels of the inspected image. */
  xy: Point;
  pinned: boolean;
}

/** The point whose co-attention the attention view shows: original pixels of `from`. */
export interface AttentionQuery {
  from: Slot;
  xy: Point;
}

/** The co-attention at a query, for one run: each level's weights over the other image. */
export interface AttentionResult extends AttentionQuery {
  runId: number;
  levels: AttentionLevel[];
  ms: number;
}

/** What one finished run produced, kept so pair and self conditioning can be compared. */
export interface RunSummary {
  imageA: string;
  imageB: string;
  longSide: number;
  /** The matcher's settings of the run: only runs with the same ones are compared. */
  search: SearchMode;
  maxRatio: number;
  conditioning: Conditioning;
  matches: number;
  /** Inliers per geometry kind and K, as they were measured on this run. */
  inliers: Array<{ kind: GeometryKind; k: number; count: number }>;
}

export interface Progress {
  stage: string;
  fraction: number;
}

export interface CoamState {
  images: Record<Slot, ImageEntry | null>;
  model: ModelState;
  progress: Progress | null;
  run: RunState;
  result: PairResult | null;
  geometry: GeometryResult | null;
  inspect: Inspect | null;
  /** The figure's view; 'attention' shows `attention` for `attentionQuery`. */
  view: FigureView;
  attentionQuery: AttentionQuery | null;
  attention: AttentionResult | null;
  /** The co-attention level drawn ('s16', 's32'); null: the model's first. */
  attentionLevel: string | null;

  k: number;
  layout: Layout;
  heatmap: HeatmapMode;
  ransac: RansacMode;
  conditioning: Conditioning;
  /** Test-time views (core/views.ts): 'auto' tries B turned and rescaled when the upright matches fail, then finer views. */
  search: SearchMode;
  /** The ratio test's threshold (core MatchOptions.maxRatio; 1 keeps every mutual match). */
  maxRatio: number;
  /** Opacity of the homography-warped A drawn over B, 0..1 (0 hides it). */
  blend: number;
  longSide: number | null;
  embed: boolean;
  presentation: boolean;

  notices: Notice[];
  /** The latest run of each conditioning (pair, self) for comparison. */
  summaries: RunSummary[];
  /** How many inferences the worker was asked for (the tests check the slider never adds one). */
  inferenceRuns: number;
}

export const DEFAULT_K = 300;

export const initialState = (): CoamState => ({
  images: { A: null, B: null },
  model: { status: 'idle', label: '', info: null, backend: null, threads: 0, loadMs: 0, attentionLevels: [] },
  progress: null,
  run: { status: 'idle', runId: 0 },
  result: null,
  geometry: null,
  inspect: null,
  view: 'matches',
  attentionQuery: null,
  attention: null,
  attentionLevel: null,
  k: DEFAULT_K,
  layout: 'auto',
  heatmap: 'off',
  ransac: 'off',
  conditioning: 'pair',
  search: 'auto',
  maxRatio: DEFAULT_MATCH_OPTIONS.maxRatio,
  blend: 0,
  longSide: null,
  embed: false,
  presentation: false,
  notices: [],
  summaries: [],
  inferenceRuns: 0,
});

export const useCoam = create<CoamState>()(() => initialState());

let noticeId = 0;

/** Adds a message for the user (it stays until dismissed, or replaced by news from the same source). */
export function notify(kind: Notice['kind'], text: string, source?: string): void {
  const id = ++noticeId;
  useCoam.setState((s) => ({
    notices: [...s.notices.filter((n) => n.text !== text && (!source || n.source !== source)), { id, kind, text, source }].slice(-4),
  }));
}

/** Drops the messages about a source once it is fine again. */
export function clearNotices(source: string): void {
  const { notices } = useCoam.getState();
  if (notices.some((n) => n.source === source)) useCoam.setState({ notices: notices.filter((n) => n.source !== source) });
}

export function dismissNotice(id: number): void {
  useCoam.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
}
