import { describe, expect, it } from 'vitest';
import type { Conditioning } from '../core/types';
import { conditioningComparison, effectiveLayout, runBlocker } from './derived';
import { figureLayout } from '../render/layout';
import type { CoamState, RunSummary } from './store';

const summary = (conditioning: Conditioning, over: Partial<RunSummary> = {}): RunSummary => ({
  imageA: 'a',
  imageB: 'b',
  longSide: 640,
  search: 'auto',
  maxRatio: 0.85,
  conditioning,
  matches: conditioning === 'pair' ? 120 : 90,
  // Inliers are looked up at min(K, matches): 100 for the pair run, 90 for the self run.
  inliers: [{ kind: 'homography', k: conditioning === 'pair' ? 100 : 90, count: conditioning === 'pair' ? 60 : 40 }],
  ...over,
});

function state(summaries: RunSummary[]): Pick<CoamState, 'summaries' | 'images' | 'run' | 'k' | 'result' | 'ransac'> {
  return {
    summaries,
    images: { A: { id: 'a' }, B: { id: 'b' } } as unknown as CoamState['images'],
    run: { status: 'done', runId: 3, imageA: 'a', imageB: 'b', longSide: 640, search: 'auto', maxRatio: 0.85, conditioning: 'pair' },
    k: 100,
    result: null,
    ransac: 'homography',
  };
}

describe('conditioningComparison', () => {
  it('compares the pair and self runs of the same images and matcher settings', () => {
    expect(conditioningComparison(state([summary('pair'), summary('self')]))).toEqual({
      pair: { matches: 120, inliers: 60 },
      self: { matches: 90, inliers: 40 },
    });
  });

  it('does not compare runs made with another ratio test, view search or input size', () => {
    for (const over of [{ maxRatio: 1 }, { search: 'off' as const }, { longSide: 320 }, { imageB: 'c' }]) {
      expect(conditioningComparison(state([summary('pair'), summary('self', over)])), JSON.stringify(over)).toBeNull();
    }
  });
});

describe('effective layout', () => {
  const entry = (width: number, height: number) => ({ id: `${width}x${height}`, name: 'x', status: 'ready' as const, bitmap: null, width, height });
  const layoutOf = (a: [number, number], b: [number, number]) =>
    effectiveLayout({ layout: 'auto', images: { A: entry(...a), B: entry(...b) } });

  it('landscape pairs side by side, portrait pairs stacked', () => {
    expect(layoutOf([800, 600], [640, 480])).toBe('side');
    expect(layoutOf([600, 800], [480, 640])).toBe('stacked');
  });

  it('never draws a photo beside a panorama as a sliver', () => {
    // 16:1 next to 4:3: side by side the figure is 17.3:1 and the photo a twentieth of its width.
    const a: [number, number] = [6400, 400];
    const b: [number, number] = [800, 600];
    const mode = layoutOf(a, b);
    expect(mode).toBe('stacked');
    const L = figureLayout({ width: a[0], height: a[1] }, { width: b[0], height: b[1] }, mode);
    // Fitted into a 16:10 canvas, each image covers at least 3 % of it (side by side, the photo: 0.7 %).
    const zoom = Math.min(1600 / L.width, 1000 / L.height);
    const share = (p: { width: number; height: number }) => (p.width * zoom * p.height * zoom) / (1600 * 1000);
    expect(Math.min(share(L.a), share(L.b))).toBeGreaterThan(0.03);
    // A portrait panorama beside a portrait photo: side by side rather than a tower.
    expect(layoutOf([400, 6400], [600, 800])).toBe('side');
  });
});

describe('run blocker', () => {
  const ready = { id: 'a', name: 'a', status: 'ready' as const, bitmap: null, width: 10, height: 10 };
  const model = { status: 'ready' as const, label: 'm', info: null, backend: 'wasm' as const, threads: 1, loadMs: 0 };
  it('says what is missing, or null when the pair can run', () => {
    expect(runBlocker({ images: { A: null, B: ready }, model, run: { status: 'idle', runId: 0 } })).toMatch(/Image A/);
    expect(runBlocker({ images: { A: ready, B: { ...ready, status: 'error' } }, model, run: { status: 'idle', runId: 0 } })).toMatch(/Image B could not be used/);
    expect(runBlocker({ images: { A: ready, B: ready }, model: { ...model, status: 'error' }, run: { status: 'idle', runId: 0 } })).toMatch(/No model/);
    expect(runBlocker({ images: { A: ready, B: ready }, model, run: { status: 'done', runId: 1 } })).toBeNull();
  });
});
