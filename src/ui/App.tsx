/** The page: inputs and settings around the figure; `embed=1` shows the figure and its status only. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MatchOverlay } from '../render/overlay';
import { useCoam } from '../state/store';
import { setPresentation } from '../state/actions';
import { Inputs } from './Inputs';
import { Controls, TopK } from './Controls';
import { Figure } from './Viewer';
import { Notices } from './Notices';
import { BackendBadge, ConditioningCompare, InspectInfo, Legend, ProgressBar, StatusText, Timings } from './Status';
import { useGlobalInput } from './useGlobalInput';
import { BaselineCount, ShowChoice } from './Baseline';
import { useBaseline } from '../state/baseline';
import { figureShow } from '../state/derived';

/** Shown over the empty figure: what to do first. */
function EmptyHint() {
  const empty = useCoam((s) => !s.images.A && !s.images.B);
  if (!empty) return null;
  return (
    <div className="empty-hint" aria-hidden="true">
      <p>Drop two photos anywhere on the page, paste one, or pick a sample pair.</p>
      <p className="muted">Everything runs in this browser tab; no image is uploaded.</p>
    </div>
  );
}

/** `compact`: the embed's one line over the figure; beside both panes it sits below them and leaves the counts to their captions. */
function StatusStrip({ compact }: { compact: boolean }) {
  const panes = useBaseline(figureShow) !== 'coam';
  return (
    <footer className={`strip ${compact ? 'compact' : ''} ${panes ? 'below-panes' : ''}`}>
      <StatusText />
      <ProgressBar />
      <Legend />
      <InspectInfo />
      <ConditioningCompare />
      {!(compact && panes) && <BaselineCount />}
      {!compact && <BackendBadge />}
      {!compact && <Timings />}
    </footer>
  );
}

/**
 * `onOverlay`, `onClassicOverlay`: told of CoAM's overlay and the classic matcher's as they come and
 * go (the debug hook's frame count and drawn lines).
 */
export function App({ onOverlay, onClassicOverlay }: { onOverlay?: (overlay: MatchOverlay | null) => void; onClassicOverlay?: (overlay: MatchOverlay | null) => void }) {
  const embed = useCoam((s) => s.embed);
  const presentation = useCoam((s) => s.presentation);
  const rootRef = useRef<HTMLDivElement>(null);
  // The figure the exports draw from: the viewer owns it, the controls' export buttons read it.
  const [overlay, setOverlay] = useState<MatchOverlay | null>(null);
  const attachOverlay = useCallback(
    (o: MatchOverlay | null) => {
      setOverlay(o);
      onOverlay?.(o);
    },
    [onOverlay],
  );
  useGlobalInput();

  // Presentation mode: full screen while it lasts; leaving full screen (Esc) leaves the mode.
  useEffect(() => {
    const root = rootRef.current;
    if (!root) return;
    if (presentation && !document.fullscreenElement) root.requestFullscreen?.().catch(() => undefined);
    if (!presentation && document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    const onChange = () => {
      if (!document.fullscreenElement && useCoam.getState().presentation) setPresentation(false);
    };
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, [presentation]);

  if (embed) {
    return (
      <div className="app embed" ref={rootRef} data-mode="embed">
        <main className="stage">
          <Figure onOverlay={attachOverlay} onClassicOverlay={onClassicOverlay} />
          <Notices overlay />
        </main>
        <StatusStrip compact />
      </div>
    );
  }
  return (
    <div className={`app ${presentation ? 'presentation' : ''}`} ref={rootRef} data-mode={presentation ? 'presentation' : 'full'}>
      {!presentation && (
        <header className="top">
          <h1>
            CoAM <span className="muted">co-attention matching, in your browser</span>
          </h1>
          <span className="muted">images never leave your browser</span>
        </header>
      )}
      {!presentation && <Inputs />}
      {!presentation && <Controls overlay={overlay} />}
      {presentation && (
        <div className="present-bar">
          <TopK />
          <ShowChoice />
          <span className="muted">←/→ K · h heatmap · r RANSAC · c CoAM/classic/both · s swap · space re-run · Esc exit</span>
          <button type="button" onClick={() => setPresentation(false)}>Exit</button>
        </div>
      )}
      <Notices />
      <main className="stage">
        <Figure onOverlay={attachOverlay} onClassicOverlay={onClassicOverlay} />
        <EmptyHint />
      </main>
      <StatusStrip compact={false} />
    </div>
  );
}
