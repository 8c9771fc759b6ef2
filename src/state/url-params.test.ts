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

  it('opens the attention view at a point and level, and says what a bad value should be', () => {
    const s = parseUrlSettings('?sample=graf&view=attention&point=320,240.5&level=s32&from=b&embed=1', BASE);
    expect(s.view).toBe('attention');
    expect(s.point).toEqual([320, 240.5]);
    expect(s.from).toBe('B');
    expect(s.level).toBe('s32');
    expect(s.embed).toBe(true);
    expect(s.warnings).toEqual([]);
    const w = (q: string) => parseUrlSettings(q, BASE).warnings.join(' | ');
    expect(w('?view=attention&point=320')).toMatch(/"point" must be two numbers x,y from 0.*"320" ignored/);
    expect(w('?view=attention&point=a,b')).toMatch(/"point" must be two numbers/);
    expect(w('?view=attention&point=-1,5')).toMatch(/"point" must be two numbers/);
    expect(w('?view=attention&point=1,2,3')).toMatch(/"point" must be two numbers/);
    expect(w('?view=attention&level=16')).toMatch(/"level" must be a co-attention level, s16 or s32; "16" ignored/);
    expect(w('?view=heat')).toMatch(/"view" must be matches or attention/);
    expect(w('?view=attention&from=c')).toMatch(/"from" must be a or b/);
    expect(w('?point=3,4')).toMatch(/add view=attention/);
    expect(parseUrlSettings('?view=attention&point=1,2,3', BASE).point).toBeUndefined();
  });

  it('carries the attention view in a share URL, round trip', () => {
    const url = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', view: 'attention', attention: { from: 'B', xy: [12.4, 99.6] }, level: 's16', embed: true });
    const back = parseUrlSettings(new URL(url).search, BASE);
    expect([back.view, back.point, back.from, back.level, back.embed]).toEqual(['attention', [12, 100], 'B', 's16', true]);
    expect(back.warnings).toEqual([]);
    const plain = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', view: 'matches', attention: { from: 'A', xy: [1, 2] } });
    expect(new URL(plain).searchParams.has('point')).toBe(false);
  });

  it('opens on the classic matcher or on both (show=classic|compare), which turns it on; the share URL keeps it', () => {
    const compare = parseUrlSettings('?sample=graf&show=compare&embed=1', BASE);
    expect([compare.show, compare.baseline, compare.warnings]).toEqual(['compare', true, []]);
    expect(parseUrlSettings('?baseline=1&show=classic', BASE)).toMatchObject({ show: 'classic', baseline: true, warnings: [] });
    // show=coam is CoAM's view, whatever the classic matcher does.
    expect(parseUrlSettings('?show=coam', BASE)).toMatchObject({ show: 'coam', baseline: false });
    const w = (q: string) => parseUrlSettings(q, BASE).warnings.join(' | ');
    expect(w('?show=both')).toMatch(/Parameter "show" must be coam, classic or compare; "both" ignored/);
    expect(parseUrlSettings('?show=both', BASE)).toMatchObject({ show: undefined, baseline: false });
    // Asked for with the classic matcher turned off: CoAM's view, and a message saying why.
    const off = parseUrlSettings('?baseline=0&show=compare', BASE);
    expect([off.show, off.baseline]).toEqual([undefined, false]);
    expect(off.warnings.join(' ')).toMatch(/"show" "compare" needs the classic matcher \(baseline=1\)/);
    const url = buildShareUrl(BASE, { a: 'graf1', b: 'graf3', k: 10, layout: 'auto', heatmap: 'off', ransac: 'homography', baseline: true, show: 'compare', embed: true });
    expect(parseUrlSettings(new URL(url).search, BASE)).toMatchObject({ show: 'compare', baseline: true, embed: true, warnings: [] });
    // Without the classic matcher, or on CoAM's view, the URL does not name it.
    expect(new URL(buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', show: 'compare' })).searchParams.has('show')).toBe(false);
    expect(new URL(buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', baseline: true, show: 'coam' })).searchParams.has('show')).toBe(false);
  });

  it('opens the attention view beside the classic matcher: show=compare keeps both, show=classic becomes both with a note; the share URL carries both', () => {
    const both = parseUrlSettings('?sample=graf&show=compare&view=attention&point=100,80&level=s32&embed=1', BASE);
    expect([both.show, both.baseline, both.view, both.point, both.level, both.warnings]).toEqual(['compare', true, 'attention', [100, 80], 's32', []]);
    const alone = parseUrlSettings('?sample=graf&show=classic&view=attention', BASE);
    expect([alone.show, alone.baseline, alone.view]).toEqual(['compare', true, 'attention']);
    expect(alone.warnings.join(' ')).toMatch(/"show" "classic" would hide CoAM's pane, where the attention view draws; both panes are shown/);
    // Without the attention view, show=classic stays the classic matcher alone.
    expect(parseUrlSettings('?show=classic&view=matches', BASE)).toMatchObject({ show: 'classic', warnings: [] });
    const url = buildShareUrl(BASE, { k: 10, layout: 'auto', heatmap: 'off', ransac: 'off', baseline: true, show: 'compare', view: 'attention', attention: { from: 'B', xy: [5, 6] }, level: 's16', embed: true });
    const back = parseUrlSettings(new URL(url).search, BASE);
    expect([back.show, back.baseline, back.view, back.point, back.from, back.level, back.embed, back.warnings]).toEqual(['compare', true, 'attention', [5, 6], 'B', 's16', true, []]);
  });
});
