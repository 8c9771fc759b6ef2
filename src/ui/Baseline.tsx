/**
 * The classic matcher beside CoAM: a toggle that loads it (lazily, in its own worker), what the
 * figure shows while it is on (CoAM, the classic matcher, or both panes), and its own "N matches"
 * in the strip, counted with CoAM's top-K and RANSAC settings.
 */
import { setBaselineEnabled, setShow, useBaseline } from '../state/baseline';
import { classicName, classicStatusText } from '../state/derived';
import { useCoam, type FigureShow } from '../state/store';

export function BaselineToggle() {
  const enabled = useBaseline((b) => b.enabled);
  return (
    <label className="select" title="Also match the pair with a classic detector from OpenCV's WebAssembly build (SIFT, or AKAZE where the build has none; about 11 MB, loaded on first use), at the same input size, with the same ratio test, top-K and RANSAC, and show its counts beside CoAM's.">
      <span>Classic matcher</span>
      <input type="checkbox" checked={enabled} onChange={(e) => setBaselineEnabled(e.currentTarget.checked)} aria-label="Classic matcher beside CoAM" />
    </label>
  );
}

/** CoAM's lines, the classic matcher's, or both (c cycles); only while the classic matcher is on. */
export function ShowChoice() {
  const enabled = useBaseline((b) => b.enabled);
  const show = useBaseline((b) => b.show);
  const name = useBaseline(classicName);
  const attention = useCoam((s) => s.view === 'attention');
  if (!enabled) return null;
  return (
    <label className="select" title="What the figure shows: CoAM's matches, the classic matcher's, or both, one above the other (c cycles). Both follow the same top-K and RANSAC.">
      <span>Show</span>
      <select value={show} onChange={(e) => setShow(e.currentTarget.value as FigureShow)} aria-label="Show in the figure">
        <option value="coam">CoAM</option>
        <option value="classic" disabled={attention} title={attention ? "The attention view draws on CoAM's pane: shown beside the classic matcher's (Both)" : undefined}>
          Classic ({name})
        </option>
        <option value="compare">Both (compare)</option>
      </select>
    </label>
  );
}

export function BaselineCount() {
  const b = useBaseline();
  const text = useCoam((s) => (b.enabled ? classicStatusText(s, b) : ''));
  if (!b.enabled) return null;
  return (
    <span className="compare" data-testid="baseline" title={[b.openCv ? `OpenCV.js ${b.openCv}` : '', b.fallbackReason ?? ''].filter(Boolean).join('; ')}>
      {text}
      {b.status === 'done' && b.fallbackReason && <span className="muted"> (no SIFT in this OpenCV.js build)</span>}
    </span>
  );
}
