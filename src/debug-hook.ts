/**
 * `window.__coamDebug`: read-only numbers for the browser tests and the app benchmark (how many
 * inferences, frames drawn, when the first result arrived, the figure's camera), a probe that runs
 * a tiny synthetic pair on a chosen backend to compare WebGPU with WASM, and a way to tile the
 * matches for timing the renderer. Installed only when asked for: `?debug=1`, or a browser under
 * automation (`navigator.webdriver`, as the e2e suite and `npm run bench:app` drive chromium).
 * Nothing in the UI depends on it.
 */
import { probeBackend } from './state/controller';
import { useCoam } from './state/store';
import { useBaseline } from './state/baseline';
import { figureShow, shownAttention } from './state/derived';
import type { MatchOverlay } from './render/overlay';

export interface DebugHook {
  /** The viewer's overlay as it comes and goes: counts its frames and reads its camera. */
  attachOverlay(overlay: MatchOverlay | null): void;
  /** The classic matcher's pane's overlay as it comes and goes: its camera and drawn lines. */
  attachClassicOverlay(overlay: MatchOverlay | null): void;
}

/** Whether this page load asks for the hook. */
export function debugHookRequested(search: string): boolean {
  return new URLSearchParams(search).get('debug') === '1' || navigator.webdriver === true;
}

export function installDebugHook(): DebugHook {
  let overlay: MatchOverlay | null = null;
  let classicOverlay: MatchOverlay | null = null;
  const marks: Record<string, number> = {};
  const debug = {
    frames: 0,
    lastFrameAt: 0,
    /** performance.now() when the first matches arrived (page load → first matches). */
    firstResultAt: 0,
    /** performance.now() when the latest result reached the store. */
    lastResultAt: 0,
    /** When the model, the images and the first run became ready (ms after navigation). */
    get marks() {
      return { ...marks };
    },
    /** The figure's camera (zoom, centre), or null before the viewer exists. */
    get view() {
      return overlay?.viewState ?? null;
    },
    /** Match lines each pane draws now (null: no such pane), and the classic pane's camera. */
    get lines() {
      return { coam: overlay?.linesDrawn ?? null, classic: classicOverlay?.linesDrawn ?? null };
    },
    get classicView() {
      return classicOverlay?.viewState ?? null;
    },
    /** The classic matcher: its state, the counts it reported, and what the figure shows. */
    get classic() {
      const b = useBaseline.getState();
      return { enabled: b.enabled, show: figureShow(b), status: b.status, total: b.total, counts: b.counts };
    },
    get inferenceRuns() {
      return useCoam.getState().inferenceRuns;
    },
    get state() {
      const s = useCoam.getState();
      return {
        backend: s.model.backend,
        model: s.model.status,
        run: s.run.status,
        matches: s.result?.matches.length ?? 0,
        k: s.k,
        timings: s.result?.timings ?? null,
        modelLoad: { totalMs: s.model.loadMs, fetchMs: s.model.fetchMs ?? 0 },
        inspect: s.inspect,
        view: s.view,
        attentionLevels: s.model.attentionLevels ?? [],
        /** What the attention view draws now: the level, its weights' sum and peak, the ringed peaks. */
        attention: (() => {
          const att = shownAttention(s);
          if (!att) return null;
          let sum = 0;
          let max = 0;
          for (const v of att.level.weights) {
            sum += v;
            max = Math.max(max, v);
          }
          return { from: att.from, to: att.to, xy: att.xy, level: att.level.level, grid: [att.level.gridWidth, att.level.gridHeight], sum, max, peaks: att.peaks.map((p) => p.xy), ms: s.attention?.ms ?? 0 };
        })(),
        images: Object.fromEntries(
          (['A', 'B'] as const).map((slot) => {
            const e = s.images[slot];
            return [slot, e ? { status: e.status, width: e.width, height: e.height, bitmapWidth: e.bitmap?.width ?? 0, bitmapHeight: e.bitmap?.height ?? 0 } : null];
          }),
        ),
      };
    },
    probe: probeBackend,
    /** Benchmark only: tile the current matches up to n lines (to time the renderer with many lines). */
    tileMatches(n: number) {
      const r = useCoam.getState().result;
      if (!r || r.matches.length === 0) return 0;
      const matches = Array.from({ length: n }, (_, i) => {
        const m = r.matches[i % r.matches.length];
        const j = Math.floor(i / r.matches.length);
        return { ...m, xyA: [m.xyA[0] + j, m.xyA[1]] as [number, number], score: m.score * (1 - i / (4 * n)) };
      });
      useCoam.setState({ result: { ...r, matches } });
      return n;
    },
  };
  useCoam.subscribe((s, prev) => {
    if (s.result && s.result !== prev.result) debug.lastResultAt = performance.now();
  });
  const unsubscribeFirst = useCoam.subscribe((s) => {
    const now = performance.now();
    if (s.model.status === 'ready') marks.modelReady ??= now;
    if (s.images.A?.status === 'ready' && s.images.B?.status === 'ready') marks.imagesReady ??= now;
    if (s.run.status === 'running') marks.runStarted ??= now;
    if (s.result && !debug.firstResultAt) {
      debug.firstResultAt = now;
      unsubscribeFirst();
    }
  });
  (window as unknown as { __coamDebug: typeof debug }).__coamDebug = debug;
  return {
    attachOverlay(next) {
      overlay = next;
      if (next) {
        next.onFrame = () => {
          debug.frames++;
          debug.lastFrameAt = performance.now();
        };
      }
    },
    attachClassicOverlay(next) {
      classicOverlay = next;
    },
  };
}
