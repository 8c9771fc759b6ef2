/** The strip under the figure: status (role=status), progress, backend badge, timings, legend. */
import { AttentionLegend } from './Attention';
import { useShallow } from 'zustand/react/shallow';
import { useCoam } from '../state/store';
import { describeKeptView } from '../core/views';
import { classicName, conditioningComparison, currentGeometry, figureShow, inspection, scoreRange, shownCount, totalCount } from '../state/derived';
import { rampCss, INLIER_RGB, OUTLIER_RGB } from '../render/colormap';
import { useBaseline } from '../state/baseline';

const STAGE_LABEL: Record<string, string> = {
  download: 'Downloading model',
  compile: 'Compiling model',
  decode: 'Decoding',
  preprocess: 'Preparing images',
  encode: 'Encoding images',
  passAB: 'Pass A|B',
  passBA: 'Pass B|A',
  match: 'Matching',
  search: 'Trying other views (turned, rescaled, finer)',
};

const ms = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const rgb = (c: readonly number[]) => `rgb(${c.map((v) => Math.round(v * 255)).join(' ')})`;

export function StatusText() {
  const text = useCoam((s) => {
    const { A, B } = s.images;
    if (s.run.status === 'running') {
      return s.run.interim && s.result
        ? // Not "N matches": that wording means a finished run (the tests wait for it).
          `Trying other views… meanwhile, the upright view (${totalCount(s)} matched points)`
        : 'Matching…';
    }
    if (s.result && s.run.status === 'done') {
      const total = totalCount(s);
      return `${total} matches · ${shownCount(s)} matches shown of ${total}`;
    }
    if (s.run.status === 'error') return 'Matching failed; see the message above.';
    // A slot whose image failed says so; an embed cannot add an image, so it never asks for one.
    const missing = (slot: 'A' | 'B') => {
      const failed = s.images[slot]?.status === 'error' || s.notices.some((n) => n.kind === 'error' && n.source === `image ${slot}`);
      if (failed) return `Image ${slot} could not be used (see the message).`;
      return s.embed ? `No Image ${slot}: the embed's URL names none (a=, b= or sample=).` : `Add Image ${slot} to match.`;
    };
    if (!A && !B && !s.embed && !s.notices.some((n) => n.source?.startsWith('image '))) return 'Add Image A and Image B to match.';
    if (!A || A.status === 'error') return missing('A');
    if (!B || B.status === 'error') return missing('B');
    if (A.status === 'decoding' || B.status === 'decoding') return 'Decoding images…';
    if (s.model.status === 'loading') return 'Loading the model…';
    if (s.model.status === 'error') return 'No model loaded.';
    return 'Ready.';
  });
  return (
    <div role="status" aria-live="polite" className="status-text" data-testid="status">
      {text}
    </div>
  );
}

export function ProgressBar() {
  const progress = useCoam((s) => s.progress);
  if (!progress) return null;
  const label = `${STAGE_LABEL[progress.stage] ?? progress.stage}${progress.fraction > 0 && progress.fraction < 1 ? ` ${Math.round(progress.fraction * 100)}%` : '…'}`;
  return (
    <div className="progress" data-testid="progress">
      <progress max={1} value={progress.fraction > 0 ? progress.fraction : undefined} aria-label={label} />
      <span>{label}</span>
    </div>
  );
}

export function BackendBadge() {
  const model = useCoam((s) => s.model);
  if (model.status === 'idle' || (model.status === 'loading' && !model.backend)) {
    return <span className="badge pending" data-testid="backend">loading model…</span>;
  }
  if (!model.backend) return <span className="badge error" data-testid="backend">no model</span>;
  const name = model.backend === 'webgpu' ? 'WebGPU' : 'WASM';
  return (
    <span className="backend" data-testid="backend-wrap">
      <span className={`badge ${model.backend}`} data-testid="backend" title={model.label}>
        {name}
        {model.backend === 'wasm' && model.threads > 1 ? ` ×${model.threads} threads` : ''}
      </span>
      {model.fallbackReason && (
        <span className="fallback" data-testid="backend-reason">
          {model.fallbackReason}
        </span>
      )}
    </span>
  );
}

export function Timings() {
  const t = useCoam((s) => s.result?.timings);
  const view = useCoam((s) => s.result?.view);
  const loadMs = useCoam((s) => s.model.loadMs);
  const fetchMs = useCoam((s) => s.model.fetchMs);
  const geometry = useCoam((s) => currentGeometry(s));
  return (
    <span className="timings" data-testid="timings">
      {loadMs > 0 && (
        <span title="reading the model, then starting the runtime and compiling the session">
          model load {ms(loadMs)}
          {fetchMs !== undefined ? ` (read ${ms(fetchMs)}, compile ${ms(loadMs - fetchMs)})` : ''}
        </span>
      )}
      {t && (
        <>
          {t.encodeMs !== undefined && <span title="each image through the encoder once; the passes are then the conditioned decoder">encode {ms(t.encodeMs)}</span>}
          <span>pass A|B {ms(t.passABMs)}</span>
          <span>pass B|A {ms(t.passBAMs)}</span>
          <span>matching {ms(t.matchMs)}</span>
          {t.searchMs !== undefined && view && (
            <span data-testid="search" title={`${view.tried} views were tried (B turned and at other sizes, or finer, because the upright matches did not hold together, or as the search mode asks); ${view.inliers} of the kept view's top matches fit one homography`}>
              search {ms(t.searchMs)}: {describeKeptView(view)}
            </span>
          )}
          <span>total {ms(t.totalMs)}</span>
        </>
      )}
      {geometry && <span>RANSAC {ms(geometry.ms)}</span>}
    </span>
  );
}

