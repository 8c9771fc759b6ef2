/** The attention view's controls (the toggle, the level switch) and its legend in the strip. */
import { useShallow } from 'zustand/react/shallow';
import { useCoam } from '../state/store';
import { attentionLevelName, attentionUnavailable, shownAttention } from '../state/derived';
import { setAttentionLevel, setView } from '../state/controller';
import { levelStride } from '../core/attention';
import { rampCss } from '../render/colormap';

/** "s16 (1/16)": a level and the share of the fed size its grid has. */
export const levelLabel = (level: string) => `${level} (1/${levelStride(level) ?? '?'})`;

export function AttentionControls() {
  const on = useCoam((s) => s.view === 'attention');
  const unavailable = useCoam(attentionUnavailable);
  const levels = useCoam(useShallow((s) => s.model.attentionLevels ?? []));
  const level = useCoam(attentionLevelName);
  return (
    <span className="attention-controls" role="group" aria-label="Attention view">
      <button
        type="button"
        aria-pressed={on}
        disabled={unavailable !== null}
        title={unavailable ?? 'Where the network looked: click a point of A for its co-attention over B (click B for the reverse)'}
        data-testid="attention-toggle"
        onClick={() => setView(on ? 'matches' : 'attention')}
      >
        Attention
      </button>
      {on &&
        levels.map((l) => (
          <button key={l} type="button" aria-pressed={l === level} data-testid={`attention-level-${l}`} onClick={() => setAttentionLevel(l)} title={`The co-attention at stride ${levelStride(l)}`}>
            {levelLabel(l)}
          </button>
        ))}
    </span>
  );
}

/** The strip's legend in the attention view: what is drawn, the weight ramp and its range. */
export function AttentionLegend() {
  const view = useCoam(
    useShallow((s) => {
      if (s.view !== 'attention') return null;
      const att = shownAttention(s);
      if (!att) return { text: s.attentionQuery ? 'Attention: computing…' : 'Attention: click a point of A (or of B) to see where the network looked', max: -1, ms: -1 };
      const [x, y] = att.xy.map(Math.round);
      let max = 0;
      for (const v of att.level.weights) max = Math.max(max, v);
      return { text: `Attention of ${att.from} (${x}, ${y}) over ${att.to} · level ${levelLabel(att.level.level)}`, max, ms: s.attention?.ms ?? -1 };
    }),
  );
  if (!view) return null;
  return (
    <div className="legend" data-testid="attention-legend">
      <span>{view.text}</span>
      {view.max >= 0 && (
        <>
          <span className="muted">weight</span>
          <span>0</span>
          <span className="ramp" style={{ background: rampCss() }} aria-hidden="true" />
          <span>{view.max.toPrecision(2)}</span>
          <span className="muted">(square-root scale) · rings: the 3 strongest positions</span>
          {view.ms >= 0 && <span className="muted">{Math.round(view.ms)} ms</span>}
        </>
      )}
    </div>
  );
}
