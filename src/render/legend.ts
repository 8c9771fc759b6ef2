/**
 * The legend strip under an exported figure (PNG and SVG), so a slide says what the colours mean:
 * the score ramp with its range, or RANSAC's inliers and outliers. Text only in the system's
 * sans-serif font (nothing is downloaded).
 */
import { RAMP, INLIER_RGB, OUTLIER_RGB } from './colormap';

export type LegendSpec =
  | { kind: 'score'; shown: number; total: number; lo: number; hi: number }
  | { kind: 'inliers'; shown: number; total: number; inliers: number; model: string }
  /** The attention view: the point of `from` whose weights over `to` are drawn, at one level. */
  | { kind: 'attention'; from: 'A' | 'B'; to: 'A' | 'B'; xy: [number, number]; level: string; stride: number; max: number; peaks: number };

export interface LegendBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Strip height for a figure of this width (same units): proportional, so the text fits on one line. */
export function legendHeight(figureWidth: number): number {
  return Math.max(22, Math.round(figureWidth * 0.028));
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const INK = '#222222';
const MUTED = '#666666';
const css = ([r, g, b]: readonly [number, number, number]) => `rgb(${Math.round(r * 255)}, ${Math.round(g * 255)}, ${Math.round(b * 255)})`;

/** One run of the strip: text (ink or muted), a colour swatch, or the score ramp. */
type Piece = { text: string; muted?: boolean } | { swatch: readonly [number, number, number] } | { ramp: true };

export function legendPieces(spec: LegendSpec): Piece[] {
  if (spec.kind === 'attention') {
    const [x, y] = spec.xy.map(Math.round);
    return [
      { text: `CoAM co-attention, level ${spec.level} (1/${spec.stride}): ${spec.from} (${x}, ${y}) over ${spec.to} · weight 0` },
      { ramp: true },
      { text: spec.max.toPrecision(2) },
      { text: `(square-root scale) · rings: the ${spec.peaks} strongest positions`, muted: true },
    ];
  }
  const count = `${spec.shown} of ${spec.total} matches`;
  if (spec.kind === 'inliers') {
    const pct = spec.shown ? Math.round((100 * spec.inliers) / spec.shown) : 0;
    return [
      { text: `CoAM · ${count} · RANSAC ${spec.model}:` },
      { swatch: INLIER_RGB },
      { text: `${spec.inliers} inliers (${pct}%)` },
      { swatch: OUTLIER_RGB },
      { text: `${spec.shown - spec.inliers} outliers` },
    ];
  }
  return [
    { text: `CoAM · ${count} · score` },
    { text: spec.lo.toPrecision(3) },
    { ramp: true },
    { text: spec.hi.toPrecision(3) },
    { text: '(similarity × distinctiveness A × B)', muted: true },
  ];
}

interface Metrics {
  pad: number;
  gap: number;
  font: number;
  swatch: number;
  ramp: number;
}

function metrics(box: LegendBox): Metrics {
  const font = Math.round(box.height * 0.45);
  return { pad: box.height * 0.4, gap: font * 0.5, font, swatch: font * 0.8, ramp: font * 6 };
}

/** Draws the strip with a 2D context (the PNG export). */
export function drawLegend(ctx: CanvasRenderingContext2D, spec: LegendSpec, box: LegendBox): void {
  const m = metrics(box);
  ctx.save();
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(box.x, box.y, box.width, box.height);
  ctx.font = `${m.font}px ${FONT}`;
  ctx.textBaseline = 'middle';
  const cy = box.y + box.height / 2;
  let x = box.x + m.pad;
  for (const p of legendPieces(spec)) {
    if ('text' in p) {
      ctx.fillStyle = p.muted ? MUTED : INK;
      ctx.fillText(p.text, x, cy);
      x += ctx.measureText(p.text).width;
    } else if ('swatch' in p) {
      ctx.fillStyle = css(p.swatch);
      ctx.fillRect(x, cy - m.swatch / 2, m.swatch, m.swatch);
      x += m.swatch;
    } else {
      const g = ctx.createLinearGradient(x, 0, x + m.ramp, 0);
      RAMP.forEach((c, i) => g.addColorStop(i / (RAMP.length - 1), css(c)));
      ctx.fillStyle = g;
      ctx.fillRect(x, cy - m.swatch / 2, m.ramp, m.swatch);
      x += m.ramp;
    }
    x += m.gap;
  }
  ctx.restore();
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The strip as SVG elements. Text widths are not measurable here, so each piece is laid out with
 * an estimate (0.55 em per character) and long text may sit a little loose; it never overlaps.
 */
export function legendSvg(spec: LegendSpec, box: LegendBox): string {
  const m = metrics(box);
  const cy = box.y + box.height / 2;
  const f = (v: number) => v.toFixed(1);
  const out = [`<g font-family='${FONT}' font-size="${m.font}">`, `<rect x="${f(box.x)}" y="${f(box.y)}" width="${f(box.width)}" height="${f(box.height)}" fill="#ffffff"/>`];
  const stops = RAMP.map((c, i) => `<stop offset="${((i / (RAMP.length - 1)) * 100).toFixed(0)}%" stop-color="${css(c)}"/>`).join('');
  out.push(`<defs><linearGradient id="coam-ramp">${stops}</linearGradient></defs>`);
  let x = box.x + m.pad;
  for (const p of legendPieces(spec)) {
    if ('text' in p) {
      out.push(`<text x="${f(x)}" y="${f(cy)}" dominant-baseline="middle" fill="${p.muted ? MUTED : INK}">${esc(p.text)}</text>`);
      x += p.text.length * m.font * 0.55;
    } else if ('swatch' in p) {
      out.push(`<rect x="${f(x)}" y="${f(cy - m.swatch / 2)}" width="${f(m.swatch)}" height="${f(m.swatch)}" fill="${css(p.swatch)}"/>`);
      x += m.swatch;
    } else {
      out.push(`<rect x="${f(x)}" y="${f(cy - m.swatch / 2)}" width="${f(m.ramp)}" height="${f(m.swatch)}" fill="url(#coam-ramp)"/>`);
      x += m.ramp;
    }
    x += m.gap;
  }
  out.push('</g>');
  return out.join('\n');
}
