import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { start, probeBackend } from './state/controller';
import { parseUrlSettings } from './state/url-params';
import { useCoam } from './state/store';
import './ui/app.css';

// Read-only numbers for tests and the benchmark (how many inferences, frames drawn), and a probe
// that runs a tiny synthetic pair on a chosen backend to compare WebGPU with WASM.
const debug = {
  frames: 0,
  lastFrameAt: 0,
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
    };
  },
  probe: probeBackend,
};
(window as unknown as { __coamDebug: typeof debug }).__coamDebug = debug;

start(parseUrlSettings(location.search));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
