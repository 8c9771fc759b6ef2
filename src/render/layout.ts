/** Where each image sits in the figure: offsets and scales from original pixels to figure units. */
export interface Placement {
  x: number;
  y: number;
  /** figure units per original pixel */
  scale: number;
  width: number;
  height: number;
}

export interface FigureLayout {
  a: Placement;
  b: Placement;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Side by side: both shown at the same height; stacked: at the same width. A small gap between. */
export function figureLayout(a: Size, b: Size, mode: 'side' | 'stacked'): FigureLayout {
  if (mode === 'side') {
    const h = Math.max(a.height, b.height, 1);
    const sa = h / Math.max(1, a.height);
    const sb = h / Math.max(1, b.height);
    const gap = Math.round(h * 0.02);
    const pa: Placement = { x: 0, y: 0, scale: sa, width: a.width * sa, height: h };
    const pb: Placement = { x: pa.width + gap, y: 0, scale: sb, width: b.width * sb, height: h };
    return { a: pa, b: pb, width: pb.x + pb.width, height: h };
  }
  const w = Math.max(a.width, b.width, 1);
  const sa = w / Math.max(1, a.width);
  const sb = w / Math.max(1, b.width);
  const gap = Math.round(w * 0.02);
  const pa: Placement = { x: 0, y: 0, scale: sa, width: w, height: a.height * sa };
  const pb: Placement = { x: 0, y: pa.height + gap, scale: sb, width: w, height: b.height * sb };
  return { a: pa, b: pb, width: w, height: pb.y + pb.height };
}

/** Match endpoints (original pixels, [xA, yA, xB, yB] per match) → figure units. */
export function figurePositions(pairs: Float32Array, layout: FigureLayout): Float32Array {
  const out = new Float32Array(pairs.length);
  const { a, b } = layout;
  for (let i = 0; i < pairs.length; i += 4) {
    out[i] = a.x + (pairs[i] + 0.5) * a.scale;
    out[i + 1] = a.y + (pairs[i + 1] + 0.5) * a.scale;
    out[i + 2] = b.x + (pairs[i + 2] + 0.5) * b.scale;
    out[i + 3] = b.y + (pairs[i + 3] + 0.5) * b.scale;
  }
  return out;
}

/** Two panes of one stage: one above the other, or side by side. */
export type PaneSplit = 'rows' | 'columns';

/**
 * How two views of the same figure share a stage: one above the other ('rows') or side by side
 * ('columns'), whichever draws the figure larger once each pane has given `captionHeight` css px to
 * its caption. A wide pair (side by side) stacks its two views; a tall one puts them side by side.
 */
export function paneSplit(figure: Size, stage: Size, captionHeight = 0): PaneSplit {
  const fw = Math.max(1, figure.width);
  const fh = Math.max(1, figure.height);
  const fitted = (w: number, h: number) => Math.min(w / fw, Math.max(0, h - captionHeight) / fh);
  return fitted(stage.width / 2, stage.height) > fitted(stage.width, stage.height / 2) ? 'columns' : 'rows';
}
