/**
 * Pointer input on the figure: drag pans, the wheel or a two-finger pinch zooms, hover inspects,
 * click pins, double-click fits. In the attention view a click (or Enter on the focused figure)
 * asks for the co-attention at that point, and the arrow keys move the point by one cell.
 */
import { useEffect } from 'react';
import type { MatchOverlay } from '../render/overlay';
import { useCoam } from '../state/store';
import { queryAttention } from '../state/controller';
import { attentionLevelName } from '../state/derived';
import { levelStride } from '../core/attention';

/**
 * Wires the overlay's canvas to the pointer: pans and zooms the overlay's camera, and sets the
 * store's `inspect` from what `overlay.pick` finds under the pointer (a hover follows it, a click
 * pins it). Nothing while there is no overlay. `pick` false: pan and zoom only (the classic
 * matcher's pane; inspecting is CoAM's descriptors, and the attention view's points CoAM's
 * co-attention, so both are asked on CoAM's pane).
 */
export function usePanZoomPick(overlay: MatchOverlay | null, pick = true): void {
  useEffect(() => {
    if (!overlay) return;
    const canvas = overlay.canvas;
    // Zoom is about the cursor, or the fingers' midpoint.
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
      if (touches.size > 0 || !pick) return;
      const { inspect, result, view } = useCoam.getState();
      if (inspect?.pinned || !result || view === 'attention') return;
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
      if (!click || !pick || !useCoam.getState().result) return;
      const hit = overlay.pick(e.clientX, e.clientY);
      if (useCoam.getState().view === 'attention') {
        if (hit) queryAttention(hit.slot, hit.xy);
        return;
      }
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
      if (pick && !useCoam.getState().inspect?.pinned) useCoam.setState({ inspect: null });
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      overlay.zoomAt(e.clientX, e.clientY, Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)));
    };
    const onDbl = () => overlay.fit();
    // The keyboard's point in the attention view: Enter asks at it (A's centre at first), the
    // arrows move it by one cell of the level drawn (and keep their page-wide meaning elsewhere).
    const onKey = (e: KeyboardEvent) => {
      const s = useCoam.getState();
      if (!pick || s.view !== 'attention' || !s.result || e.ctrlKey || e.metaKey || e.altKey) return;
      const q = s.attentionQuery;
      const steps: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (e.key === 'Enter') {
        const a = s.images.A;
        if (q) queryAttention(q.from, q.xy);
        else if (a) queryAttention('A', [a.width / 2, a.height / 2]);
      } else if (e.key in steps && q) {
        const prep = q.from === 'A' ? s.result.preparedA : s.result.preparedB;
        const cell = (levelStride(attentionLevelName(s) ?? '') ?? 16) / Math.min(prep.scaleX, prep.scaleY);
        const [dx, dy] = steps[e.key];
        queryAttention(q.from, [q.xy[0] + dx * cell, q.xy[1] + dy * cell]);
      } else return;
      e.preventDefault();
      e.stopPropagation();
    };
    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('pointercancel', onCancel);
    canvas.addEventListener('pointerleave', onLeave);
    canvas.addEventListener('wheel', onWheel, { passive: false });
    canvas.addEventListener('dblclick', onDbl);
    canvas.addEventListener('keydown', onKey);
    return () => {
      canvas.removeEventListener('keydown', onKey);
      cancelAnimationFrame(hoverFrame);
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerup', onUp);
      canvas.removeEventListener('pointercancel', onCancel);
      canvas.removeEventListener('pointerleave', onLeave);
      canvas.removeEventListener('wheel', onWheel);
      canvas.removeEventListener('dblclick', onDbl);
    };
  }, [overlay, pick]);
}
