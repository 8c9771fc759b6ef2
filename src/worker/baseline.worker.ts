/// <reference lib="webworker" />
/**
 * The classic matcher beside CoAM, on a thread of its own: OpenCV.js (~11 MB with its WebAssembly)
 * is imported only when the page first asks for a comparison, and never blocks a CoAM run. It keeps
 * the last pair's sorted matches and answers the counts for each top-K and RANSAC setting, fitted by
 * the same `geometry.ts` as CoAM's.
 */
import { loadOpenCv, matchBaseline, matcherFit, openCvBuild, type BaselineDetector, type BaselineResult, type MatcherCounts, type RansacKind } from '../core/baseline';
import { isCoamError } from '../core/errors';
import type { Point, RasterImage } from '../core/types';

declare const self: DedicatedWorkerGlobalScope;

/** The page's display copy of an image, and the size of the original it stands for. */
export interface BaselineImage {
  bitmap: ImageBitmap;
  originalWidth: number;
  originalHeight: number;
}

export type ToBaseline =
  | { type: 'match'; runId: number; a: BaselineImage; b: BaselineImage; detector: BaselineDetector; longSide: number; multiple: number; maxRatio: number }
  | { type: 'counts'; runId: number; k: number; ransac: RansacKind | 'off' };

export type FromBaseline =
  | { type: 'loading'; runId: number }
  | {
      type: 'result';
      runId: number;
      detector: BaselineDetector;
      fallbackReason?: string;
      openCv: string;
      total: number;
      /** Every match, sorted best first: [xA, yA, xB, yB] each (original pixels), and its score (1 − ratio). */
      pairs: Float32Array;
      scores: Float32Array;
      keypointsA: number;
      keypointsB: number;
      ms: number;
      loadMs: number;
    }
  | { type: 'counts'; runId: number; k: number; ransac: RansacKind | 'off'; counts: MatcherCounts; shown: BaselineShown }
  | { type: 'error'; runId: number; message: string };

/** The shown prefix, for the comparison figure: its lines (original pixels), RANSAC's verdicts, the fed sizes. */
export interface BaselineShown {
  matches: Array<{ xyA: Point; xyB: Point }>;
  inlierFlags: Uint8Array | null;
  fedA: [number, number];
  fedB: [number, number];
}

let last: { runId: number; result: BaselineResult } | null = null;

/** The display copy's pixels (the original's, or fewer past 4096 px on the long side). */
function rasterOf(bitmap: ImageBitmap): RasterImage {
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas in this worker');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { width, height, data: ctx.getImageData(0, 0, width, height).data };
}

/** Display-copy pixels → the original's (pixel-centre convention), so RANSAC's px threshold means what CoAM's does. */
function toOriginal(p: Point, from: { width: number; height: number }, to: BaselineImage): Point {
  if (from.width === to.originalWidth && from.height === to.originalHeight) return p;
  return [((p[0] + 0.5) * to.originalWidth) / from.width - 0.5, ((p[1] + 0.5) * to.originalHeight) / from.height - 0.5];
}

async function run(msg: Extract<ToBaseline, { type: 'match' }>): Promise<void> {
  const t0 = performance.now();
  if (!last) self.postMessage({ type: 'loading', runId: msg.runId } satisfies FromBaseline);
  const { cv } = await loadOpenCv();
  const loadMs = performance.now() - t0;
  const a = rasterOf(msg.a.bitmap);
  const b = rasterOf(msg.b.bitmap);
  const result = matchBaseline(cv, a, b, {
    detector: msg.detector,
    longSide: msg.longSide,
    multiple: msg.multiple,
    maxRatio: msg.maxRatio,
  });
  for (const m of result.matches) {
    m.xyA = toOriginal(m.xyA, a, msg.a);
    m.xyB = toOriginal(m.xyB, b, msg.b);
  }
  last = { runId: msg.runId, result };
  const pairs = new Float32Array(result.matches.length * 4);
  const scores = new Float32Array(result.matches.length);
  result.matches.forEach((m, i) => {
    pairs.set([m.xyA[0], m.xyA[1], m.xyB[0], m.xyB[1]], i * 4);
    scores[i] = m.score;
  });
  const done: FromBaseline = {
    type: 'result',
    runId: msg.runId,
    detector: result.detector,
    ...(result.fallbackReason ? { fallbackReason: result.fallbackReason } : {}),
    openCv: openCvBuild(cv).version,
    total: result.matches.length,
    pairs,
    scores,
    keypointsA: result.keypointsA,
    keypointsB: result.keypointsB,
    ms: result.timings.totalMs,
    loadMs,
  };
  self.postMessage(done, [pairs.buffer, scores.buffer]);
}

self.onmessage = async (event: MessageEvent<ToBaseline>) => {
  const msg = event.data;
  try {
    if (msg.type === 'match') {
      await run(msg);
    } else if (last && last.runId === msg.runId) {
      const { matches, preparedA, preparedB } = last.result;
      const fit =
        msg.ransac === 'off'
          ? { counts: { total: matches.length, shown: Math.min(msg.k, matches.length), inliers: null }, inlierFlags: null }
          : matcherFit(matches, msg.k, msg.ransac);
      const shown: BaselineShown = {
        matches: matches.slice(0, fit.counts.shown).map((m) => ({ xyA: m.xyA, xyB: m.xyB })),
        inlierFlags: fit.inlierFlags,
        fedA: [preparedA.width, preparedA.height],
        fedB: [preparedB.width, preparedB.height],
      };
      self.postMessage({ type: 'counts', runId: msg.runId, k: msg.k, ransac: msg.ransac, counts: fit.counts, shown } satisfies FromBaseline);
    }
  } catch (e) {
    const message = isCoamError(e) || e instanceof Error ? e.message : String(e);
    self.postMessage({ type: 'error', runId: msg.runId, message: message || 'unknown error' } satisfies FromBaseline);
  }
};