/**
 * Both panes on screen: what the colours mean for either (each caption has its own counts).
 * `coamLines` false: CoAM's pane shows the co-attention, so only the classic matcher's lines are meant.
 */
function PanesLegend({ coamLines }: { coamLines: boolean }) {
  const ransac = useCoam((s) => s.ransac);
  const name = useBaseline(classicName);
  if (ransac !== 'off') {
    return (
      <div className="legend" data-testid="legend">
        <span className="swatch" style={{ background: rgb(INLIER_RGB) }} /> fits the {ransac}
        <span className="swatch" style={{ background: rgb(OUTLIER_RGB) }} /> does not
      </div>
    );
  }
  return (
    <div className="legend" data-testid="legend">
      <span className="muted">score, low</span>
      <span className="ramp" style={{ background: rampCss() }} aria-hidden="true" />
      <span className="muted">high ({coamLines ? 'CoAM: similarity × distinctiveness A × B; ' : ''}{name}: 1 − ratio)</span>
    </div>
  );
}

export function Legend() {
  const range = useCoam(useShallow((s) => scoreRange(s.result)));
  const geometry = useCoam((s) => currentGeometry(s));
  const k = useCoam((s) => shownCount(s));
  const attention = useCoam((s) => s.view === 'attention');
  const show = useBaseline(figureShow);
  // The attention view draws the co-attention on CoAM's pane; beside it, the classic matcher's lines keep their legend.
  if (attention) return show === 'coam' ? <AttentionLegend /> : <><AttentionLegend /><PanesLegend coamLines={false} /></>;
  if (show !== 'coam') return <PanesLegend coamLines />;
  if (!range) return null;
  if (geometry) {
    const ratio = k ? ((100 * geometry.inlierCount) / k).toFixed(0) : '0';
    return (
      <div className="legend" data-testid="legend">
        <span className="swatch" style={{ background: rgb(INLIER_RGB) }} /> {geometry.inlierCount} inliers ({ratio}%)
        <span className="swatch" style={{ background: rgb(OUTLIER_RGB) }} /> {k - geometry.inlierCount} outliers
        <span className="muted">{geometry.kind}{geometry.matrix ? '' : ' (no model found)'}</span>
      </div>
    );
  }
  return (
    <div className="legend" data-testid="legend">
      <span className="muted">score</span>
      <span>{range[0].toPrecision(3)}</span>
      <span className="ramp" style={{ background: rampCss() }} aria-hidden="true" />
      <span>{range[1].toPrecision(3)}</span>
      <span className="muted">similarity × distinctiveness A × B</span>
    </div>
  );
}

/** What the inspect heatmap shows, in words. */
export function InspectInfo() {
  const text = useCoam((s) => {
    const insp = inspection(s);
    if (!insp || !s.inspect || !s.result) return null;
    const [x, y] = s.inspect.xy.map(Math.round);
    const other = insp.slot === 'A' ? 'B' : 'A';
    const head = `${s.inspect.pinned ? 'Pinned' : 'Inspecting'} ${insp.slot} (${x}, ${y}): most similar in ${other} ${insp.best.similarity.toFixed(2)}`;
    if (insp.matchIndex < 0) return `${head}; no match among those shown`;
    const m = s.result.matches[insp.matchIndex];
    return `${head}; match #${insp.matchIndex + 1}, score ${m.score.toPrecision(3)}, ratio ${m.ratio.toFixed(2)}`;
  });
  if (!text) return null;
  return (
    <span className="inspect-info" data-testid="inspect">
      {text}
    </span>
  );
}

/** Pair vs self conditioning, once both have run on these images. */
export function ConditioningCompare() {
  const c = useCoam(useShallow((s) => {
    const r = conditioningComparison(s);
    return r ? [r.pair.matches, r.pair.inliers ?? -1, r.self.matches, r.self.inliers ?? -1] : null;
  }));
  if (!c) return null;
  const part = (m: number, i: number) => `${m} matches${i >= 0 ? `, ${i} inliers` : ''}`;
  return (
    <span className="compare" data-testid="conditioning-compare">
      conditioned on the other image: {part(c[0], c[1])} · on itself: {part(c[2], c[3])}
    </span>
  );
}
