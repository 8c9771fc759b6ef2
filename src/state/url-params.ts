/**
 * URL parameters for embedding (`a`, `b`, `k`, `layout`, `heatmap`, `ransac`, `embed`, `model`, ...).
 * Every value is validated against a closed set or parsed as a number; image and model sources must
 * be sample names or http(s)/relative URLs. Nothing from the URL is ever rendered as markup.
 */
import { SAMPLE_IMAGES, SAMPLE_PAIRS, sampleUrl } from './samples';
import type { Layout, HeatmapMode, RansacMode } from './store';
import type { BackendName, Conditioning } from '../worker/protocol';
import { SEARCH_MODES, type SearchMode } from '../core/views';
import { DEFAULT_MATCH_OPTIONS } from '../core/types';

export interface ImageRef {
  /** What the user sees as the image's name. */
  name: string;
  url: string;
  /** What reproduces it in a share link: the sample name or the URL. */
  shareRef: string;
}

export interface UrlSettings {
  a?: ImageRef;
  b?: ImageRef;
  k?: number;
  layout?: Layout;
  heatmap?: HeatmapMode;
  ransac?: RansacMode;
  conditioning?: Conditioning;
  search?: SearchMode;
  /** The ratio test's threshold (MatchOptions.maxRatio), in (0, 1]. */
  ratio?: number;
  embed: boolean;
  present: boolean;
  /** The classic matcher beside CoAM (`baseline=1`). */
  baseline: boolean;
  model?: ImageRef;
  backend?: BackendName;
  longSide?: number;
  /** WASM threads (0 or absent: automatic). */
  threads?: number;
  /** Problems with the parameters, shown to the user as plain text. */
  warnings: string[];
}

const MAX_NAME = 80;

/** A sample name, or an http(s) / same-origin relative URL; anything else (javascript:, data:) is refused. */
export function resolveSource(raw: string, base: string = document.baseURI): ImageRef | null {
  const value = raw.trim();
  if (!value) return null;
  if (SAMPLE_IMAGES.includes(value)) return { name: value, url: sampleUrl(value, base), shareRef: value };
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'blob:') return null;
  const raw_ = url.pathname.split('/').pop() || url.hostname || 'image';
  let last = raw_;
  try {
    last = decodeURIComponent(raw_);
  } catch {
    // A malformed escape stays as written.
  }
  return { name: last.slice(0, MAX_NAME), url: url.href, shareRef: url.href };
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function flag(value: string | null): boolean {
  return value === '1' || value === 'true' || value === '';
}

export function parseUrlSettings(search: string, base?: string): UrlSettings {
  const p = new URLSearchParams(search);
  const warnings: string[] = [];
  const out: UrlSettings = { embed: flag(p.get('embed')), present: flag(p.get('present')), baseline: flag(p.get('baseline')), warnings };

  const pair = p.get('sample') ?? p.get('pair');
  if (pair !== null) {
    const s = SAMPLE_PAIRS.find((x) => x.id === pair);
    if (s) {
      out.a = resolveSource(s.a, base) ?? undefined;
      out.b = resolveSource(s.b, base) ?? undefined;
    } else warnings.push('Unknown sample pair in the URL; ignored.');
  }
  for (const slot of ['a', 'b'] as const) {
    const raw = p.get(slot);
    if (raw === null) continue;
    const ref = resolveSource(raw, base);
    if (ref) out[slot] = ref;
    else warnings.push(`Parameter "${slot}" is not a sample name or an http(s) URL; ignored.`);
  }
  const k = p.get('k');
  if (k !== null) {
    const n = Number(k);
    if (Number.isFinite(n) && n >= 0) out.k = Math.min(100_000, Math.round(n));
    else warnings.push('Parameter "k" must be a number; ignored.');
  }
  out.layout = oneOf(p.get('layout'), ['auto', 'side', 'stacked'] as const);
  const heat = p.get('heatmap');
  out.heatmap = heat === '1' || heat === 'true' ? 'distinctiveness' : oneOf(heat, ['off', 'distinctiveness'] as const);
  if (heat === '0' || heat === 'false') out.heatmap = 'off';
  const ransac = p.get('ransac');
  out.ransac = ransac === '1' || ransac === 'true' ? 'homography' : oneOf(ransac, ['off', 'homography', 'fundamental'] as const);
  if (ransac === '0' || ransac === 'false') out.ransac = 'off';
  out.conditioning = oneOf(p.get('conditioning'), ['pair', 'self'] as const);
  out.search = oneOf(p.get('search'), SEARCH_MODES);
  const ratio = p.get('ratio');
  if (ratio !== null) {
    const n = Number(ratio);
    if (ratio.trim() !== '' && n > 0 && n <= 1) out.ratio = n;
    else warnings.push('Parameter "ratio" must be a number above 0 and at most 1; ignored.');
  }
  out.backend = oneOf(p.get('backend'), ['webgpu', 'wasm'] as const);
  const ls = p.get('longSide');
  if (ls !== null) {
    const n = Number(ls);
    if (Number.isFinite(n) && n >= 32 && n <= 2048) out.longSide = Math.round(n);
    else warnings.push('Parameter "longSide" must be between 32 and 2048; ignored.');
  }
  const threads = Number(p.get('threads'));
  if (Number.isInteger(threads) && threads >= 1 && threads <= 16) out.threads = threads;
  const model = p.get('model');
  if (model !== null) {
    const ref = resolveSource(model, base);
    if (ref && !SAMPLE_IMAGES.includes(model)) out.model = ref;
    else warnings.push('Parameter "model" must be an http(s) URL; ignored.');
  }
  return out;
}

/** The URL that reproduces the current view (for the iframe snippet). */
export function buildShareUrl(
  pageUrl: string,
  s: {
    a?: string;
    b?: string;
    k: number;
    layout: Layout;
    heatmap: HeatmapMode;
    ransac: RansacMode;
    embed?: boolean;
    conditioning?: Conditioning;
    search?: SearchMode;
    ratio?: number;
    longSide?: number | null;
    baseline?: boolean;
  },
): string {
  const url = new URL(pageUrl);
  url.search = '';
  url.hash = '';
  if (s.a) url.searchParams.set('a', s.a);
  if (s.b) url.searchParams.set('b', s.b);
  url.searchParams.set('k', String(s.k));
  url.searchParams.set('layout', s.layout);
  url.searchParams.set('heatmap', s.heatmap === 'off' ? '0' : '1');
  url.searchParams.set('ransac', s.ransac);
  if (s.conditioning && s.conditioning !== 'pair') url.searchParams.set('conditioning', s.conditioning);
  if (s.search && s.search !== 'auto') url.searchParams.set('search', s.search);
  if (s.ratio !== undefined && s.ratio !== DEFAULT_MATCH_OPTIONS.maxRatio) url.searchParams.set('ratio', String(s.ratio));
  if (s.longSide) url.searchParams.set('longSide', String(s.longSide));
  if (s.baseline) url.searchParams.set('baseline', '1');
  if (s.embed) url.searchParams.set('embed', '1');
  return url.href;
}

/** An iframe snippet; the URL is attribute-escaped so it cannot break out of the attribute. */
export function iframeSnippet(src: string): string {
  const esc = src.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<iframe src="${esc}" width="960" height="540" style="border:0" title="CoAM matches" loading="lazy"></iframe>`;
}
