/** Settings and actions: Top-K, layout, heatmap, RANSAC, conditioning, ratio test, model, exports, embedding. */
import { useState } from 'react';
import { useCoam } from '../state/store';
import { runBlocker, totalCount } from '../state/derived';
import { setBlend, setHeatmap, setK, setLayout, setPresentation, setRansac } from '../state/actions';
import { loadModelFiles, rerun, setConditioning, setLongSide, setMaxRatio, setSearch } from '../state/controller';
import { exportComparisonPng, exportComparisonSvg, exportCsv, exportJson, exportPng, exportSvg } from '../state/exports';
import { buildShareUrl, iframeSnippet } from '../state/url-params';
import { useBaseline } from '../state/baseline';
import { BaselineToggle, ShowChoice } from './Baseline';
import { AttentionControls } from './Attention';
import type { HeatmapMode, Layout, RansacMode } from '../state/store';
import type { MatchOverlay } from '../render/overlay';
import type { SearchMode } from '../core/views';
import { DEFAULT_MATCH_OPTIONS, type Conditioning } from '../core/types';

/** The ratio test's thresholds on offer (1: off); a URL may set another. */
const SEARCH_TITLE =
  'Auto: the upright view alone when its matches fit one homography (or, for a 3-D scene, one epipolar geometry). ' +
  'Otherwise B is tried at each quarter turn at half size; the turn that matches clearly more is run at full size, ' +
  'then either image at half size, until one view holds together; only if none does, finer views (1.6x the network input, a 4x zoom either way). ' +
  'Full search: every turn and size when the upright matches fail the homography check, then the finer views for every pair (about ten times slower). ' +
  'Always: every view. Off: the upright view only. The view whose matches fit one homography best is kept.';

const RATIO_CHOICES = [1, 0.95, 0.9, 0.85, 0.8, 0.7];

export function TopK() {
  const k = useCoam((s) => s.k);
  const total = useCoam((s) => totalCount(s));
  const max = Math.max(1, total || 2000);
  return (
    <div className="topk">
      <label htmlFor="topk-range">Top-K</label>
      <input
        id="topk-range"
        type="range"
        min={0}
        max={max}
        step={1}
        value={Math.min(k, max)}
        onChange={(e) => setK(Number(e.currentTarget.value))}
      />
      <input
        type="number"
        aria-label="Matches to show"
        min={0}
        max={max}
        value={k}
        onChange={(e) => setK(Number(e.currentTarget.value))}
      />
    </div>
  );
}

