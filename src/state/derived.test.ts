import { describe, expect, it } from 'vitest';
import type { Conditioning, PairResult, Point } from '../core/types';
import {
  attentionCaption,
  attentionLevelName,
  attentionUnavailable,
  classicCaption,
  classicFit,
  classicShownCount,
  classicStatusText,
  coamCaption,
  conditioningComparison,
  currentAttention,
  effectiveLayout,
  figureShow,
  figureSize,
  runBlocker,
  shownAttention,
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

describe('the attention view', () => {
  const info = { name: 'm', version: '1', stride: 4, descriptorDim: 2, multiple: 32, inputSize: { longSide: 64 }, training: { data: '', steps: 0, date: '', seed: 0 }, metrics: {} };
  const model = (over: Partial<CoamState['model']> = {}): CoamState['model'] => ({ status: 'ready', label: 'my.onnx', info, backend: 'wasm', threads: 1, loadMs: 0, ...over });

  it('says why it cannot be shown: no model, no attention in the sidecar, or the graph not loaded', () => {
    expect(attentionUnavailable({ model: model({ status: 'loading', info: null }) })).toMatch(/needs a loaded model/);
    expect(attentionUnavailable({ model: model() })).toMatch(/my\.onnx has no co-attention graph \(its sidecar names no 'attention'\)/);
    expect(attentionUnavailable({ model: model({ info: { ...info, attention: {} } }) })).toMatch(/split and attention graphs, which my\.onnx does not come with/);
    expect(attentionUnavailable({ model: model({ attentionLevels: ['s16', 's32'] }) })).toBeNull();
  });

  it('draws the chosen level when the model has it, else the first; a result only for its run and point', () => {
    const m = model({ attentionLevels: ['s16', 's32'] });
    expect(attentionLevelName({ attentionLevel: 's32', model: m })).toBe('s32');
    expect(attentionLevelName({ attentionLevel: 's64', model: m })).toBe('s16');
    expect(attentionLevelName({ attentionLevel: null, model: model() })).toBeNull();
    const geometry = { width: 64, height: 32, originalWidth: 128, originalHeight: 64, scaleX: 0.5, scaleY: 0.5 };
    const result = { preparedA: geometry, preparedB: geometry } as unknown as PairResult;
    const weights = new Float32Array(8).fill(0.05);
    weights[5] = 0.65; // B's s16 grid is 4×2: cell 5 is (row 1, col 1)
    const attention = { runId: 3, from: 'A' as const, xy: [10, 20] as Point, ms: 1, levels: [{ level: 's16', stride: 16, cell: 0, gridWidth: 4, gridHeight: 2, weights }] };
    const s = { view: 'attention' as const, attention, attentionQuery: { from: 'A' as const, xy: [10, 20] as Point }, attentionLevel: null, run: { status: 'done' as const, runId: 3 }, result, model: m };
    expect(currentAttention(s)).toBe(attention);
    expect(currentAttention({ ...s, run: { status: 'done', runId: 4 } })).toBeNull();
    expect(currentAttention({ ...s, attentionQuery: { from: 'A', xy: [11, 20] } })).toBeNull();
    const shown = shownAttention(s)!;
    expect([shown.from, shown.to]).toEqual(['A', 'B']);
    // The strongest position first, in B's original pixels: fed centre (23.5, 23.5) → (47.5, 47.5).
    expect(shown.peaks[0]).toMatchObject({ cell: 5, xy: [47.5, 47.5] });
    expect(shown.ringRadius).toBeCloseTo((0.6 * 16) / 0.5);
    expect(shownAttention({ ...s, view: 'matches' })).toBeNull();
    expect(shownAttention({ ...s, attentionLevel: 's32' })).toBeNull(); // that level was not computed

    // CoAM's pane's caption beside the classic matcher's: the point and level, what to do, or CoAM's own before a result.
    const more = { k: 10, ransac: 'off' as const, geometry: null };
    expect(attentionCaption({ ...s, ...more })).toBe('CoAM attention of A (10, 20) over B · level s16');
    expect(attentionCaption({ ...s, ...more, attentionQuery: { from: 'A', xy: [11, 20] } })).toBe('CoAM attention: computing…');
    expect(attentionCaption({ ...s, ...more, attentionQuery: null, attention: null })).toBe('CoAM attention: click a point of A (or of B)');
    expect(attentionCaption({ ...s, ...more, result: null, run: { status: 'running', runId: 4 } })).toBe('CoAM: matching…');
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
