/**
 * URL parameters for embedding (`a`, `b`, `k`, `layout`, `heatmap`, `ransac`, `embed`, `model`,
 * `baseline`, `show`, `view=attention` with `point`, `from` and `level`, ...).
 * Every value is validated against a closed set or parsed as a number; image and model sources must
 * be sample names or http(s)/relative URLs. Nothing from the URL is ever rendered as markup.
 */
import { SAMPLE_IMAGES, SAMPLE_PAIRS, sampleUrl } from './samples';
import { FIGURE_SHOWS, type AttentionQuery, type FigureShow, type FigureView, type Layout, type HeatmapMode, type RansacMode } from './store';
import type { BackendName } from '../worker/protocol';
import { SEARCH_MODES, type SearchMode } from '../core/views';
import { DEFAULT_MATCH_OPTIONS, type Conditioning, type Point } from '../core/types';

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
  /** The classic matcher beside CoAM (`baseline=1`; `show=classic` or `show=compare` imply it). */
  baseline: boolean;
  /** What the figure shows while the classic matcher is on: CoAM, the classic matcher, or both. */
  show?: FigureShow;
  model?: ImageRef;
  backend?: BackendName;
  longSide?: number;
  /** WASM threads (0 or absent: automatic). */
  threads?: number;
  /** `view=attention`: the co-attention view. */
  view?: FigureView;
  /** `point=x,y` (original pixels) of image `from=a|b` (default a): the attention view's point. */
  point?: Point;
  from?: 'A' | 'B';
  /** `level=s16`: the co-attention level drawn (checked against the model once it is loaded). */
  level?: string;
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

