/** Hosts the three.js overlay: pushes store changes to it; pointer input is `usePanZoomPick`. */
import { useEffect, useRef, useState } from 'react';
import { MatchOverlay } from '../render/overlay';
import { attentionRgba, heatmapRgba, matchColors } from '../render/colormap';
import { useCoam, type CoamState } from '../state/store';
import { currentGeometry, effectiveLayout, inspection, matchArrays, shownAttention, shownCount, type Inspection, type ShownAttention } from '../state/derived';
import type { Slot } from '../core/types';
import { usePanZoomPick } from './usePanZoomPick';

/** Pushes the parts of the state that changed to the overlay. */
function sync(o: MatchOverlay, s: CoamState, prev: CoamState | null, mem: { insp: Inspection | null; att: ShownAttention | null }): void {
  const layout = effectiveLayout(s);
  if (!prev || s.images !== prev.images || layout !== effectiveLayout(prev)) {
    const img = (slot: Slot) => {
      const e = s.images[slot];
      return e && e.status !== 'error' && e.width > 0 ? { bitmap: e.bitmap, width: e.width, height: e.height } : null;
    };
    o.setImages(img('A'), img('B'), layout);
  }
  const geometry = currentGeometry(s);
  const prevGeometry = prev ? currentGeometry(prev) : null;
  if (!prev || s.result !== prev.result || geometry !== prevGeometry) {
    const arrays = s.result ? matchArrays(s.result) : { pairs: new Float32Array(0), scores: new Float32Array(0) };
    const colors = matchColors(arrays.scores, geometry?.inliers ?? null);
    if (!prev || s.result !== prev.result) o.setMatches(arrays.pairs, colors);
    else o.setColors(colors);
  }
  if (!prev || s.presentation !== prev.presentation || s.embed !== prev.embed) {
    // Thicker strokes where the figure is projected.
    if (s.presentation) o.setStroke(3, 7);
    else if (s.embed) o.setStroke(2, 5);
    else o.setStroke(1.5, 4);
  }
  const k = shownCount(s);
  if (!prev || k !== shownCount(prev) || s.result !== prev.result) o.setCount(k);
  if (!prev || geometry !== prevGeometry || s.blend !== prev.blend || s.images !== prev.images) {
    o.setWarp(geometry?.kind === 'homography' ? geometry.matrix : null, s.blend);
  }
  if (!prev || s.view !== prev.view) o.setLinesVisible(s.view !== 'attention', s.view !== 'attention');
  if (s.view === 'attention') {
    // The co-attention at the queried point: the heatmap over the other image, the point, rings at the peaks.
    const att = shownAttention(s);
    const changed = att !== mem.att || !prev || prev.view !== 'attention' || s.result !== prev.result;
    mem.att = att;
    mem.insp = null;
    if (!changed) return;
    for (const slot of ['A', 'B'] as const) {
      o.setHeatmap(slot, att && att.to === slot ? { rgba: attentionRgba(att.level.weights), width: att.level.gridWidth, height: att.level.gridHeight } : null);
    }
    const q = s.attentionQuery;
    o.setMarkers(q && s.result ? [{ slot: q.from, xy: q.xy }] : [], false);
    // The point itself is ringed too, smaller, so it reads on a busy photo.
    const rings = att ? att.peaks.map((p) => ({ slot: att.to, xy: p.xy, radius: att.ringRadius })) : [];
    if (att && q) rings.push({ slot: q.from, xy: q.xy, radius: att.ringRadius / 2 });
    o.setRings(rings);
    return;
  }
  if (mem.att || (prev && prev.view === 'attention')) {
    mem.att = null;
    o.setRings([]);
  }
  const insp = inspection(s);
  const prevInsp = mem.insp;
  mem.insp = insp;
  if (!prev || prev.view !== s.view || s.heatmap !== prev.heatmap || s.result !== prev.result || insp !== prevInsp) {
    for (const slot of ['A', 'B'] as const) {
      const dense = s.result ? (slot === 'A' ? s.result.denseA : s.result.denseB) : null;
      if (insp && insp.slot !== slot && dense) {
        o.setHeatmap(slot, { rgba: heatmapRgba(insp.similarity, 'minmax', 0.75), width: dense.gridWidth, height: dense.gridHeight });
      } else if (s.heatmap === 'distinctiveness' && dense) {
        o.setHeatmap(slot, { rgba: heatmapRgba(dense.distinctiveness, 'unit', 0.7), width: dense.gridWidth, height: dense.gridHeight });
      } else o.setHeatmap(slot, null);
    }
    const marks: Array<{ slot: Slot; xy: [number, number] }> = [];
    let connect = false;
    if (s.inspect && insp) {
      if (insp.matchIndex >= 0 && s.result) {
        // The cell has a match among those shown: mark both ends and join them.
        const m = s.result.matches[insp.matchIndex];
        marks.push({ slot: 'A', xy: m.xyA }, { slot: 'B', xy: m.xyB });
        connect = true;
      } else {
        // No match: mark the point and where the other image is most similar.
        marks.push({ slot: s.inspect.slot, xy: s.inspect.xy }, { slot: insp.slot === 'A' ? 'B' : 'A', xy: insp.best.xy });
      }
    }
    o.setMarkers(marks, connect);
  }
}

/**
 * Hosts the overlay: creates it on its canvas, keeps it in step with the store and the canvas size,
 * and tells `onOverlay` of it as it comes and goes (the exports draw from it).
 */
export function Viewer({ label, onOverlay }: { label: string; onOverlay?: (overlay: MatchOverlay | null) => void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [overlay, setOverlay] = useState<MatchOverlay | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current!;
    const o = new MatchOverlay(canvas);
    o.resize();
    const mem = { insp: null as Inspection | null, att: null as ShownAttention | null };
    sync(o, useCoam.getState(), null, mem);
    const unsubscribe = useCoam.subscribe((s, prev) => sync(o, s, prev, mem));
    const ro = new ResizeObserver(() => o.resize());
    ro.observe(canvas);
    setOverlay(o);
    return () => {
      unsubscribe();
      ro.disconnect();
      setOverlay(null);
      o.dispose();
    };
  }, []);

  useEffect(() => {
    if (!overlay) return;
    onOverlay?.(overlay);
    return () => onOverlay?.(null);
  }, [overlay, onOverlay]);

  usePanZoomPick(overlay);

  return (
    <div className="viewer">
      <canvas ref={canvasRef} className="viewer-canvas" aria-label={label} role="img" data-testid="overlay" tabIndex={0} />
      <button type="button" className="fit-button" onClick={() => overlay?.fit()} title="Fit the figure (double-click)">
        Fit
      </button>
    </div>
  );
}
