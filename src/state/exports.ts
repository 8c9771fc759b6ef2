/** Exports of the current figure (PNG 2x, SVG) and of the shown matches (JSON, CSV). */
import { matchesToCsv, toMatchesFile } from '../core/pipeline';
import type { MatchOverlay } from '../render/overlay';
import { figureSvg } from '../render/svg';
import { matchColors } from '../render/colormap';
import { drawLegend, legendHeight, type LegendSpec } from '../render/legend';
import { currentGeometry, matchArrays, scoreRange, shownCount } from './derived';
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
    download(legend ? await withLegend(figure, legend) : figure, `${baseName()}.png`);
  } catch (e) {
    notify('error', `PNG export failed: ${(e as Error).message}`);
  }
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
  const { pairs, scores } = matchArrays(s.result);
  const geometry = currentGeometry(s);
  const svg = figureSvg({
    layout,
    hrefA: bitmapDataUrl(s.images.A?.bitmap ?? null),
    hrefB: bitmapDataUrl(s.images.B?.bitmap ?? null),
    pairs,
    colors: matchColors(scores, geometry?.inliers ?? null),
    count: shownCount(s),
    title: `CoAM matches: ${s.images.A?.name ?? 'A'} / ${s.images.B?.name ?? 'B'}`,
    legend: legendOfShown(),
  });
  download(new Blob([svg], { type: 'image/svg+xml' }), `${baseName()}.svg`);
}