/** "a, b or c" */
const choices = (values: readonly string[]) => `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;

/** The refused value as the message quotes it: plain text, at most 40 characters. */
const quoted = (value: string) => `"${value.length > 40 ? `${value.slice(0, 39)}…` : value}"`;

const refused = (name: string, accepts: string, value: string) => `Parameter "${name}" must be ${accepts}; ${quoted(value)} ignored.`;

/** One of a closed set (or an alias of one); anything else is ignored with a message that lists the set. */
function choice<T extends string>(p: URLSearchParams, name: string, allowed: readonly T[], warnings: string[], aliases: Record<string, T> = {}): T | undefined {
  const value = p.get(name);
  if (value === null) return undefined;
  if (value in aliases) return aliases[value];
  const ok = oneOf(value, allowed);
  if (ok === undefined) warnings.push(refused(name, choices(allowed), value));
  return ok;
}

/** A whole number in [min, max]; anything else is ignored with a message that gives the range. */
function wholeNumber(p: URLSearchParams, name: string, min: number, max: number, warnings: string[], what = '', note = ''): number | undefined {
  const value = p.get(name);
  if (value === null) return undefined;
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n) && n >= min && n <= max) return Math.round(n);
  warnings.push(refused(name, `a whole number${what} from ${min} to ${max}${note}`, value));
  return undefined;
}

function flag(p: URLSearchParams, name: string, warnings: string[]): boolean {
  const value = p.get(name);
  if (value === null || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true' || value === '') return true;
  warnings.push(refused(name, '1 or 0', value));
  return false;
}

export function parseUrlSettings(search: string, base?: string): UrlSettings {
  const p = new URLSearchParams(search);
  const warnings: string[] = [];
  const out: UrlSettings = {
    embed: flag(p, 'embed', warnings),
    present: flag(p, 'present', warnings),
    baseline: flag(p, 'baseline', warnings),
    warnings,
  };

  out.show = choice(p, 'show', FIGURE_SHOWS, warnings);
  if (out.show && out.show !== 'coam') {
    // Showing the classic matcher needs it on: show= turns it on, unless baseline=0 says otherwise.
    if (p.get('baseline') === null) out.baseline = true;
    else if (!out.baseline) {
      warnings.push(`Parameter "show" ${quoted(out.show)} needs the classic matcher (baseline=1); CoAM's matches are shown.`);
      out.show = undefined;
    }
  }

  const pairName = p.has('sample') ? 'sample' : 'pair';
  const pair = p.get(pairName);
  if (pair !== null) {
    const s = SAMPLE_PAIRS.find((x) => x.id === pair);
    if (s) {
      out.a = resolveSource(s.a, base) ?? undefined;
      out.b = resolveSource(s.b, base) ?? undefined;
    } else warnings.push(refused(pairName, choices(SAMPLE_PAIRS.map((x) => x.id)), pair));
  }
  for (const slot of ['a', 'b'] as const) {
    const raw = p.get(slot);
    if (raw === null) continue;
    const ref = resolveSource(raw, base);
    if (ref) out[slot] = ref;
    else warnings.push(`Parameter "${slot}" is not a sample name or an http(s) URL; ignored.`);
  }
  out.k = wholeNumber(p, 'k', 0, 100_000, warnings, '', ' (the matches shown)');
  out.layout = choice(p, 'layout', ['auto', 'side', 'stacked'] as const, warnings);
  const heatmap = choice(p, 'heatmap', ['0', '1'] as const, warnings, { true: '1', false: '0', off: '0', distinctiveness: '1' });
  out.heatmap = heatmap === undefined ? undefined : heatmap === '1' ? 'distinctiveness' : 'off';
  out.ransac = choice(p, 'ransac', ['off', 'homography', 'fundamental'] as const, warnings, { '0': 'off', false: 'off', '1': 'homography', true: 'homography' });
  out.conditioning = choice(p, 'conditioning', ['pair', 'self'] as const, warnings);
  out.search = choice(p, 'search', SEARCH_MODES, warnings);
  const ratio = p.get('ratio');
  if (ratio !== null) {
    const n = Number(ratio);
    if (ratio.trim() !== '' && n > 0 && n <= 1) out.ratio = n;
    else warnings.push(refused('ratio', 'a number above 0 and at most 1 (1: the ratio test off)', ratio));
  }
  out.backend = choice(p, 'backend', ['webgpu', 'wasm'] as const, warnings);
  out.longSide = wholeNumber(p, 'longSide', 32, 2048, warnings, ' of pixels');
  out.threads = wholeNumber(p, 'threads', 0, 16, warnings, '', ' (0: automatic)');
  out.view = choice(p, 'view', ['matches', 'attention'] as const, warnings);
  const point = p.get('point');
  if (point !== null) {
    const parts = point.split(',');
    const xy = parts.map((v) => (v.trim() === '' ? NaN : Number(v)));
    if (xy.length === 2 && xy.every((v) => Number.isFinite(v) && v >= 0 && v <= 100_000)) out.point = [xy[0], xy[1]];
    else warnings.push(refused('point', "two numbers x,y from 0, in the image's pixels (point=320,240)", point));
  }
  const from = choice(p, 'from', ['a', 'b'] as const, warnings, { A: 'a', B: 'b' });
  if (from) out.from = from === 'a' ? 'A' : 'B';
  const level = p.get('level');
  if (level !== null) {
    if (/^s[1-9]\d{0,3}$/.test(level)) out.level = level;
    else warnings.push(refused('level', 'a co-attention level, s16 or s32', level));
  }
  if ((out.point || out.from || out.level) && out.view !== 'attention') {
    warnings.push('Parameters "point", "from" and "level" are for the attention view; add view=attention to show it.');
  }
  if (out.view === 'attention' && out.show === 'classic') {
    // The attention view draws on CoAM's pane, so the classic matcher's is shown beside it, not alone.
    warnings.push(`Parameter "show" ${quoted('classic')} would hide CoAM's pane, where the attention view draws; both panes are shown.`);
    out.show = 'compare';
  }
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
    show?: FigureShow;
    view?: FigureView;
    /** The attention view's point. */
    attention?: AttentionQuery;
    level?: string;
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
  if (s.baseline && s.show && s.show !== 'coam') url.searchParams.set('show', s.show);
  if (s.view === 'attention') {
    url.searchParams.set('view', 'attention');
    if (s.attention) {
      url.searchParams.set('point', s.attention.xy.map((v) => String(Math.round(v))).join(','));
      if (s.attention.from === 'B') url.searchParams.set('from', 'b');
    }
    if (s.level) url.searchParams.set('level', s.level);
  }
  if (s.embed) url.searchParams.set('embed', '1');
  return url.href;
}

/** An iframe snippet; the URL is attribute-escaped so it cannot break out of the attribute. */
export function iframeSnippet(src: string): string {
  const esc = src.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<iframe src="${esc}" width="960" height="540" style="border:0" title="CoAM matches" loading="lazy"></iframe>`;
}
