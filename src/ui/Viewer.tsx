/** Hosts the three.js overlay and forwards pointer input; pushes store changes to the overlay. */
import { useEffect, useRef } from 'react';
import { MatchOverlay } from '../render/overlay';
import { heatmapRgba, matchColors } from '../render/colormap';
import { setCurrentOverlay } from '../render/current';
import { useCoam, type CoamState } from '../state/store';
import { currentGeometry, effectiveLayout, inspection, matchArrays, shownCount, type Inspection } from '../state/derived';
import type { Slot } from '../core/types';

/** Pushes the parts of the state that changed to the overlay. */
function sync(o: MatchOverlay, s: CoamState, prev: CoamState | null, mem: { insp: Inspection | null }): void {
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
  const insp = inspection(s);
  const prevInsp = mem.insp;
  mem.insp = insp;
  if (!prev || s.heatmap !== prev.heatmap || s.result !== prev.result || insp !== prevInsp) {
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

export function Viewer({ label }: { label: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<MatchOverlay | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current!;
    const overlay = new MatchOverlay(canvas);
    overlayRef.current = overlay;
    setCurrentOverlay(overlay);
    overlay.onFrame = () => {
      const d = (window as unknown as { __coamDebug?: { frames: number; lastFrameAt: number } }).__coamDebug;
      if (d) {
        d.frames++;
        d.lastFrameAt = performance.now();
      }
    };
    overlay.resize();
    const mem = { insp: null as Inspection | null };
    sync(overlay, useCoam.getState(), null, mem);
    const unsubscribe = useCoam.subscribe((s, prev) => sync(overlay, s, prev, mem));
    const ro = new ResizeObserver(() => overlay.resize());
    ro.observe(canvas);

    // Pointer: drag pans, wheel or two-finger pinch zooms about the cursor/fingers, hover inspects,
    // click pins, double-click fits.
    let down: { x: number; y: number; moved: boolean } | null = null;
    let hoverFrame = 0;
    const touches = new Map<number, { x: number; y: number }>();
    let pinch: { dist: number; x: number; y: number } | null = null;
    const pinchOf = () => {
      const [p, q] = [...touches.values()];
      return { dist: Math.max(1, Math.hypot(p.x - q.x, p.y - q.y)), x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 };
    };
    const onDown = (e: PointerEvent) => {
      canvas.setPointerCapture(e.pointerId);
      touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (touches.size === 2) {
        pinch = pinchOf();
        down = null; // a pinch is neither a pan nor a click
        return;
      }
      down = touches.size === 1 ? { x: e.clientX, y: e.clientY, moved: false } : null;
    };
    const onMove = (e: PointerEvent) => {
      if (touches.has(e.pointerId)) touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (pinch && touches.size === 2) {
        const next = pinchOf();
        overlay.zoomAt(next.x, next.y, next.dist / pinch.dist);
        overlay.panBy(next.x - pinch.x, next.y - pinch.y);
        pinch = next;
        return;
      }
      if (down && e.buttons) {
        const dx = e.clientX - down.x;
        const dy = e.clientY - down.y;
        if (down.moved || Math.hypot(dx, dy) > 3) {
          down.moved = true;
          overlay.panBy(dx, dy);
          down.x = e.clientX;
          down.y = e.clientY;
        }
        return;
      }
      if (touches.size > 0) return;
      const { inspect, result } = useCoam.getState();
      if (inspect?.pinned || !result) return;
      const { clientX, clientY } = e;
      cancelAnimationFrame(hoverFrame);
      hoverFrame = requestAnimationFrame(() => {
        const hit = overlay.pick(clientX, clientY);
        useCoam.setState({ inspect: hit ? { slot: hit.slot, xy: hit.xy, pinned: false } : null });
      });
    };
    const onUp = (e: PointerEvent) => {
      touches.delete(e.pointerId);
      if (pinch) {
        if (touches.size < 2) pinch = null;
        return; // lifting a finger after a pinch does not click
      }
      const click = down && !down.moved;
      down = null;
      if (!click || !useCoam.getState().result) return;
      const hit = overlay.pick(e.clientX, e.clientY);
      const cur = useCoam.getState().inspect;
      useCoam.setState({ inspect: hit && !cur?.pinned ? { slot: hit.slot, xy: hit.xy, pinned: true } : null });
    };
    const onCancel = (e: PointerEvent) => {
      touches.delete(e.pointerId);
      if (touches.size < 2) pinch = null;
      down = null;
    };
    const onLeave = () => {
      cancelAnimationFrame(hoverFrame);
      if (!useCoam.getState().inspect?.pinned) useCoam.setState({ inspect: null });
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      overlay.zoomAt(e.clientX, e.clientY, Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)));
    };
    const onDbl = () => overlay.fit();
    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('pointercancel', onCancel);
    canvas.addEventListener('pointerleave', onLeave);
    canvas.addEventListener('wheel', onWheel, { passive: false });
    canvas.addEventListener('dblclick', onDbl);
    return () => {
      unsubscribe();
      ro.disconnect();
      cancelAnimationFrame(hoverFrame);
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerup', onUp);
      canvas.removeEventListener('pointercancel', onCancel);
      canvas.removeEventListener('pointerleave', onLeave);
      canvas.removeEventListener('wheel', onWheel);
      canvas.removeEventListener('dblclick', onDbl);
      setCurrentOverlay(null);
      overlay.dispose();
      overlayRef.current = null;
    };
  }, []);

  return (
    <div className="viewer">
      <canvas ref={canvasRef} className="viewer-canvas" aria-label={label} role="img" data-testid="overlay" />
      <button type="button" className="fit-button" onClick={() => overlayRef.current?.fit()} title="Fit the figure (double-click)">
        Fit
      </button>
    </div>
  );
}
