/**
 * The comparison figure, sized for a slide (16:9): CoAM's shown matches on top, the classic
 * matcher's below, each panel the pair side by side with its lines (green: fits the RANSAC model,
 * red: does not, blue: no model to judge by) and a caption strip with its counts, the RANSAC kind and the fed size.
 * Pure string building: the CLI and the app both use it.
 */

export interface CompareImage {
  width: number;
  height: number;
  /** A URL (data: in exports) of the image, or null to draw a grey box in its place. */
  href: string | null;
}

export interface ComparePanel {
  /** "CoAM", "AKAZE", "SIFT", … */
  name: string;
  /** The shown matches (the top-K prefix), in image pixels of A and B. */
  matches: ReadonlyArray<{ xyA: readonly [number, number] | number[]; xyB: readonly [number, number] | number[] }>;
  /** All matches before the top-K cut. */
  total: number;
  /** Per shown match: 1 when it fits the model; null when RANSAC found none. */
  inlierFlags: Uint8Array | null;
  /** Fed sizes of A and B, [width, height]. */
  fedA: readonly [number, number];
  fedB: readonly [number, number];
}

export interface CompareFigureInput {
  imageA: CompareImage;
  imageB: CompareImage;
  coam: ComparePanel;
  baseline: ComparePanel;
  /** The RANSAC both lists were fitted by ('off': none, lines in one neutral colour). */
  ransac: 'homography' | 'fundamental' | 'off';
  /** Default 1920×1080. */
  width?: number;
  height?: number;
  title?: string;
}

export const INLIER_COLOR = '#22c55e';
export const OUTLIER_COLOR = '#ef4444';
/** Lines without a model to judge them by. */
export const UNJUDGED_COLOR = '#3b82f6';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (v: number) => v.toFixed(1);

/**
 * "CoAM: 50 matches shown of 212 · 31 inliers (62%)": one matcher's counts, as the figure and the
 * app's panes word them. `inliers`: null where RANSAC found no model, undefined while it is fitting.
 */
export function countsCaption(name: string, shown: number, total: number, ransac: CompareFigureInput['ransac'], inliers: number | null | undefined): string {
  const head = `${name}: ${shown} matches shown of ${total}`;
  if (ransac === 'off') return head;
  if (inliers === undefined) return `${head} · fitting ${ransac}…`;
  if (inliers === null) return `${head} · no model`;
  return `${head} · ${inliers} inliers (${shown ? Math.round((100 * inliers) / shown) : 0}%)`;
}

/** The caption of one panel (see `countsCaption`). */
export function panelCaption(p: ComparePanel, ransac: CompareFigureInput['ransac'] = 'homography'): string {
  const shown = p.matches.length;
  let inliers: number | null = null;
  if (p.inlierFlags) {
    inliers = 0;
    for (let i = 0; i < shown; i++) inliers += p.inlierFlags[i] ? 1 : 0;
  }
  return countsCaption(p.name, shown, p.total, ransac, inliers);
}

function panelDetail(p: ComparePanel, ransac: string): string {
  const fed = (s: readonly [number, number]) => `${s[0]}×${s[1]}`;
  return `${ransac === 'off' ? 'no RANSAC' : `${ransac} RANSAC`} · fed ${fed(p.fedA)} and ${fed(p.fedB)}`;
}

export function compareFigureSvg(input: CompareFigureInput): string {
  const W = input.width ?? 1920;
  const H = input.height ?? 1080;
  const { imageA: A, imageB: B } = input;
  if (!(A.width > 0 && A.height > 0 && B.width > 0 && B.height > 0)) throw new Error('compare figure: both images need a positive size');
  const panelH = H / 2;
  const caption = Math.round(panelH * 0.1);
  const margin = Math.round(panelH * 0.03);
  const gap = Math.round(W * 0.01);
  // Both images at one height h, side by side, as large as the panel allows.
  const areaH = panelH - caption - 2 * margin;
  const areaW = W - 2 * margin - gap;
  const h = Math.min(areaH, areaW / (A.width / A.height + B.width / B.height));
  const sA = h / A.height;
  const sB = h / B.height;
  const wA = A.width * sA;
  const wB = B.width * sB;
  const x0 = (W - (wA + gap + wB)) / 2;
  const stroke = Math.max(1, h / 300);
  const font = Math.round(caption * 0.42);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<title>${esc(input.title ?? `CoAM beside ${input.baseline.name}`)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<rect x="0" y="${f(panelH - 0.5)}" width="${W}" height="1" fill="#999"/>`,
  ];
  [input.coam, input.baseline].forEach((p, k) => {
    const top = k * panelH;
    const y0 = top + caption + margin + (areaH - h) / 2;
    parts.push(`<g class="panel" data-matcher="${esc(p.name)}">`);
    parts.push(
      `<text class="caption" x="${margin}" y="${f(top + caption * 0.62)}" font-family="sans-serif" font-size="${font}" font-weight="bold" fill="#111">${esc(panelCaption(p, input.ransac))}</text>`,
      `<text class="detail" x="${W - margin}" y="${f(top + caption * 0.62)}" text-anchor="end" font-family="sans-serif" font-size="${Math.round(font * 0.8)}" fill="#444">${esc(panelDetail(p, input.ransac))}</text>`,
    );
    for (const [img, x, w] of [
      [A, x0, wA],
      [B, x0 + wA + gap, wB],
    ] as const) {
      parts.push(
        img.href
          ? `<image x="${f(x)}" y="${f(y0)}" width="${f(w)}" height="${f(h)}" preserveAspectRatio="none" href="${esc(img.href)}"/>`
          : `<rect x="${f(x)}" y="${f(y0)}" width="${f(w)}" height="${f(h)}" fill="#ddd"/>`,
      );
    }
    parts.push(`<g class="lines" stroke-width="${f(stroke)}" stroke-opacity="0.85" fill-opacity="0.9">`);
    // Outliers first, so the inliers end up on top.
    const order = p.matches.map((_, i) => i);
    if (p.inlierFlags) order.sort((i, j) => p.inlierFlags![i] - p.inlierFlags![j]);
    for (const i of order) {
      const m = p.matches[i];
      const c = !p.inlierFlags ? UNJUDGED_COLOR : p.inlierFlags[i] ? INLIER_COLOR : OUTLIER_COLOR;
      const xa = x0 + (m.xyA[0] + 0.5) * sA;
      const ya = y0 + (m.xyA[1] + 0.5) * sA;
      const xb = x0 + wA + gap + (m.xyB[0] + 0.5) * sB;
      const yb = y0 + (m.xyB[1] + 0.5) * sB;
      parts.push(
        `<line x1="${f(xa)}" y1="${f(ya)}" x2="${f(xb)}" y2="${f(yb)}" stroke="${c}"/>` +
          `<circle cx="${f(xa)}" cy="${f(ya)}" r="${f(stroke * 1.5)}" fill="${c}"/><circle cx="${f(xb)}" cy="${f(yb)}" r="${f(stroke * 1.5)}" fill="${c}"/>`,
      );
    }
    parts.push('</g>', '</g>');
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
