/**
 * The classic matcher beside CoAM, in the page: a store of its own and the worker that runs it,
 * started only when the user turns the comparison on. It follows CoAM's store: the same two images
 * at the same fed size (the run's long side and the model's `multiple`), the same ratio threshold,
 * and, for each top-K and RANSAC setting, the same prefix and the same fit (counted in its worker).
 */
import { create } from 'zustand';
import type { BaselineDetector, MatcherCounts, RansacKind } from '../core/baseline';
import type { BaselineShown, FromBaseline, ToBaseline } from '../worker/baseline.worker';
import { clearNotices, notify, useCoam, type CoamState, type FigureShow, FIGURE_SHOWS } from './store';

const DEFAULT_LONG_SIDE = 640;

/** Every match of the last run, sorted best first: [xA, yA, xB, yB] per match (original pixels) and scores. */
export interface BaselineLines {
  pairs: Float32Array;
  scores: Float32Array;
}

export interface BaselineState {
  enabled: boolean;
  /** What the figure shows while the matcher is on (CoAM's view whenever it is off). */
  show: FigureShow;
  status: 'off' | 'waiting' | 'loading' | 'running' | 'done' | 'error';
  detector: BaselineDetector;
  /** The detector that ran (AKAZE where SIFT was asked for and the build lacks it) and why. */
  ran: BaselineDetector | null;
  fallbackReason?: string;
  openCv?: string;
  total: number;
  counts: (MatcherCounts & { k: number; ransac: RansacKind | 'off' }) | null;
  /** The lines behind those counts (the comparison figure draws them). */
  shown: BaselineShown | null;
  /** All of the run's matches, drawn by the live view (top-K is a draw range, as CoAM's). */
  lines: BaselineLines | null;
  ms: number;
  loadMs: number;
  error?: string;
}

export const useBaseline = create<BaselineState>()(() => ({
  enabled: false,
  show: 'coam',
  status: 'off',
  detector: 'sift',
  ran: null,
  total: 0,
  counts: null,
  shown: null,
  lines: null,
  ms: 0,
  loadMs: 0,
}));

const NOTICE = 'classic matcher';

function failed(error: string): void {
  useBaseline.setState({ status: 'error', error });
  // On the figure in an embed, in the page's messages otherwise, as every other failure.
  notify('error', `Classic matcher: ${error}`, NOTICE);
}

let worker: Worker | null = null;
let runId = 0;
/** What the last run was asked for, so an unchanged input does not run again. */
let lastKey = '';

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('../worker/baseline.worker.ts', import.meta.url), { type: 'module', name: 'coam-baseline' });
    worker.onmessage = (e: MessageEvent<FromBaseline>) => onMessage(e.data);
    worker.onerror = (e) => failed(`its worker failed (${e.message || 'unknown error'})`);
  }
  return worker;
}

function onMessage(msg: FromBaseline): void {
  if (msg.runId !== runId) return;
  if (msg.type === 'loading') useBaseline.setState({ status: 'loading' });
  else if (msg.type === 'error') failed(msg.message);
  else if (msg.type === 'result') {
    useBaseline.setState({
      status: 'done',
      ran: msg.detector,
      fallbackReason: msg.fallbackReason,
      openCv: msg.openCv,
      total: msg.total,
      ms: msg.ms,
      loadMs: msg.loadMs,
      counts: null,
      shown: null,
      lines: { pairs: msg.pairs, scores: msg.scores },
      error: undefined,
    });
    clearNotices(NOTICE);
    requestCounts();
  } else if (msg.type === 'counts') useBaseline.setState({ counts: { ...msg.counts, k: msg.k, ransac: msg.ransac }, shown: msg.shown });
}

const longSideOf = (s: CoamState) => s.longSide ?? s.model.info?.inputSize.longSide ?? DEFAULT_LONG_SIDE;

