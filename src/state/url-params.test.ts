import { describe, expect, it } from 'vitest';
import { buildShareUrl, iframeSnippet, parseUrlSettings, resolveSource } from './url-params';
import { DEFAULT_MATCH_OPTIONS } from '../core/types';

const BASE = 'https://example.org/talk/coam/index.html';

describe('URL parameters', () => {
  it('reads sample names, numbers and closed sets', () => {
    const s = parseUrlSettings('?a=graf1&b=graf3&k=25&layout=stacked&heatmap=1&ransac=fundamental&embed=1', BASE);
    expect(s.a).toEqual({ name: 'graf1', url: 'https://example.org/talk/coam/samples/graf1.jpg', shareRef: 'graf1' });
    expect(s.b?.name).toBe('graf3');
    expect(s.k).toBe(25);
    expect(s.layout).toBe('stacked');
    expect(s.heatmap).toBe('distinctiveness');
    expect(s.ransac).toBe('fundamental');
    expect(s.embed).toBe(true);
    expect(s.warnings).toEqual([]);
  });

  it('expands a sample pair', () => {
    const s = parseUrlSettings('?sample=box', BASE);
    expect([s.a?.name, s.b?.name]).toEqual(['box', 'box_in_scene']);
  });

  it('refuses script URLs and ignores values outside the closed sets', () => {
    const s = parseUrlSettings('?a=javascript:alert(1)&b=data:text/html,<script>x</script>&k=<b>&layout="><img>&ransac=<svg>&model=javascript:x', BASE);
    expect(s.a).toBeUndefined();
    expect(s.b).toBeUndefined();
    expect(s.k).toBeUndefined();
    expect(s.layout).toBeUndefined();
    expect(s.ransac).toBeUndefined();
    expect(s.model).toBeUndefined();
    // a, b, k, layout, ransac, model: each refused value gets its own message.
    expect(s.warnings.length).toBe(6);
  });

  it('says what each parameter accepts, with the refused value', () => {
    const w = (q: string) => parseUrlSettings(q, BASE).warnings.join(' | ');
    expect(w('?k=-5')).toMatch(/Parameter "k" must be a whole number from 0 to 100000 .*"-5"/);
    expect(w('?k=-5')).not.toMatch(/must be a number/);
    expect(w('?k=abc')).toMatch(/"k" must be a whole number from 0 to 100000/);
    expect(w('?layout=diagonal')).toMatch(/"layout" must be auto, side or stacked; "diagonal" ignored/);
    expect(w('?heatmap=2')).toMatch(/"heatmap" must be 0 or 1/);
    expect(w('?ransac=affine')).toMatch(/"ransac" must be off, homography or fundamental/);
    expect(w('?conditioning=both')).toMatch(/"conditioning" must be pair or self/);
    expect(w('?search=never')).toMatch(/"search" must be off, auto, full or always/);
    expect(w('?backend=cuda')).toMatch(/"backend" must be webgpu or wasm/);
    expect(w('?threads=99')).toMatch(/"threads" must be a whole number from 0 to 16/);
    expect(w('?longSide=10')).toMatch(/"longSide" must be a whole number of pixels from 32 to 2048; "10" ignored/);
    expect(w('?embed=yes')).toMatch(/"embed" must be 1 or 0/);
    expect(w('?sample=nope')).toMatch(/"sample" must be graf, box, aloe or motorcycle; "nope" ignored/);
    // A refused value is quoted at most 40 characters long.
    expect(w(`?layout=${'x'.repeat(500)}`).length).toBeLessThan(120);
    // Good values give no message.
    expect(w('?k=0&layout=side&heatmap=0&ransac=homography&conditioning=self&search=off&backend=wasm&threads=2&longSide=320&embed=1&sample=box')).toBe('');
  });

  it('keeps http(s) and relative image URLs, naming them by their file', () => {
    expect(resolveSource('https://cdn.example.com/x/photo%201.jpg', BASE)).toMatchObject({ name: 'photo 1.jpg', url: 'https://cdn.example.com/x/photo%201.jpg' });
    expect(resolveSource('pics/a.png', BASE)?.url).toBe('https://example.org/talk/coam/pics/a.png');
    expect(resolveSource('%E0%A4%A', BASE)?.name).toBe('%E0%A4%A');
  });

  it('builds a share URL and an attribute-safe iframe snippet', () => {
    const url = buildShareUrl(BASE + '?old=1#x', { a: 'graf1', b: 'https://h/"><script>', k: 50, layout: 'side', heatmap: 'off', ransac: 'off', embed: true });
    const back = parseUrlSettings(new URL(url).search, BASE);
    expect(back.k).toBe(50);
    expect(back.embed).toBe(true);
    const snippet = iframeSnippet(url);
    expect(snippet).not.toContain('<script>');
    expect(snippet.match(/"/g)?.length).toBe(12); // six attributes, none broken out of
  });

  it('carries the test-time search mode, leaving the default out of the URL', () => {
    const always = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', search: 'always' });
    expect(parseUrlSettings(new URL(always).search, BASE).search).toBe('always');
    const auto = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', search: 'auto' });
    expect(new URL(auto).searchParams.has('search')).toBe(false);
    expect(parseUrlSettings('?search=off', BASE).search).toBe('off');
    expect(parseUrlSettings('?search=full', BASE).search).toBe('full');
    expect(parseUrlSettings('?search=sideways', BASE).search).toBeUndefined();
  });

  it('carries the ratio test threshold, leaving the default out and refusing values outside (0, 1]', () => {
    const strict = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', ratio: 0.7 });
    expect(parseUrlSettings(new URL(strict).search, BASE).ratio).toBe(0.7);
    const off = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', ratio: 1 });
    expect(parseUrlSettings(new URL(off).search, BASE).ratio).toBe(1);
    const dflt = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', ratio: DEFAULT_MATCH_OPTIONS.maxRatio });
    expect(new URL(dflt).searchParams.has('ratio')).toBe(false);
    for (const bad of ['0', '1.2', '-1', 'abc', '']) {
      const parsed = parseUrlSettings(`?ratio=${bad}`, BASE);
      expect(parsed.ratio, bad).toBeUndefined();
      expect(parsed.warnings.join(' ')).toMatch(/ratio/);
    }
  });

  it('carries the classic matcher beside CoAM (baseline=1), off unless asked for', () => {
    const on = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'homography', baseline: true, embed: true });
    expect(new URL(on).searchParams.get('baseline')).toBe('1');
    expect(parseUrlSettings(new URL(on).search, BASE).baseline).toBe(true);
    const off = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off' });
    expect(new URL(off).searchParams.has('baseline')).toBe(false);
    expect(parseUrlSettings('?a=graf1', BASE).baseline).toBe(false);
  });
});
