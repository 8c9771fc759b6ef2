import { describe, expect, it } from 'vitest';
import { figureLayout, figurePositions } from './layout';
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
