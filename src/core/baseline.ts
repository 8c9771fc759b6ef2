/**
 * A classic matcher beside CoAM, for a fair comparison: OpenCV's detector and descriptor (from the
 * WebAssembly build of OpenCV on npm, `@techstark/opencv-js`, loaded only when asked for) on the
 * same two images at the same fed size, brute-force nearest neighbours both ways, Lowe's ratio test
 * at the same threshold as CoAM's, mutual check, sorted best first (score = 1 − ratio) so top-K is a
 * prefix of one list, and keypoints mapped back to original pixels as CoAM's are. RANSAC and inlier
 * counts then come from the same `geometry.ts` for both.
 *
 * SIFT is used where the OpenCV build has it; the npm builds of OpenCV.js up to 5.0 leave it out, so
 * `sift` falls back to AKAZE (a nonlinear scale space with binary descriptors), and says so.
 */
import { CoamError } from './errors';
import { ransacFundamental, ransacHomography } from './geometry';
import { fedSize, fedToOriginal, resizeRgba } from './image';
import { DEFAULT_MATCH_OPTIONS, type FedGeometry, type MatchesFile, type Point, type RasterImage } from './types';

export type BaselineDetector = 'sift' | 'akaze' | 'orb';
export const BASELINE_DETECTORS: readonly BaselineDetector[] = ['sift', 'akaze', 'orb'];

/** The parts of OpenCV.js this file uses (the package's own typings are far wider). */
interface CvMat {
  data: Uint8Array;
  rows: number;
  delete(): void;
}
interface CvVector<T> {
  size(): number;
  get(i: number): T;
  delete(): void;
}
interface CvKeyPoint {
  pt: { x: number; y: number };
}
interface CvDMatch {
  queryIdx: number;
  trainIdx: number;
  distance: number;
}
interface CvFeature2D {
  detectAndCompute(image: CvMat, mask: CvMat, keypoints: CvVector<CvKeyPoint>, descriptors: CvMat): void;
  delete(): void;
}
export interface OpenCv {
  Mat: new (...args: unknown[]) => CvMat;
  KeyPointVector: new () => CvVector<CvKeyPoint>;
  DMatchVectorVector: new () => CvVector<CvVector<CvDMatch>>;
  BFMatcher: new (normType: number, crossCheck: boolean) => {
    knnMatch(query: CvMat, train: CvMat, matches: CvVector<CvVector<CvDMatch>>, k: number): void;
    delete(): void;
  };
  AKAZE: new () => CvFeature2D;
  ORB: new (nfeatures: number) => CvFeature2D;
  SIFT?: new (nfeatures: number) => CvFeature2D;
  CV_8UC4: number;
  COLOR_RGBA2GRAY: number;
  NORM_HAMMING: number;
  NORM_L2: number;
  cvtColor(src: CvMat, dst: CvMat, code: number): void;
  getBuildInformation(): string;
}

/** The most keypoints SIFT and ORB keep per image (AKAZE keeps what passes its threshold). */
export const BASELINE_MAX_FEATURES = 8000;

export interface BaselineMatch {
  xyA: Point;
  xyB: Point;
  /** 1 − ratio: what the list is sorted by, descending. */
  score: number;
  /** Descriptor distance over the runner-up's, the worse of the two directions (0–1). */
  ratio: number;
  /** Descriptor distance (Hamming bits for AKAZE/ORB, L2 for SIFT). */
  distance: number;
}

export interface BaselineResult {
  /** The detector that ran (AKAZE where SIFT was asked for but the build lacks it). */
  detector: BaselineDetector;
  /** Why it is not the one asked for, when it is not. */
  fallbackReason?: string;
  /** Sorted by score, descending: top-K is a prefix. */
  matches: BaselineMatch[];
  keypointsA: number;
  keypointsB: number;
  preparedA: FedGeometry;
  preparedB: FedGeometry;
  timings: { preprocessMs: number; detectMs: number; matchMs: number; totalMs: number };
}

export interface BaselineOptions {
  detector?: BaselineDetector;
  /** The fed long side (CoAM's: the model sidecar's `inputSize.longSide`). */
  longSide: number;
  /** Each fed side a multiple of this, as CoAM's (the sidecar's `multiple`), so both see the same pixels. */
  multiple: number;
  /** Lowe's ratio test threshold, both ways (default CoAM's, 0.85; 1 keeps every mutual match). */
  maxRatio?: number;
}

/** OpenCV's version and whether its build has SIFT. */
export function openCvBuild(cv: OpenCv): { version: string; hasSift: boolean } {
  const version = /Version control:\s*(\S+)/.exec(cv.getBuildInformation())?.[1] ?? 'unknown';
  return { version, hasSift: typeof cv.SIFT === 'function' };
}

