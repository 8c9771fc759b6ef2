/** Exports of the current figure (PNG 2x, SVG) and of the shown matches (JSON, CSV). */
import { matchesToCsv, toMatchesFile } from '../core/pipeline';
import type { MatchOverlay } from '../render/overlay';
import { figureSvg } from '../render/svg';
import { compareFigureSvg } from '../render/compare-figure';
import { useBaseline } from './baseline';
import { attentionRgba, matchColors } from '../render/colormap';
import { drawLegend, legendHeight, type LegendSpec } from '../render/legend';
import { currentGeometry, matchArrays, scoreRange, shownAttention, shownCount, ATTENTION_PEAKS } from './derived';
import { notify, useCoam } from './store';

export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function baseName(): string {
  const { images } = useCoam.getState();
  const clean = (s: string | undefined) => (s ?? 'image').replace(/\.[a-z0-9]+$/i, '').replace(/[^a-z0-9_-]+/gi, '_').slice(0, 40);
  return `coam_${clean(images.A?.name)}__${clean(images.B?.name)}`;
}

/** The shown prefix as a MatchesFile (the format `coam match --json` writes). */
export function matchesFileOfShown() {
  const s = useCoam.getState();
  if (!s.result) return null;
  const k = shownCount(s);
  const shown = { ...s.result, matches: s.result.matches.slice(0, k) };
  return toMatchesFile(shown, {
    pathA: s.images.A?.name,
    pathB: s.images.B?.name,
    model: s.model.info ? { name: s.model.info.name, version: s.model.info.version } : undefined,
    longSide: s.longSide ?? s.model.info?.inputSize.longSide,
  });
}

export function exportJson(): void {
  const file = matchesFileOfShown();
  if (!file) return;
  download(new Blob([JSON.stringify(file, null, 1)], { type: 'application/json' }), `${baseName()}.json`);
}

export function exportCsv(): void {
  const s = useCoam.getState();
  if (!s.result) return;
  download(new Blob([matchesToCsv(s.result.matches.slice(0, shownCount(s)))], { type: 'text/csv' }), `${baseName()}.csv`);
}

/** What the exported figure's colours mean, as the legend under the app's figure says. */
export function legendOfShown(): LegendSpec | null {
  const s = useCoam.getState();
  if (s.view === 'attention') {
    const att = shownAttention(s);
    if (!att) return null;
    let max = 0;
    for (const v of att.level.weights) max = Math.max(max, v);
    return { kind: 'attention', from: att.from, to: att.to, xy: att.xy, level: att.level.level, stride: att.level.stride, max, peaks: ATTENTION_PEAKS };
  }
  const range = scoreRange(s.result);
  if (!s.result || !range) return null;
  const shown = shownCount(s);
  const total = s.result.matches.length;
  const g = currentGeometry(s);
  if (g) return { kind: 'inliers', shown, total, inliers: g.inlierCount, model: g.matrix ? g.kind : `${g.kind} (no model found)` };
  return { kind: 'score', shown, total, lo: range[0], hi: range[1] };
}

/** The figure's PNG with the legend strip under it. */
async function withLegend(figure: Blob, legend: LegendSpec): Promise<Blob> {
  const bitmap = await createImageBitmap(figure);
  const { width, height } = bitmap;
  const strip = legendHeight(width);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height + strip;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas to draw the legend on');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  drawLegend(ctx, legend, { x: 0, y: height, width, height: strip });
  const blob = await new Promise<Blob | null>((res) => canvas.toBlob(res, 'image/png'));
  if (!blob) throw new Error('The figure could not be encoded as PNG.');
  return blob;
}

/** The figure on screen at 2x, with the legend strip; nothing without a figure. */
export async function exportPng(overlay: MatchOverlay | null): Promise<void> {
  if (!overlay) return;
  try {
    const figure = await overlay.exportPng(2);
    const legend = legendOfShown();
    download(legend ? await withLegend(figure, legend) : figure, `${baseName()}${useCoam.getState().view === 'attention' ? '_attention' : ''}.png`);
  } catch (e) {
    notify('error', `PNG export failed: ${(e as Error).message}`);
  }
}

/** An RGBA grid as a PNG data: URL (the SVG's heatmap; the viewer smooths it as the app does). */
function gridDataUrl(rgba: Uint8Array, width: number, height: number): string {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return c.toDataURL('image/png');
}

function bitmapDataUrl(bitmap: ImageBitmap | null): string | null {
  if (!bitmap) return null;
  const c = document.createElement('canvas');
  c.width = bitmap.width;
  c.height = bitmap.height;
  c.getContext('2d')!.drawImage(bitmap, 0, 0);
  return c.toDataURL('image/jpeg', 0.9);
}

