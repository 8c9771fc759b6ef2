/**
 * Hosts the three.js overlays: CoAM's figure and, while the classic matcher is on, its figure of
 * the same pair (alone, or both panes, CoAM's first). Each pushes store changes to its overlay;
 * pointer input is `usePanZoomPick` (picking, and the attention view's points, on CoAM's pane
 * only); the two panes pan and zoom as one.
 */
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { linkViews, MatchOverlay } from '../render/overlay';
import { attentionRgba, heatmapRgba, matchColors } from '../render/colormap';
import { paneSplit, type PaneSplit } from '../render/layout';
import { useCoam, type CoamState } from '../state/store';
import { useBaseline, type BaselineState } from '../state/baseline';
import {
  attentionCaption,
  classicCaption,
  classicFit,
  classicName,
  classicShownCount,
  coamCaption,
  currentGeometry,
  effectiveLayout,
  figureShow,
  figureSize,
  inspection,
  matchArrays,
  shownAttention,
  shownCount,
  type Inspection,
  type ShownAttention,
} from '../state/derived';
import type { Slot } from '../core/types';
import { usePanZoomPick } from './usePanZoomPick';

/** Both images and the layout, when they changed (both panes show the same pair). */
function syncImages(o: MatchOverlay, s: CoamState, prev: CoamState | null): void {
  const layout = effectiveLayout(s);
  if (!prev || s.images !== prev.images || layout !== effectiveLayout(prev)) {
    const img = (slot: Slot) => {
      const e = s.images[slot];
      return e && e.status !== 'error' && e.width > 0 ? { bitmap: e.bitmap, width: e.width, height: e.height } : null;
    };
    o.setImages(img('A'), img('B'), layout);
  }
}

/** Thicker strokes where the figure is projected. */
function syncStroke(o: MatchOverlay, s: CoamState, prev: CoamState | null): void {
  if (!prev || s.presentation !== prev.presentation || s.embed !== prev.embed) {
    if (s.presentation) o.setStroke(3, 7);
    else if (s.embed) o.setStroke(2, 5);
    else o.setStroke(1.5, 4);
  }
}