function Select<T extends string>(props: { label: string; value: T; options: Array<[T, string]>; onChange: (v: T) => void; title?: string }) {
  return (
    <label className="select" title={props.title}>
      <span>{props.label}</span>
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as T)}>
        {props.options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** `overlay`: the figure on screen, which the PNG and SVG exports draw from. */
export function Controls({ overlay }: { overlay: MatchOverlay | null }) {
  const layout = useCoam((s) => s.layout);
  const heatmap = useCoam((s) => s.heatmap);
  const ransac = useCoam((s) => s.ransac);
  const blend = useCoam((s) => s.blend);
  const conditioning = useCoam((s) => s.conditioning);
  const search = useCoam((s) => s.search);
  const hasResult = useCoam((s) => !!s.result);
  const baselineOn = useBaseline((b) => b.enabled);
  const baselineShown = useBaseline((b) => b.status === 'done' && !!b.shown);
  const rerunBlocker = useCoam(runBlocker);
  const longSide = useCoam((s) => s.longSide);
  const maxRatio = useCoam((s) => s.maxRatio);
  const modelLongSide = useCoam((s) => s.model.info?.inputSize.longSide);
  const [copied, setCopied] = useState<string | null>(null);

  const copySnippet = async () => {
    const s = useCoam.getState();
    const url = buildShareUrl(location.href, {
      a: s.images.A?.shareRef,
      b: s.images.B?.shareRef,
      k: s.k,
      layout: s.layout,
      heatmap: s.heatmap,
      ransac: s.ransac,
      conditioning: s.conditioning,
      search: s.search,
      ratio: s.maxRatio,
      longSide: s.longSide,
      baseline: useBaseline.getState().enabled,
      show: useBaseline.getState().show,
      ...(s.view === 'attention' ? { view: s.view, attention: s.attentionQuery ?? undefined, level: s.attentionLevel ?? undefined } : {}),
      embed: true,
    });
    const snippet = iframeSnippet(url);
    try {
      await navigator.clipboard.writeText(snippet);
      setCopied(snippet);
    } catch {
      setCopied(snippet);
    }
  };

  return (
    <section className="controls" aria-label="Settings">
      <TopK />
      <Select<Layout> label="Layout" value={layout} onChange={setLayout} options={[['auto', 'auto'], ['side', 'side by side'], ['stacked', 'stacked']]} />
      <Select<HeatmapMode> label="Heatmap" value={heatmap} onChange={setHeatmap} options={[['off', 'off'], ['distinctiveness', 'distinctiveness']]} />
      <AttentionControls />
      <Select<RansacMode> label="RANSAC" value={ransac} onChange={setRansac} options={[['off', 'off'], ['homography', 'homography'], ['fundamental', 'fundamental']]} />
      {ransac === 'homography' && (
        <label className="select">
          <span>Warp A onto B</span>
          <input type="range" min={0} max={1} step={0.05} value={blend} onChange={(e) => setBlend(Number(e.currentTarget.value))} aria-label="Warp blend" />
        </label>
      )}
      <Select<Conditioning>
        label="Conditioning"
        value={conditioning}
        onChange={setConditioning}
        options={[['pair', 'on the other image'], ['self', 'on itself']]}
      />
      <Select<SearchMode>
        label="Turns & zoom"
        value={search}
        onChange={setSearch}
        title={SEARCH_TITLE}
        options={[['auto', 'auto'], ['full', 'full search'], ['always', 'always try all'], ['off', 'off']]}
      />
      <Select<string>
        label="Ratio test"
        value={String(maxRatio)}
        onChange={(v) => setMaxRatio(Number(v))}
        title="Keep a match only when its descriptor distance is at most this fraction of the distance to the best other place in the other image (Lowe's ratio test, both ways); off keeps every mutual nearest neighbour. Re-runs."
        options={[
          ...RATIO_CHOICES.map((v): [string, string] => [String(v), v === 1 ? 'off' : `${v}${v === DEFAULT_MATCH_OPTIONS.maxRatio ? ' (default)' : ''}`]),
          ...(!RATIO_CHOICES.includes(maxRatio) ? [[String(maxRatio), String(maxRatio)] as [string, string]] : []),
        ]}
      />
      <Select<string>
        label="Network input"
        value={longSide === null ? 'model' : String(longSide)}
        onChange={(v) => setLongSide(v === 'model' ? null : Number(v))}
        options={[
          ['model', `model default${modelLongSide ? ` (${modelLongSide} px)` : ''}`],
          ...(['256', '320', '480', '640', '800', '1024'] as const).map((v): [string, string] => [v, `${v} px`]),
          ...(longSide !== null && ![256, 320, 480, 640, 800, 1024].includes(longSide) ? [[String(longSide), `${longSide} px`] as [string, string]] : []),
        ]}
      />
      <BaselineToggle />
      <ShowChoice />
      <button type="button" onClick={rerun} disabled={rerunBlocker !== null} title={rerunBlocker ?? 'Re-run (space)'}>
        Re-run
      </button>
      <label className="file-button">
        <span>Load model…</span>
        <input
          type="file"
          accept=".onnx,.json"
          multiple
          aria-label="Load model (.onnx, optional .json sidecar)"
          onChange={(e) => {
            const files = Array.from(e.currentTarget.files ?? []);
            if (files.length) void loadModelFiles(files);
            e.currentTarget.value = '';
          }}
        />
      </label>
      <span className="export" role="group" aria-label="Export">
        <button type="button" disabled={!hasResult} onClick={() => void exportPng(overlay)}>PNG</button>
        <button type="button" disabled={!hasResult} onClick={() => exportSvg(overlay)}>SVG</button>
        <button type="button" disabled={!hasResult} onClick={exportJson}>JSON</button>
        <button type="button" disabled={!hasResult} onClick={exportCsv}>CSV</button>
        {baselineOn && (
          <>
            <button type="button" disabled={!hasResult || !baselineShown} onClick={() => void exportComparisonPng()} title="CoAM beside the classic matcher on one 1920×1080 slide">Comparison PNG</button>
            <button type="button" disabled={!hasResult || !baselineShown} onClick={exportComparisonSvg} title="CoAM beside the classic matcher on one 1920×1080 slide">Comparison SVG</button>
          </>
        )}
      </span>
      <button type="button" onClick={() => void copySnippet()}>Copy iframe snippet</button>
      <button type="button" onClick={() => setPresentation(true)}>Present</button>
      {copied && (
        <div className="snippet">
          <label>
            Snippet (copied to the clipboard if allowed)
            <textarea readOnly value={copied} rows={2} onFocus={(e) => e.currentTarget.select()} />
          </label>
          <button type="button" onClick={() => setCopied(null)} aria-label="Close snippet">×</button>
        </div>
      )}
    </section>
  );
}
