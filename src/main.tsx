import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { start, probeBackend } from './state/controller';
import { parseUrlSettings } from './state/url-params';
import { setBaselineEnabled } from './state/baseline';
import { useCoam } from './state/store';
import { currentOverlay } from './render/current';
import './ui/app.css';

// Read-only numbers for tests and the benchmark (how many inferences, frames drawn), and a probe
// that runs a tiny synthetic pair on a chosen backend to compare WebGPU with WASM.
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
    return currentOverlay()?.viewState ?? null;
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
const marks: Record<string, number> = {};
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

const settings = parseUrlSettings(location.search);
start(settings);
if (settings.baseline) setBaselineEnabled(true);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
