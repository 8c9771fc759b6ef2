import { describe, expect, it } from 'vitest';
import { legendHeight, legendPieces, legendSvg, type LegendSpec } from './legend';
import { figureSvg } from './svg';
import { figureLayout } from './layout';

const texts = (pieces: ReturnType<typeof legendPieces>) => pieces.flatMap((p) => ('text' in p ? [p.text] : []));

describe('export legend', () => {
  it('says how many matches are shown and what the colour ramp spans', () => {
    const pieces = legendPieces({ kind: 'score', shown: 20, total: 347, lo: 0.01234, hi: 0.9 });
    expect(texts(pieces)[0]).toContain('20 of 347 matches');
    expect(texts(pieces)).toContain('0.0123');
    expect(texts(pieces)).toContain('0.900');
    expect(pieces.some((p) => 'ramp' in p)).toBe(true);
  });

  it('with RANSAC: inliers, their share, outliers and the model', () => {
    const pieces = legendPieces({ kind: 'inliers', shown: 50, total: 300, inliers: 35, model: 'homography' });
    const t = texts(pieces);
    expect(t[0]).toContain('50 of 300 matches');
    expect(t[0]).toContain('homography');
    expect(t).toContain('35 inliers (70%)');
    expect(t).toContain('15 outliers');
    expect(pieces.filter((p) => 'swatch' in p)).toHaveLength(2);
    expect(texts(legendPieces({ kind: 'inliers', shown: 0, total: 0, inliers: 0, model: 'fundamental' }))).toContain('0 inliers (0%)');
  });

  it('the SVG strip escapes text and the figure grows by the strip', () => {
    const strip = legendSvg({ kind: 'inliers', shown: 3, total: 3, inliers: 1, model: '<b>x</b> & y' }, { x: 0, y: 100, width: 400, height: 24 });
    expect(strip).not.toContain('<b>');
    expect(strip).toContain('&lt;b&gt;x&lt;/b&gt; &amp; y');
    const layout = figureLayout({ width: 400, height: 300 }, { width: 400, height: 300 }, 'side');
    const args = { layout, hrefA: null, hrefB: null, pairs: new Float32Array([10, 10, 20, 20]), colors: new Float32Array(3), count: 1 };
    const plain = figureSvg(args);
    const withLegend = figureSvg({ ...args, legend: { kind: 'score', shown: 1, total: 1, lo: 0.5, hi: 0.5 } });
    const height = (svg: string) => Number(/height="([\d.]+)"/.exec(svg)![1]);
    expect(height(withLegend) - height(plain)).toBeCloseTo(legendHeight(layout.width), 5);
    expect(withLegend).toContain('linearGradient');
    expect(plain).not.toContain('linearGradient');
  });

  it('the attention view: names the level, the point and the weight range; the SVG draws the heatmap, point and rings', () => {
    const spec: LegendSpec = { kind: 'attention', from: 'A', to: 'B', xy: [120.4, 80.6], level: 's16', stride: 16, max: 0.0734, peaks: 3 };
    const t = texts(legendPieces(spec));
    expect(t[0]).toContain('level s16 (1/16)');
    expect(t[0]).toContain('A (120, 81) over B');
    expect(t).toContain('0.073');
    expect(t.join(' ')).toContain('3 strongest');
    const layout = figureLayout({ width: 400, height: 300 }, { width: 400, height: 300 }, 'side');
    const svg = figureSvg({
      layout,
      hrefA: null,
      hrefB: null,
      pairs: new Float32Array(0),
      colors: new Float32Array(0),
      count: 0,
      legend: spec,
      heatmap: { slot: 'B', href: 'data:image/png;base64,AAAA' },
      marks: [{ slot: 'A', xy: [120.4, 80.6] }],
      rings: [{ slot: 'B', xy: [10, 20], radius: 8 }],
    });
    // The heatmap covers B's placement; the ring is centred on B's pixel (10, 20).
    expect(svg).toContain(`<image x="${layout.b.x.toFixed(1)}" y="0.0" width="${layout.b.width.toFixed(1)}"`);
    expect(svg).toContain(`cx="${(layout.b.x + 10.5 * layout.b.scale).toFixed(1)}" cy="${(20.5 * layout.b.scale).toFixed(1)}" r="${(8 * layout.b.scale).toFixed(1)}"`);
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg).toContain('level s16');
  });
});