/** Pushes the parts of the state that changed to the overlay. */
function sync(o: MatchOverlay, s: CoamState, prev: CoamState | null, mem: { insp: Inspection | null; att: ShownAttention | null }): void {
  syncImages(o, s, prev);
  const geometry = currentGeometry(s);
  const prevGeometry = prev ? currentGeometry(prev) : null;
  if (!prev || s.result !== prev.result || geometry !== prevGeometry) {
    const arrays = s.result ? matchArrays(s.result) : { pairs: new Float32Array(0), scores: new Float32Array(0) };
    const colors = matchColors(arrays.scores, geometry?.inliers ?? null);
    if (!prev || s.result !== prev.result) o.setMatches(arrays.pairs, colors);
    else o.setColors(colors);
  }
  syncStroke(o, s, prev);
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
 * The classic matcher's lines on the same pair: all of them uploaded once, top-K a draw range,
 * green/red once its RANSAC verdicts for this K are in (the score ramp until then), as CoAM's.
 */
function syncClassic(o: MatchOverlay, s: CoamState, b: BaselineState, prev: { s: CoamState; b: BaselineState } | null): void {
  syncImages(o, s, prev?.s ?? null);
  syncStroke(o, s, prev?.s ?? null);
  const fit = classicFit(s, b);
  const flags = fit?.flags ?? null;
  if (!prev || b.lines !== prev.b.lines || flags !== (classicFit(prev.s, prev.b)?.flags ?? null)) {
    const lines = b.lines ?? { pairs: new Float32Array(0), scores: new Float32Array(0) };
    const colors = matchColors(lines.scores, flags);
    if (!prev || b.lines !== prev.b.lines) o.setMatches(lines.pairs, colors);
    else o.setColors(colors);
  }
  const k = classicShownCount(s, b);
  if (!prev || b.lines !== prev.b.lines || k !== classicShownCount(prev.s, prev.b)) o.setCount(k);
}

/** A MatchOverlay on the canvas for as long as it is mounted, kept at the canvas's size; `connect` keeps it in step and returns its disconnect. */
function useOverlay(canvasRef: RefObject<HTMLCanvasElement | null>, connect: (o: MatchOverlay) => () => void): MatchOverlay | null {
  const [overlay, setOverlay] = useState<MatchOverlay | null>(null);
  useEffect(() => {
    const o = new MatchOverlay(canvasRef.current!);
    o.resize();
    const disconnect = connect(o);
    const ro = new ResizeObserver(() => o.resize());
    ro.observe(o.canvas);
    setOverlay(o);
    return () => {
      disconnect();
      ro.disconnect();
      setOverlay(null);
      o.dispose();
    };
    // One overlay per mounted canvas; `connect` reads the stores itself, so it is not a dependency.
  }, []);
  return overlay;
}

/** Tells `onOverlay` of the overlay as it comes and goes. */
function useReport(overlay: MatchOverlay | null, onOverlay?: (overlay: MatchOverlay | null) => void): void {
  useEffect(() => {
    if (!overlay) return;
    onOverlay?.(overlay);
    return () => onOverlay?.(null);
  }, [overlay, onOverlay]);
}

/** `focusable`: the figure takes the keyboard (the attention view's point moves with the arrows). */
function Canvas({ canvasRef, overlay, label, testId, focusable = false }: { canvasRef: RefObject<HTMLCanvasElement | null>; overlay: MatchOverlay | null; label: string; testId: string; focusable?: boolean }) {
  return (
    <div className="viewer">
      <canvas ref={canvasRef} className="viewer-canvas" aria-label={label} role="img" data-testid={testId} tabIndex={focusable ? 0 : undefined} />
      <button type="button" className="fit-button" onClick={() => overlay?.fit()} title="Fit the figure (double-click)">
        Fit
      </button>
    </div>
  );
}

/**
 * CoAM's figure: creates its overlay, keeps it in step with the store and the canvas size, and tells
 * `onOverlay` of it as it comes and goes (the exports draw from it).
 */
export function Viewer({ label, onOverlay }: { label: string; onOverlay?: (overlay: MatchOverlay | null) => void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const overlay = useOverlay(canvasRef, (o) => {
    const mem = { insp: null as Inspection | null, att: null as ShownAttention | null };
    sync(o, useCoam.getState(), null, mem);
    return useCoam.subscribe((s, prev) => sync(o, s, prev, mem));
  });
  useReport(overlay, onOverlay);
  usePanZoomPick(overlay);
  return <Canvas canvasRef={canvasRef} overlay={overlay} label={label} testId="overlay" focusable />;
}

/** The classic matcher's figure of the same pair: pan and zoom, no picking. */
function ClassicViewer({ onOverlay }: { onOverlay?: (overlay: MatchOverlay | null) => void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const name = useBaseline(classicName);
  const overlay = useOverlay(canvasRef, (o) => {
    let prev = { s: useCoam.getState(), b: useBaseline.getState() };
    syncClassic(o, prev.s, prev.b, null);
    const update = () => {
      const next = { s: useCoam.getState(), b: useBaseline.getState() };
      syncClassic(o, next.s, next.b, prev);
      prev = next;
    };
    const offCoam = useCoam.subscribe(update);
    const offBaseline = useBaseline.subscribe(update);
    return () => {
      offCoam();
      offBaseline();
    };
  });
  useReport(overlay, onOverlay);
  usePanZoomPick(overlay, false);
  return <Canvas canvasRef={canvasRef} overlay={overlay} label={`The classic matcher's (${name}) matches between image A and image B`} testId="classic-overlay" />;
}

/** CoAM's counts, or in the attention view what its pane shows (the co-attention at the point). */
function CoamCaption() {
  const text = useCoam((s) => (s.view === 'attention' ? attentionCaption(s) : coamCaption(s)));
  return (
    <div className="pane-caption" data-testid="caption-coam">
      {text}
    </div>
  );
}

function ClassicCaption() {
  const b = useBaseline();
  const text = useCoam((s) => classicCaption(s, b));
  return (
    <div className="pane-caption" data-testid="caption-classic">
      {text}
    </div>
  );
}

/** Caption height in css px (app.css's .pane-caption), given up by each pane when choosing the split. */
const CAPTION_PX = 26;

/** The stage's size in css px, as it changes. */
function useSize(ref: RefObject<HTMLElement | null>): { width: number; height: number } {
  const [size, setSize] = useState({ width: 16, height: 9 });
  useEffect(() => {
    const el = ref.current!;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

/**
 * The figure: CoAM's pane, and while the classic matcher is on, what `show` asks for — its pane
 * alone, or both (one above the other for a wide pair, side by side for a tall one, whichever draws
 * the pair larger), each with a caption of its counts. The attention view draws on CoAM's pane
 * (never hidden while it is on); the classic matcher's pane keeps its lines beside it.
 */
export function Figure({ onOverlay, onClassicOverlay }: { onOverlay?: (o: MatchOverlay | null) => void; onClassicOverlay?: (o: MatchOverlay | null) => void }) {
  const show = useBaseline(figureShow);
  const attention = useCoam((s) => s.view === 'attention');
  const figureWidth = useCoam((s) => figureSize(s)?.width ?? 4);
  const figureHeight = useCoam((s) => figureSize(s)?.height ?? 3);
  const ref = useRef<HTMLDivElement>(null);
  const stage = useSize(ref);
  const split: PaneSplit = paneSplit({ width: figureWidth, height: figureHeight }, stage, CAPTION_PX);
  const [coam, setCoam] = useState<MatchOverlay | null>(null);
  const [classic, setClassic] = useState<MatchOverlay | null>(null);
  const attachCoam = useCallback(
    (o: MatchOverlay | null) => {
      setCoam(o);
      onOverlay?.(o);
    },
    [onOverlay],
  );
  const attachClassic = useCallback(
    (o: MatchOverlay | null) => {
      setClassic(o);
      onClassicOverlay?.(o);
    },
    [onClassicOverlay],
  );
  useEffect(() => (coam && classic ? linkViews(coam, classic) : undefined), [coam, classic]);
  return (
    <div className={`panes ${split}`} data-show={show} ref={ref}>
      <section className={`pane ${show === 'classic' ? 'hidden' : ''}`} aria-label={attention ? "CoAM's co-attention" : "CoAM's matches"}>
        {show !== 'coam' && <CoamCaption />}
        <div className="pane-figure">
          <Viewer label="Matches between image A and image B" onOverlay={attachCoam} />
        </div>
      </section>
      {show !== 'coam' && (
        <section className="pane" aria-label="The classic matcher's matches">
          <ClassicCaption />
          <div className="pane-figure">
            <ClassicViewer onOverlay={attachClassic} />
          </div>
        </section>
      )}
    </div>
  );
}
