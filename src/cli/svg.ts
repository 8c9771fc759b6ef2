/**
 * The match figure: both images side by side (embedded as data URIs) with one line per match,
 * coloured by score (viridis: dark purple = low, yellow = high). Best matches are drawn last, on top.
 */
import { encode as encodePng } from 'fast-png';
import { exifOrientation, sniffFormat } from '../core/image';
import type { Point, RasterImage } from '../core/types';

export interface FigureImage {
  raster: RasterImage;
  /** The file's bytes: embedded as-is when the browser shows them the same way (JPEG/PNG, no EXIF rotation). */
  bytes?: Uint8Array;
  label?: string;
}

const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const c = VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The image as a data: URL: its own bytes where the browser shows them as decoded, else a PNG of the raster. */
export function dataUri(img: FigureImage): string {
  const b = img.bytes;
  if (b) {
    const fmt = sniffFormat(b);
    if (fmt === 'png') return `data:image/png;base64,${toBase64(b)}`;
    if (fmt === 'jpeg' && exifOrientation(b) === 1) return `data:image/jpeg;base64,${toBase64(b)}`;
  }
  const { width, height, data } = img.raster;
  const png = encodePng({ width, height, channels: 4, depth: 8, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  return `data:image/png;base64,${toBase64(png)}`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function matchFigureSvg(
  a: FigureImage,
  b: FigureImage,
  matches: ReadonlyArray<{ xyA: Point; xyB: Point; score: number }>,
  options: { title?: string; height?: number } = {},
): string {
  const H = options.height ?? Math.min(720, Math.max(a.raster.height, b.raster.height));
  const sA = H / a.raster.height;
  const sB = H / b.raster.height;
  const wA = a.raster.width * sA;
  const wB = b.raster.width * sB;
  const gap = Math.round(H * 0.02);
  const top = 28;
  const W = Math.ceil(wA + gap + wB);
  const total = Math.ceil(H + top);
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of matches) {
    lo = Math.min(lo, m.score);
    hi = Math.max(hi, m.score);
  }
  const span = hi > lo ? hi - lo : 1;
  const stroke = Math.max(0.6, (1.4 * H) / 720);
  const f = (v: number) => v.toFixed(2);
  const lines: string[] = [];
  // Worst first, so the best end up on top.
  for (let i = matches.length - 1; i >= 0; i--) {
    const m = matches[i];
    const x1 = (m.xyA[0] + 0.5) * sA;
    const y1 = top + (m.xyA[1] + 0.5) * sA;
    const x2 = wA + gap + (m.xyB[0] + 0.5) * sB;
    const y2 = top + (m.xyB[1] + 0.5) * sB;
    const c = viridis((m.score - lo) / span);
    lines.push(`<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}" stroke="${c}"/>`);
    lines.push(`<circle cx="${f(x1)}" cy="${f(y1)}" r="${f(stroke * 1.2)}" fill="${c}"/><circle cx="${f(x2)}" cy="${f(y2)}" r="${f(stroke * 1.2)}" fill="${c}"/>`);
  }
  const title =
    options.title ??
    `${matches.length} matches, colour = score (purple ${Number.isFinite(lo) ? lo.toPrecision(4) : '–'} → yellow ${Number.isFinite(hi) ? hi.toPrecision(4) : '–'})`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${total}" viewBox="0 0 ${W} ${total}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="4" y="19" font-family="sans-serif" font-size="15" fill="#222">${esc(title)}</text>`,
    `<image x="0" y="${top}" width="${f(wA)}" height="${f(H)}" preserveAspectRatio="none" href="${dataUri(a)}"><title>${esc(a.label ?? 'A')}</title></image>`,
    `<image x="${f(wA + gap)}" y="${top}" width="${f(wB)}" height="${f(H)}" preserveAspectRatio="none" href="${dataUri(b)}"><title>${esc(b.label ?? 'B')}</title></image>`,
    `<g stroke-width="${f(stroke)}" stroke-opacity="0.85" fill-opacity="0.9">`,
    ...lines,
    `</g>`,
    `</svg>`,
    '',
  ].join('\n');
}