/** The detector that will run for the one asked for, and why it differs, if it does. */
export function resolveDetector(cv: OpenCv, asked: BaselineDetector): { detector: BaselineDetector; fallbackReason?: string } {
  if (!(BASELINE_DETECTORS as readonly string[]).includes(asked)) {
    throw new CoamError('bad-argument', `Unknown baseline '${asked}': one of ${BASELINE_DETECTORS.join(', ')}.`);
  }
  if (asked !== 'sift' || typeof cv.SIFT === 'function') return { detector: asked };
  return { detector: 'akaze', fallbackReason: `this OpenCV.js build (${openCvBuild(cv).version}) has no SIFT; AKAZE ran instead` };
}

let loading: Promise<{ cv: OpenCv }> | null = null;

/**
 * Loads OpenCV.js once (its WebAssembly is inside the script: ~11 MB, compiled on first use).
 * Wrapped in an object: the Emscripten module is a thenable that resolves to itself, so awaiting it
 * bare would never settle (see opencv-module.ts).
 */
export function loadOpenCv(): Promise<{ cv: OpenCv }> {
  loading ??= (async () => {
    const { opencv } = await import('./opencv-module');
    const cv = opencv.cv as OpenCv & { then?: (f: (m: unknown) => void) => void };
    if (typeof cv.Mat !== 'function') {
      await new Promise<void>((resolve, reject) => {
        if (typeof cv.then !== 'function') return reject(new CoamError('model-load', 'OpenCV.js did not load: no runtime to wait for.'));
        cv.then(() => resolve());
      });
    }
    return { cv };
  })();
  loading.catch(() => (loading = null));
  return loading;
}

/** A raster resized to the fed size, as one grey OpenCV image (the caller deletes it). */
function greyFed(cv: OpenCv, raster: RasterImage, longSide: number, multiple: number): { mat: CvMat; geometry: FedGeometry } {
  const { width, height } = fedSize(raster.width, raster.height, longSide, multiple);
  const resized = resizeRgba(raster, width, height);
  const rgba = new cv.Mat(height, width, cv.CV_8UC4);
  const grey = new cv.Mat();
  try {
    rgba.data.set(resized.data);
    cv.cvtColor(rgba, grey, cv.COLOR_RGBA2GRAY);
  } catch (e) {
    grey.delete();
    throw e;
  } finally {
    rgba.delete();
  }
  const geometry = { width, height, originalWidth: raster.width, originalHeight: raster.height, scaleX: width / raster.width, scaleY: height / raster.height };
  return { mat: grey, geometry };
}

function createDetector(cv: OpenCv, detector: BaselineDetector): CvFeature2D {
  if (detector === 'sift') return new cv.SIFT!(BASELINE_MAX_FEATURES);
  if (detector === 'orb') return new cv.ORB(BASELINE_MAX_FEATURES);
  return new cv.AKAZE();
}

/** For each query descriptor with two neighbours: its best match and the distance ratio to the runner-up. */
function bestWithRatio(matcher: InstanceType<OpenCv['BFMatcher']>, cv: OpenCv, query: CvMat, train: CvMat): Map<number, { to: number; ratio: number; distance: number }> {
  const out = new Map<number, { to: number; ratio: number; distance: number }>();
  const knn = new cv.DMatchVectorVector();
  try {
    matcher.knnMatch(query, train, knn, 2);
    for (let i = 0; i < knn.size(); i++) {
      const pair = knn.get(i);
      try {
        if (pair.size() < 2) continue;
        const best = pair.get(0);
        const second = pair.get(1);
        // Two identical descriptors at distance 0 are ambiguous, not perfect: ratio 1.
        const ratio = second.distance > 0 ? best.distance / second.distance : 1;
        out.set(best.queryIdx, { to: best.trainIdx, ratio, distance: best.distance });
      } finally {
        pair.delete();
      }
    }
  } finally {
    knn.delete();
  }
  return out;
}

