/** The figure as SVG: both images (embedded) and the shown match lines, in figure units. */
import { figurePositions, type FigureLayout } from './layout';
import { legendHeight, legendSvg, type LegendSpec } from './legend';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const hex = (c: Float32Array, i: number) =>
  '#' + [c[i], c[i + 1], c[i + 2]].map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255).toString(16).padStart(2, '0')).join('');

export function figureSvg(opts: {
  layout: FigureLayout;
  /** data: URLs of the display images (or null when absent). */
  hrefA: string | null;
  hrefB: string | null;
  pairs: Float32Array;
  colors: Float32Array;
  count: number;
  title?: string;
  /** A strip under the figure saying what the colours mean. */
  legend?: LegendSpec | null;
  /** A heatmap over one image (a data: URL of its grid, stretched over the image, smoothed). */
  heatmap?: { slot: 'A' | 'B'; href: string } | null;
  /** Points (a white dot ringed in black) and rings (white over black), in original pixels of their image. */
  marks?: Array<{ slot: 'A' | 'B'; xy: [number, number] }>;
  rings?: Array<{ slot: 'A' | 'B'; xy: [number, number]; radius: number }>;
}): string {
  const { layout: L, pairs, colors } = opts;
  const strip = opts.legend ? legendHeight(L.width) : 0;
  const n = Math.min(opts.count, pairs.length / 4);
  const pos = figurePositions(pairs.subarray(0, n * 4), L);
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${f(L.width)}" height="${f(L.height + strip)}" viewBox="0 0 ${f(L.width)} ${f(L.height + strip)}">`,
    `<title>${esc(opts.title ?? 'CoAM matches')}</title>`,
  ];
  for (const [p, href] of [
    [L.a, opts.hrefA],
    [L.b, opts.hrefB],
  ] as const) {
    if (href) parts.push(`<image x="${f(p.x)}" y="${f(p.y)}" width="${f(p.width)}" height="${f(p.height)}" preserveAspectRatio="none" href="${esc(href)}"/>`);
  }
  if (opts.heatmap) {
    const p = opts.heatmap.slot === 'A' ? L.a : L.b;
    parts.push(`<image x="${f(p.x)}" y="${f(p.y)}" width="${f(p.width)}" height="${f(p.height)}" preserveAspectRatio="none" href="${esc(opts.heatmap.href)}"/>`);
  }
  parts.push('<g stroke-width="1.2" stroke-opacity="0.85" fill-opacity="0.9">');
  for (let i = 0; i < n; i++) {
    const c = hex(colors, i * 3);
    const [xa, ya, xb, yb] = [pos[i * 4], pos[i * 4 + 1], pos[i * 4 + 2], pos[i * 4 + 3]];
    parts.push(`<line x1="${f(xa)}" y1="${f(ya)}" x2="${f(xb)}" y2="${f(yb)}" stroke="${c}"/>`);
    parts.push(`<circle cx="${f(xa)}" cy="${f(ya)}" r="2" fill="${c}"/><circle cx="${f(xb)}" cy="${f(yb)}" r="2" fill="${c}"/>`);
  }
  parts.push('</g>');
  const at = (slot: 'A' | 'B', xy: [number, number]): [number, number, number] => {
    const p = slot === 'A' ? L.a : L.b;
    return [p.x + (xy[0] + 0.5) * p.scale, p.y + (xy[1] + 0.5) * p.scale, p.scale];
  };
  // Strokes in figure units sized from the figure, so they read the same at any export size.
  const stroke = Math.max(1.5, L.width / 500);
  for (const r of opts.rings ?? []) {
    const [cx, cy, scale] = at(r.slot, r.xy);
    const rad = f(r.radius * scale);
    parts.push(`<circle cx="${f(cx)}" cy="${f(cy)}" r="${rad}" fill="none" stroke="#000000" stroke-width="${f(stroke * 2)}"/>`);
    parts.push(`<circle cx="${f(cx)}" cy="${f(cy)}" r="${rad}" fill="none" stroke="#ffffff" stroke-width="${f(stroke)}"/>`);
  }
  for (const m of opts.marks ?? []) {
    const [cx, cy] = at(m.slot, m.xy);
    parts.push(`<circle cx="${f(cx)}" cy="${f(cy)}" r="${f(stroke * 3)}" fill="#ffffff" stroke="#000000" stroke-width="${f(stroke)}"/>`);
  }
  if (opts.legend) parts.push(legendSvg(opts.legend, { x: 0, y: L.height, width: L.width, height: strip }));
  parts.push('</svg>');
  return parts.join('\n');
}
