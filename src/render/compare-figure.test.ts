import { describe, expect, it } from 'vitest';
import { compareFigureSvg, countsCaption, INLIER_COLOR, OUTLIER_COLOR, panelCaption, UNJUDGED_COLOR, type ComparePanel } from './compare-figure';

const panel = (name: string, n: number, flags: number[] | null, total: number): ComparePanel => ({
  name,
  matches: Array.from({ length: n }, (_, i) => ({ xyA: [i * 10, i * 5] as [number, number], xyB: [i * 8, i * 4] as [number, number] })),
  total,
  inlierFlags: flags ? Uint8Array.from(flags) : null,
  fedA: [256, 208],
  fedB: [256, 208],
});

describe('compareFigureSvg', () => {
  const coam = panel('CoAM', 5, [1, 1, 1, 0, 0], 40);
  const akaze = panel('AKAZE', 4, [1, 0, 0, 0], 9);
  const svg = compareFigureSvg({
    imageA: { width: 800, height: 640, href: 'data:image/png;base64,AAAA' },
    imageB: { width: 800, height: 640, href: null },
    coam,
    baseline: akaze,
    ransac: 'homography',
  });

  it('is a 16:9 slide with both captions, the RANSAC kind and the fed size', () => {
    expect(svg).toMatch(/viewBox="0 0 1920 1080"/);
    expect(svg).toContain('CoAM: 5 matches shown of 40 · 3 inliers (60%)');
    expect(svg).toContain('AKAZE: 4 matches shown of 9 · 1 inliers (25%)');
    expect(svg.match(/homography RANSAC · fed 256×208 and 256×208/g)).toHaveLength(2);
  });

  it('draws one line per shown match in each panel, inliers green and outliers red', () => {
    const panels = svg.split('<g class="panel"').slice(1);
    expect(panels).toHaveLength(2);
    const lines = (s: string, c: string) => (s.match(new RegExp(`<line [^>]*stroke="${c}"`, 'g')) ?? []).length;
    expect([lines(panels[0], INLIER_COLOR), lines(panels[0], OUTLIER_COLOR)]).toEqual([3, 2]);
    expect([lines(panels[1], INLIER_COLOR), lines(panels[1], OUTLIER_COLOR)]).toEqual([1, 3]);
    // One image embedded, the missing one a grey box, in each panel.
    expect(svg.match(/<image /g)).toHaveLength(2);
  });

  it('keeps every line inside the figure, and says "no model" where RANSAC found none', () => {
    for (const m of svg.matchAll(/<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/g)) {
      const [x1, y1, x2, y2] = m.slice(1).map(Number);
      for (const x of [x1, x2]) expect(x).toBeLessThanOrEqual(1920);
      for (const y of [y1, y2]) expect(y).toBeLessThanOrEqual(1080);
    }
    expect(panelCaption(panel('ORB', 3, null, 3))).toBe('ORB: 3 matches shown of 3 · no model');
    // The app's panes word their counts the same way, and say when RANSAC is still fitting.
    expect(countsCaption('CoAM', 0, 0, 'homography', 0)).toBe('CoAM: 0 matches shown of 0 · 0 inliers (0%)');
    expect(countsCaption('CoAM', 5, 9, 'fundamental', undefined)).toBe('CoAM: 5 matches shown of 9 · fitting fundamental…');
    // RANSAC off: no verdicts, every line one neutral colour, and the captions say so.
    const off = compareFigureSvg({ imageA: { width: 320, height: 480, href: null }, imageB: { width: 640, height: 480, href: null }, coam: panel('CoAM', 5, null, 40), baseline: panel('ORB', 2, null, 2), ransac: 'off' });
    expect(off.match(new RegExp(`<line [^>]*stroke="${UNJUDGED_COLOR}"`, 'g'))).toHaveLength(7);
    expect(off).toContain('>CoAM: 5 matches shown of 40<');
    expect(off).toContain('no RANSAC · fed');
    expect(() => compareFigureSvg({ imageA: { width: 0, height: 1, href: null }, imageB: { width: 1, height: 1, href: null }, coam, baseline: akaze, ransac: 'fundamental' })).toThrow(/positive size/);
  });
});
