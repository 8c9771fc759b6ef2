import { describe, expect, it } from 'vitest';
import type { Conditioning } from '../core/types';
import {
  classicCaption,
  classicFit,
  classicShownCount,
  classicStatusText,
  coamCaption,
  conditioningComparison,
  effectiveLayout,
  figureShow,
  figureSize,
  runBlocker,
} from './derived';
import type { BaselineState } from './baseline';
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

describe('the classic matcher in the live view', () => {
  const lines = (n: number) => ({ pairs: new Float32Array(n * 4), scores: new Float32Array(n).map((_, i) => 1 - i / n) });
  const classic = (over: Partial<BaselineState> = {}): BaselineState => ({
    enabled: true,
    show: 'compare',
    status: 'done',
    detector: 'sift',
    ran: 'akaze',
    total: 40,
    counts: { total: 40, shown: 10, inliers: 6, k: 10, ransac: 'homography' },
    shown: { matches: [], inlierFlags: Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]), fedA: [256, 208], fedB: [256, 208] },
    lines: lines(40),
    ms: 12,
    loadMs: 0,
    ...over,
  });

  it("shows the classic matcher's pane only while it is on", () => {
    expect(figureShow(classic())).toBe('compare');
    expect(figureShow(classic({ show: 'classic' }))).toBe('classic');
    expect(figureShow(classic({ enabled: false }))).toBe('coam');
  });

  it("draws the same top-K prefix as CoAM's, within what it has", () => {
    expect(classicShownCount({ k: 10 }, classic())).toBe(10);
    expect(classicShownCount({ k: 500 }, classic())).toBe(40);
    expect(classicShownCount({ k: 0 }, classic())).toBe(0);
    expect(classicShownCount({ k: 10 }, classic({ status: 'running', lines: null }))).toBe(0);
  });

  it('colours by its RANSAC verdicts only when they were counted for this K and kind', () => {
    expect(classicFit({ k: 10, ransac: 'homography' }, classic())?.inliers).toBe(6);
    expect(classicFit({ k: 10, ransac: 'homography' }, classic())?.flags?.length).toBe(10);
    // The slider moved, or the kind changed, or RANSAC is off: no verdicts (the score ramp) until counted.
    expect(classicFit({ k: 11, ransac: 'homography' }, classic())).toBeNull();
    expect(classicFit({ k: 10, ransac: 'fundamental' }, classic())).toBeNull();
    expect(classicFit({ k: 10, ransac: 'off' }, classic())).toBeNull();
  });

  it('captions both panes alike: counts, inliers and their share, or what each is doing', () => {
    expect(classicCaption({ k: 10, ransac: 'homography' }, classic())).toBe('AKAZE: 10 matches shown of 40 · 6 inliers (60%)');
    expect(classicCaption({ k: 20, ransac: 'homography' }, classic())).toBe('AKAZE: 20 matches shown of 40 · fitting homography…');
    expect(classicCaption({ k: 10, ransac: 'off' }, classic())).toBe('AKAZE: 10 matches shown of 40');
    expect(classicCaption({ k: 10, ransac: 'homography' }, classic({ counts: { total: 40, shown: 10, inliers: null, k: 10, ransac: 'homography' } }))).toBe(
      'AKAZE: 10 matches shown of 40 · no model',
    );
    expect(classicCaption({ k: 10, ransac: 'off' }, classic({ status: 'loading', ran: null, lines: null }))).toBe('SIFT: loading OpenCV…');
    expect(classicCaption({ k: 10, ransac: 'off' }, classic({ status: 'error', error: 'OpenCV.js did not load', lines: null }))).toBe('AKAZE: OpenCV.js did not load');
    // The strip's line keeps its own wording (the time it took).
    expect(classicStatusText({ ransac: 'homography' }, classic())).toBe('AKAZE: 10 matches shown of 40 · 6 inliers · 12 ms');

    const matches = Array.from({ length: 30 }, () => ({ xyA: [0, 0], xyB: [0, 0] }));
    const result = { matches } as unknown as NonNullable<CoamState['result']>;
    const model = { status: 'ready' as const, label: 'm', info: null, backend: 'wasm' as const, threads: 1, loadMs: 0 };
    const run = { status: 'done' as const, runId: 2 };
    const geometry = { runId: 2, kind: 'homography' as const, k: 10, matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], inliers: new Uint8Array(10), inlierCount: 7, ms: 1 };
    expect(coamCaption({ result, run, k: 10, ransac: 'homography', geometry, model })).toBe('CoAM: 10 matches shown of 30 · 7 inliers (70%)');
    expect(coamCaption({ result, run, k: 12, ransac: 'homography', geometry, model })).toBe('CoAM: 12 matches shown of 30 · fitting homography…');
    expect(coamCaption({ result, run, k: 10, ransac: 'homography', geometry: { ...geometry, matrix: null, inlierCount: 0 }, model })).toBe('CoAM: 10 matches shown of 30 · no model');
    expect(coamCaption({ result: null, run: { status: 'running', runId: 3 }, k: 10, ransac: 'off', geometry: null, model })).toBe('CoAM: matching…');
  });

  it("sizes the figure as the overlay lays it out (the panes' split follows it)", () => {
    const entry = (width: number, height: number) => ({ id: 'x', name: 'x', status: 'ready' as const, bitmap: null, width, height });
    expect(figureSize({ layout: 'side', images: { A: entry(800, 640), B: entry(400, 320) } })).toEqual({ width: 800 + 13 + 800, height: 640 });
    expect(figureSize({ layout: 'auto', images: { A: entry(800, 640), B: null } })).toBeNull();
  });
});