/** The figure's layout as SVG: the images embedded, the shown match lines, the legend. */
export function exportSvg(overlay: MatchOverlay | null): void {
  const s = useCoam.getState();
  const layout = overlay?.figure;
  if (!s.result || !layout) return;
  const att = s.view === 'attention' ? shownAttention(s) : null;
  const { pairs, scores } = matchArrays(s.result);
  const geometry = currentGeometry(s);
  const svg = figureSvg({
    ...(s.view === 'attention'
      ? {
          heatmap: att ? { slot: att.to, href: gridDataUrl(attentionRgba(att.level.weights), att.level.gridWidth, att.level.gridHeight) } : null,
          marks: s.attentionQuery ? [{ slot: s.attentionQuery.from, xy: s.attentionQuery.xy }] : [],
          rings: att ? att.peaks.map((p) => ({ slot: att.to, xy: p.xy, radius: att.ringRadius })) : [],
        }
      : {}),
    layout,
    hrefA: bitmapDataUrl(s.images.A?.bitmap ?? null),
    hrefB: bitmapDataUrl(s.images.B?.bitmap ?? null),
    pairs,
    colors: matchColors(scores, geometry?.inliers ?? null),
    count: s.view === 'attention' ? 0 : shownCount(s),
    title: s.view === 'attention' ? `CoAM co-attention: ${s.images.A?.name ?? 'A'} / ${s.images.B?.name ?? 'B'}` : `CoAM matches: ${s.images.A?.name ?? 'A'} / ${s.images.B?.name ?? 'B'}`,
    legend: legendOfShown(),
  });
  download(new Blob([svg], { type: 'image/svg+xml' }), `${baseName()}${s.view === 'attention' ? '_attention' : ''}.svg`);
}

/** The comparison slide's size: 16:9, the SVG's own and the PNG's. */
export const COMPARISON_SIZE = { width: 1920, height: 1080 } as const;

/**
 * CoAM beside the classic matcher as one slide (SVG), or null until both have counted the same
 * top-K under the same RANSAC.
 */
export function comparisonSvg(): string | null {
  const s = useCoam.getState();
  const b = useBaseline.getState();
  const A = s.images.A;
  const B = s.images.B;
  if (!s.result || !A || !B || b.status !== 'done' || !b.counts || !b.shown) return null;
  const k = shownCount(s);
  if (b.counts.k !== s.k || b.counts.ransac !== s.ransac) return null;
  const g = currentGeometry(s);
  if (s.ransac !== 'off' && !g) return null;
  const fed = (p: { width: number; height: number }): [number, number] => [p.width, p.height];
  const name = (b.ran ?? b.detector).toUpperCase();
  return compareFigureSvg({
    imageA: { width: A.width, height: A.height, href: bitmapDataUrl(A.bitmap ?? null) },
    imageB: { width: B.width, height: B.height, href: bitmapDataUrl(B.bitmap ?? null) },
    coam: {
      name: 'CoAM',
      matches: s.result.matches.slice(0, k),
      total: s.result.matches.length,
      inlierFlags: g ? g.inliers : null,
      fedA: fed(s.result.preparedA),
      fedB: fed(s.result.preparedB),
    },
    baseline: { name, matches: b.shown.matches, total: b.counts.total, inlierFlags: b.shown.inlierFlags, fedA: b.shown.fedA, fedB: b.shown.fedB },
    ransac: s.ransac,
    ...COMPARISON_SIZE,
    title: `CoAM beside ${name}: ${A.name ?? 'A'} / ${B.name ?? 'B'}`,
  });
}

export function exportComparisonSvg(): void {
  const svg = comparisonSvg();
  if (!svg) return void notify('error', 'The comparison needs both matchers counted at the same top-K and RANSAC; wait for the classic matcher.');
  download(new Blob([svg], { type: 'image/svg+xml' }), `${baseName()}_comparison.svg`);
}

/** The same slide drawn to a 1920×1080 canvas. */
export async function exportComparisonPng(): Promise<void> {
  const svg = comparisonSvg();
  if (!svg) return void notify('error', 'The comparison needs both matchers counted at the same top-K and RANSAC; wait for the classic matcher.');
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = COMPARISON_SIZE.width;
    canvas.height = COMPARISON_SIZE.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas to draw it on');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((res) => canvas.toBlob(res, 'image/png'));
    if (!blob) throw new Error('it could not be encoded as PNG');
    download(blob, `${baseName()}_comparison.png`);
  } catch (e) {
    notify('error', `Comparison PNG export failed: ${(e as Error).message}`);
  } finally {
    URL.revokeObjectURL(url);
  }
}
