import { describe, expect, it } from 'vitest';
import { figureLayout, figurePositions, paneSplit } from './layout';
import { matchColors, INLIER_RGB, OUTLIER_RGB } from './colormap';

describe('figure layout', () => {
  it('side by side shows both images at the same height', () => {
    const L = figureLayout({ width: 400, height: 300 }, { width: 200, height: 100 }, 'side');
    expect(L.a.height).toBe(300);
    expect(L.b.height).toBe(300);
    expect(L.b.scale).toBe(3);
    expect(L.b.x).toBeGreaterThan(L.a.width);
  });

  it('stacked shows both at the same width, B below A', () => {
    const L = figureLayout({ width: 300, height: 400 }, { width: 150, height: 200 }, 'stacked');
    expect(L.b.width).toBe(300);
    expect(L.b.y).toBeGreaterThan(L.a.height);
  });

  it('maps pixel centres of both images into figure units', () => {
    const L = figureLayout({ width: 100, height: 50 }, { width: 100, height: 50 }, 'side');
    const p = figurePositions(new Float32Array([0, 0, 99, 49]), L);
    expect(Array.from(p)).toEqual([0.5, 0.5, L.b.x + 99.5, 49.5]);
  });
});

describe('match colours', () => {
  it('inliers and outliers replace the score ramp', () => {
    const c = matchColors([3, 2, 1], new Uint8Array([1, 0, 1]));
    expect(Array.from(c.subarray(0, 3))).toEqual(INLIER_RGB.map(Math.fround));
    expect(Array.from(c.subarray(3, 6))).toEqual(OUTLIER_RGB.map(Math.fround));
  });
});

describe('pane split', () => {
  it('stacks the two views of a wide pair and puts those of a tall pair side by side', () => {
    // Two 800×640 photos side by side: a 1613×640 figure (a 13 px gap); on a 16:9 stage one above the other draws it larger.
    const wide = figureLayout({ width: 800, height: 640 }, { width: 800, height: 640 }, 'side');
    expect(paneSplit(wide, { width: 1920, height: 1080 }, 26)).toBe('rows');
    expect(paneSplit(wide, { width: 960, height: 540 }, 26)).toBe('rows');
    // Two portrait photos stacked: a tall figure, so the panes go side by side.
    const tall = figureLayout({ width: 480, height: 640 }, { width: 480, height: 640 }, 'stacked');
    expect(paneSplit(tall, { width: 1920, height: 1080 }, 26)).toBe('columns');
  });

  it('gives up the caption height: a figure that fits either way goes where the caption costs less', () => {
    // A 200×100 figure on a 400×200 stage: a 400×100 pane (rows) and a 200×200 one (columns) both draw it
    // at scale 1 without captions; 20 px of caption costs rows a fifth of that and columns nothing.
    const fig = { width: 200, height: 100 };
    expect(paneSplit(fig, { width: 400, height: 200 }, 20)).toBe('columns');
    expect(paneSplit(fig, { width: 400, height: 200 }, 0)).toBe('rows');
    // A degenerate stage never throws.
    expect(['rows', 'columns']).toContain(paneSplit({ width: 0, height: 0 }, { width: 0, height: 0 }, 26));
  });
});
