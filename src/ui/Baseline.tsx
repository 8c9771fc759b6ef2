/**
 * The classic matcher beside CoAM: a toggle that loads it (lazily, in its own worker) and its own
 * "N matches" in the strip, counted with CoAM's top-K and RANSAC settings.
 */
import { setBaselineEnabled, useBaseline } from '../state/baseline';
import { useCoam } from '../state/store';

export function BaselineToggle() {
  const enabled = useBaseline((b) => b.enabled);
  return (
    <label className="select" title="Also match the pair with a classic detector from OpenCV's WebAssembly build (SIFT, or AKAZE where the build has none; about 11 MB, loaded on first use), at the same input size, with the same ratio test, top-K and RANSAC, and show its counts beside CoAM's.">
      <span>Classic matcher</span>
      <input type="checkbox" checked={enabled} onChange={(e) => setBaselineEnabled(e.currentTarget.checked)} aria-label="Classic matcher beside CoAM" />
    </label>
  );
}

export function BaselineCount() {
  const b = useBaseline();
  const ransac = useCoam((s) => s.ransac);
  if (!b.enabled) return null;
  const name = (b.ran ?? b.detector).toUpperCase();
  let text: string;
  if (b.status === 'waiting') text = `${name}: waiting for two images`;
  else if (b.status === 'loading') text = `${name}: loading OpenCV…`;
  else if (b.status === 'running') text = `${name}: matching…`;
  else if (b.status === 'error') text = `${name}: ${b.error ?? 'failed'}`;
  else if (!b.counts) text = `${name}: ${b.total} matches`;
  else {
    const inliers = b.counts.ransac === 'off' ? '' : b.counts.inliers === null ? ` · no ${ransac} found` : ` · ${b.counts.inliers} inliers`;
    text = `${name}: ${b.counts.shown} matches shown of ${b.counts.total}${inliers} · ${b.ms.toFixed(0)} ms`;
  }
  return (
    <span className="compare" data-testid="baseline" title={[b.openCv ? `OpenCV.js ${b.openCv}` : '', b.fallbackReason ?? ''].filter(Boolean).join('; ')}>
      {text}
      {b.status === 'done' && b.fallbackReason && <span className="muted"> (no SIFT in this OpenCV.js build)</span>}
    </span>
  );
}