/** Runs the baseline on the current pair when it is on and both display copies are there. */
async function maybeRun(): Promise<void> {
  const b = useBaseline.getState();
  const s = useCoam.getState();
  const { A, B } = s.images;
  if (!b.enabled) return;
  if (!A || !B || A.status !== 'ready' || B.status !== 'ready' || !A.bitmap || !B.bitmap || !s.model.info) {
    // A slot emptied or being replaced: the last counts are of another pair.
    runId++;
    lastKey = '';
    if (b.status !== 'waiting') useBaseline.setState({ status: 'waiting', counts: null, shown: null, lines: null, error: undefined });
    return;
  }
  const key = [A.id, B.id, b.detector, longSideOf(s), s.model.info.multiple, s.maxRatio].join('|');
  if (key === lastKey) return;
  lastKey = key;
  const id = ++runId;
  useBaseline.setState({ status: 'running', counts: null, shown: null, lines: null, error: undefined });
  const [bitmapA, bitmapB] = await Promise.all([createImageBitmap(A.bitmap), createImageBitmap(B.bitmap)]);
  if (id !== runId) return void [bitmapA, bitmapB].forEach((m) => m.close());
  const msg: ToBaseline = {
    type: 'match',
    runId: id,
    a: { bitmap: bitmapA, originalWidth: A.width, originalHeight: A.height },
    b: { bitmap: bitmapB, originalWidth: B.width, originalHeight: B.height },
    detector: b.detector,
    longSide: longSideOf(s),
    multiple: s.model.info.multiple,
    maxRatio: s.maxRatio,
  };
  getWorker().postMessage(msg, [bitmapA, bitmapB]);
}

/** The same top-K as CoAM's slider: each list shows its first min(K, its length). */
function requestCounts(): void {
  const b = useBaseline.getState();
  if (!b.enabled || b.status !== 'done') return;
  const s = useCoam.getState();
  const k = s.k;
  if (b.counts && b.counts.k === k && b.counts.ransac === s.ransac) return;
  getWorker().postMessage({ type: 'counts', runId, k, ransac: s.ransac } satisfies ToBaseline);
}

export function setBaselineEnabled(enabled: boolean): void {
  if (!enabled) {
    runId++;
    lastKey = '';
    useBaseline.setState({ enabled: false, status: 'off', counts: null, shown: null, lines: null, error: undefined });
    clearNotices(NOTICE);
    return;
  }
  useBaseline.setState({ enabled: true, status: 'waiting' });
  void maybeRun();
}

/**
 * CoAM's lines, the classic matcher's, or both panes (`show=` in the URL). The attention view draws
 * on CoAM's pane, so while it is on the classic matcher is shown beside CoAM, never alone.
 */
export function setShow(show: FigureShow): void {
  useBaseline.setState({ show: show === 'classic' && useCoam.getState().view === 'attention' ? 'compare' : show });
}

/** The Show choices open now: all three, or CoAM and both while the attention view is on. */
export function showChoices(view: CoamState['view']): readonly FigureShow[] {
  return view === 'attention' ? FIGURE_SHOWS.filter((x) => x !== 'classic') : FIGURE_SHOWS;
}

/** c: CoAM → classic → both → CoAM (CoAM ↔ both in the attention view), while the classic matcher is on (false: it is off, nothing to cycle). */
export function cycleShow(): boolean {
  const { enabled, show } = useBaseline.getState();
  if (!enabled) return false;
  const choices = showChoices(useCoam.getState().view);
  setShow(choices[(choices.indexOf(show) + 1) % choices.length]);
  return true;
}

// Turning the attention view on while the classic matcher is shown alone brings CoAM's pane back beside it.
useCoam.subscribe((s, prev) => {
  if (s.view !== prev.view && s.view === 'attention' && useBaseline.getState().show === 'classic') setShow('compare');
});

let countsTimer: ReturnType<typeof setTimeout> | null = null;
useCoam.subscribe((s, prev) => {
  if (!useBaseline.getState().enabled) return;
  if (s.images !== prev.images || s.model.info !== prev.model.info || s.maxRatio !== prev.maxRatio || s.longSide !== prev.longSide) void maybeRun();
  if (s.k !== prev.k || s.ransac !== prev.ransac || s.result !== prev.result) {
    if (countsTimer) clearTimeout(countsTimer);
    // K moves many times a second while dragging: count once it settles, as CoAM's RANSAC does.
    countsTimer = setTimeout(requestCounts, s.k === prev.k ? 0 : 120);
  }
});