/** The classic matcher on one pair; see the file comment. Deterministic for the same input. */
export function matchBaseline(cv: OpenCv, a: RasterImage, b: RasterImage, opts: BaselineOptions): BaselineResult {
  const maxRatio = opts.maxRatio ?? DEFAULT_MATCH_OPTIONS.maxRatio;
  if (!(maxRatio > 0 && maxRatio <= 1)) throw new CoamError('bad-argument', `The ratio test's threshold must be in (0, 1], got ${maxRatio}.`);
  const { detector, fallbackReason } = resolveDetector(cv, opts.detector ?? 'sift');
  const t0 = performance.now();
  const fedA = greyFed(cv, a, opts.longSide, opts.multiple);
  let fedB: ReturnType<typeof greyFed> | null = null;
  const features = createDetector(cv, detector);
  const kpA = new cv.KeyPointVector();
  const kpB = new cv.KeyPointVector();
  const descA = new cv.Mat();
  const descB = new cv.Mat();
  const none = new cv.Mat();
  const matcher = new cv.BFMatcher(detector === 'sift' ? cv.NORM_L2 : cv.NORM_HAMMING, false);
  try {
    fedB = greyFed(cv, b, opts.longSide, opts.multiple);
    const t1 = performance.now();
    features.detectAndCompute(fedA.mat, none, kpA, descA);
    features.detectAndCompute(fedB.mat, none, kpB, descB);
    const t2 = performance.now();
    const matches: BaselineMatch[] = [];
    if (kpA.size() >= 2 && kpB.size() >= 2 && descA.rows >= 2 && descB.rows >= 2) {
      const forward = bestWithRatio(matcher, cv, descA, descB);
      const backward = bestWithRatio(matcher, cv, descB, descA);
      for (const [i, f] of forward) {
        const back = backward.get(f.to);
        if (!back || back.to !== i) continue; // mutual nearest neighbours only
        const ratio = Math.max(f.ratio, back.ratio);
        if (ratio > maxRatio) continue;
        const pa = kpA.get(i).pt;
        const pb = kpB.get(f.to).pt;
        matches.push({
          xyA: fedToOriginal([pa.x, pa.y], fedA.geometry),
          xyB: fedToOriginal([pb.x, pb.y], fedB.geometry),
          score: 1 - ratio,
          ratio,
          distance: f.distance,
        });
      }
      // Best first; equal ratios by distance, then by position, so the order never depends on the map.
      matches.sort((m, n) => n.score - m.score || m.distance - n.distance || m.xyA[1] - n.xyA[1] || m.xyA[0] - n.xyA[0]);
    }
    const t3 = performance.now();
    return {
      detector,
      ...(fallbackReason ? { fallbackReason } : {}),
      matches,
      keypointsA: kpA.size(),
      keypointsB: kpB.size(),
      preparedA: fedA.geometry,
      preparedB: fedB.geometry,
      timings: { preprocessMs: t1 - t0, detectMs: t2 - t1, matchMs: t3 - t2, totalMs: t3 - t0 },
    };
  } finally {
    for (const m of [fedA.mat, fedB?.mat, kpA, kpB, descA, descB, none, features, matcher]) m?.delete();
  }
}

/** The baseline's matches in the layout `coam match --json` writes and `coam eval --matches` reads. */
export function baselineMatchesFile(
  result: BaselineResult,
  meta: { pathA?: string; pathB?: string; openCvVersion: string; longSide: number; topK?: number },
): MatchesFile {
  const k = meta.topK === undefined ? result.matches.length : Math.max(0, Math.floor(meta.topK));
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    imageA: { ...(meta.pathA ? { path: meta.pathA } : {}), width: result.preparedA.originalWidth, height: result.preparedA.originalHeight },
    imageB: { ...(meta.pathB ? { path: meta.pathB } : {}), width: result.preparedB.originalWidth, height: result.preparedB.originalHeight },
    model: { name: `opencv-${result.detector}-ratio-mnn`, version: meta.openCvVersion },
    longSide: meta.longSide,
    timings: { preprocessMs: round(result.timings.preprocessMs), matchMs: round(result.timings.detectMs + result.timings.matchMs), totalMs: round(result.timings.totalMs) },
    matches: result.matches.slice(0, k).map((m) => ({ xyA: [round(m.xyA[0]), round(m.xyA[1])], xyB: [round(m.xyB[0]), round(m.xyB[1])], score: m.score })),
  };
}

export type RansacKind = 'homography' | 'fundamental';

/** One matcher's side of the comparison: every match, the top-K prefix, and its RANSAC inliers. */
export interface MatcherCounts {
  total: number;
  shown: number;
  /** Inliers of the top-K prefix under the same RANSAC (null: too few points or no model found). */
  inliers: number | null;
}

/** The counts the comparison shows for one sorted list: the same top-K prefix and RANSAC as CoAM's. */
export function matcherCounts(sorted: ReadonlyArray<{ xyA: Point; xyB: Point }>, topK: number, ransac: RansacKind): MatcherCounts {
  return matcherFit(sorted, topK, ransac).counts;
}

/** The counts and, per shown match, whether it fits the model (null: no model). */
export function matcherFit(
  sorted: ReadonlyArray<{ xyA: Point; xyB: Point }>,
  topK: number,
  ransac: RansacKind,
): { counts: MatcherCounts; inlierFlags: Uint8Array | null } {
  const top = sorted.slice(0, Math.max(0, Math.floor(topK)));
  const src = top.map((m) => m.xyA);
  const dst = top.map((m) => m.xyB);
  const fit = ransac === 'homography' ? ransacHomography(src, dst) : ransacFundamental(src, dst);
  return { counts: { total: sorted.length, shown: top.length, inliers: fit ? fit.inlierCount : null }, inlierFlags: fit ? fit.inliers : null };
}
