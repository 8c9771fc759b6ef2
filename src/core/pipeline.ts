/**
 * One pair, end to end: pixels → fed tensors → the network twice (A|B, B|A) → matchDense →
 * matches in ORIGINAL pixels, sorted by score (top-K is a prefix). Browser-safe.
 *
 * With the split graphs (model.hasSplit) each image is encoded once ('encode') and only the
 * conditioned decoder runs per pass; otherwise each pass is the contract graph, encoding both.
 */
import { fedToOriginal, prepareImage } from './image';
import { cellCenterFed, descriptorAt, matchDense, refineSubcell } from './matching';
import type { CoamModel, EncodedImage } from './model';
import {
  autoFineViews,
  checkView,
  fineTurn,
  fineViews,
  firmlyHolds,
  needsSearch,
  probeViews,
  rescueViews,
  searchViews,
  turnFromProbes,
  turnRaster,
  unturnDense,
  unturnGeometry,
  VERIFY_TOP,
  verifyMatches,
  wantsFineViews,
  wantsMoreViews,
} from './views';
import type { QuarterTurns, SearchMode, View, ViewCheck } from './views';
import { DEFAULT_MATCH_OPTIONS } from './types';
import type { Conditioning, DenseOutput, FedGeometry, Match, MatchesFile, MatchOptions, PairResult, Point, PreparedImage, RasterImage, Slot, Timings } from './types';

export type PipelineStage = 'preprocess' | 'encode' | 'passAB' | 'passBA' | 'match' | 'search';

export interface MatchPairOptions {
  /** Long side the images are fed at; default the sidecar's inputSize.longSide. */
  longSide?: number;
  match?: Partial<MatchOptions>;
  /**
   * 'pair' (the paper): A conditioned on B and B on A. 'self': each image conditioned on itself,
   * an ablation that shows what the co-attention adds.
   */
  conditioning?: Conditioning;
  /**
   * Test-time views (views.ts): 'off' (the default here) feeds the images as given; 'auto' runs
   * other views only when the upright matches do not hold together (or hold with few inliers);
   * 'full' tries B turned and either image at half size when the upright matches fail the
   * homography check, then the fine views for every pair; 'always' tries every view. The CLI and
   * the app default to 'auto'.
   */
  search?: SearchMode;
  /**
   * Called with the upright view's result when the search is about to try other views, so a
   * caller can show those matches meanwhile. Not called when there is no search.
   */
  onUpright?: (result: PairResult) => void;
  onProgress?: (stage: PipelineStage, fraction: number) => void;
  /**
   * Checked before the first view, and before running and before matching each further one: once
   * aborted, the run stops there and rejects with the signal's reason (the app aborts a run when
   * a newer one is asked for).
   */
  signal?: AbortSignal;
  /**
   * With the split graphs: given the encodings of the kept view (A, and B as that view fed it),
   * which then belong to the caller (dispose them), so the co-attention view can run on them
   * without encoding again. Not called when the run fails or is aborted.
   */
  keepEncoded?: (kept: KeptEncodings) => void;
}

/** The encoder's outputs of the view a pair's result comes from, and how to read them. */
export interface KeptEncodings {
  a: EncodedImage;
  /** B as the kept view fed it: turned clockwise by `quarterTurns`. */
  b: EncodedImage;
  quarterTurns: QuarterTurns;
  /** The fed geometry of each image in its own (unturned) frame, as in the result. */
  geometryA: FedGeometry;
  geometryB: FedGeometry;
}

function geometryOf(p: PreparedImage): FedGeometry {
  const { tensor: _tensor, ...rest } = p;
  return rest;
}

/**
 * Match two dense outputs and map cell centres to original pixels. Exposed so a caller holding the
 * dense outputs (the worker) can re-match with other options without running the network again.
 */
export function matchesFromDense(
  denseA: DenseOutput,
  denseB: DenseOutput,
  geometryA: Pick<PreparedImage, 'scaleX' | 'scaleY'>,
  geometryB: Pick<PreparedImage, 'scaleX' | 'scaleY'>,
  options: Partial<MatchOptions> = {},
): Match[] {
  const opts = { ...DEFAULT_MATCH_OPTIONS, ...options };
  const raw = matchDense(denseA, denseB, opts);
  // A's point is its cell centre (the query); B's is refined below the grid towards A's descriptor.
  // (Moving the query too measured worse: MMA@3px 0.194 for this search on both points, 0.202 for
  // the earlier parabolas on both, 0.216 for B alone; step 18,911, upright, ../shared/data/val.)
  const positionB = (cellB: number, cellA: number): Point => {
    const [x, y] = cellCenterFed(cellB, denseB.gridWidth, denseB.stride);
    if (!opts.subpixel) return [x, y];
    const [dx, dy] = refineSubcell(denseB, cellB, descriptorAt(denseA, cellA));
    return [x + dx * denseB.stride, y + dy * denseB.stride];
  };
  return raw.map((m) => ({
    xyA: fedToOriginal(cellCenterFed(m.cellA, denseA.gridWidth, denseA.stride), geometryA),
    xyB: fedToOriginal(positionB(m.cellB, m.cellA), geometryB),
    score: m.score,
    similarity: m.similarity,
    distinctivenessA: m.distinctivenessA,
    distinctivenessB: m.distinctivenessB,
    ratio: m.ratio,
    cellA: m.cellA,
    cellB: m.cellB,
  }));
}

/** Dense outputs of one view, in the unturned frame of each image. */
export interface ViewRun {
  denseA: DenseOutput;
  denseB: DenseOutput;
  geometryA: FedGeometry;
  geometryB: FedGeometry;
  preprocessMs: number;
  encodeMs?: number;
  passABMs: number;
  passBAMs: number;
  /** performance.now() when preparing began and when the second pass ended. */
  startedAt: number;
  endedAt: number;
}

/** 'B1@320': image B turned once, fed at a long side of 320 (with '' for the side: the prefix of all sizes). */
const cacheKey = (slot: Slot, quarterTurns: QuarterTurns, longSide: number | ''): string => `${slot}${quarterTurns}@${longSide}`;

/**
 * Runs views of one pair, preparing and (with the split graphs) encoding each image once per
 * turn and size however many views use it. `dispose` frees the encodings. (bench/views.ts runs
 * every view through it to replay search policies.)
 */
export class ViewRunner {
  private readonly prepared = new Map<string, PreparedImage>();
  private readonly encoded = new Map<string, EncodedImage>();
  private readonly turned = new Map<QuarterTurns, RasterImage>();

  constructor(
    private readonly model: CoamModel,
    private readonly a: RasterImage,
    private readonly b: RasterImage,
    private readonly self: boolean,
  ) {}

  private prepare(slot: Slot, quarterTurns: QuarterTurns, longSide: number): PreparedImage {
    const key = cacheKey(slot, quarterTurns, longSide);
    let prep = this.prepared.get(key);
    if (!prep) {
      let raster = this.a;
      if (slot === 'B') {
        raster = this.turned.get(quarterTurns) ?? turnRaster(this.b, quarterTurns);
        this.turned.set(quarterTurns, raster);
      }
      prep = prepareImage(raster, longSide, this.model.info.multiple);
      this.prepared.set(key, prep);
    }
    return prep;
  }

  private async encode(slot: Slot, quarterTurns: QuarterTurns, longSide: number): Promise<EncodedImage> {
    const key = cacheKey(slot, quarterTurns, longSide);
    let enc = this.encoded.get(key);
    if (!enc) {
      enc = await this.model.encode(this.prepare(slot, quarterTurns, longSide));
      this.encoded.set(key, enc);
    }
    return enc;
  }

  /** A view's encodings, handed over: `dispose` no longer frees them (encoded now if they were dropped). */
  async take(view: View): Promise<{ a: EncodedImage; b: EncodedImage }> {
    const a = await this.encode('A', 0, view.longSideA);
    const b = await this.encode('B', view.quarterTurns, view.longSideB);
    this.encoded.delete(cacheKey('A', 0, view.longSideA));
    this.encoded.delete(cacheKey('B', view.quarterTurns, view.longSideB));
    return { a, b };
  }

  /** Encodings of B at other turns are dropped as the search moves on (they are not reused). */
  forgetTurn(quarterTurns: QuarterTurns): void {
    const prefix = cacheKey('B', quarterTurns, '');
    for (const [key, enc] of this.encoded) {
      if (key.startsWith(prefix)) {
        enc.dispose();
        this.encoded.delete(key);
      }
    }
    for (const key of this.prepared.keys()) if (key.startsWith(prefix)) this.prepared.delete(key);
    this.turned.delete(quarterTurns);
  }

  async run(view: View, progress: (stage: PipelineStage, fraction: number) => void = () => undefined): Promise<ViewRun> {
    const { quarterTurns: k, longSideA, longSideB } = view;
    const tp = performance.now();
    progress('preprocess', 0);
    const prepA = this.prepare('A', 0, longSideA);
    progress('preprocess', 0.5);
    const prepB = this.prepare('B', k, longSideB);
    progress('preprocess', 1);
    const t0 = performance.now();
    let denseA: DenseOutput;
    let denseB: DenseOutput;
    let encodeMs: number | undefined;
    let t1: number; // pass A|B started
    let t2: number; // pass B|A started
    if (this.model.hasSplit) {
      progress('encode', 0);
      const encA = await this.encode('A', 0, longSideA);
      progress('encode', 0.5);
      const encB = await this.encode('B', k, longSideB);
      progress('encode', 1);
      t1 = performance.now();
      encodeMs = t1 - t0;
      progress('passAB', 0);
      denseA = await this.model.decode(encA, this.self ? encA : encB);
      progress('passAB', 1);
      t2 = performance.now();
      progress('passBA', 0);
      denseB = await this.model.decode(encB, this.self ? encB : encA);
      progress('passBA', 1);
    } else {
      t1 = t0;
      progress('passAB', 0);
      denseA = await this.model.run(prepA, this.self ? prepA : prepB);
      progress('passAB', 1);
      t2 = performance.now();
      progress('passBA', 0);
      denseB = await this.model.run(prepB, this.self ? prepB : prepA);
      progress('passBA', 1);
    }
    const t3 = performance.now();
    return {
      denseA,
      denseB: unturnDense(denseB, k),
      geometryA: geometryOf(prepA),
      geometryB: unturnGeometry(geometryOf(prepB), k),
      preprocessMs: t0 - tp,
      ...(encodeMs !== undefined ? { encodeMs } : {}),
      passABMs: t2 - t1,
      passBAMs: t3 - t2,
      startedAt: tp,
      endedAt: t3,
    };
  }

  dispose(): void {
    for (const enc of this.encoded.values()) enc.dispose();
    this.encoded.clear();
    this.prepared.clear();
    this.turned.clear();
  }
}

/**
 * Match one pair of decoded images. With `search` other than 'off', more views of the pair may run
 * (views.ts): 'auto' only when the upright matches do not hold together, the coarse views most
 * likely first up to the first that holds firmly, and the fine views when none did or the kept
 * view's inliers are few; 'full' every coarse view when the upright check fails, then the fine
 * views for every pair; 'always' every view. The best-verified view is kept. Timings are
 * wall-clock (performance.now()); those of the passes are the upright view's, and `searchMs` is
 * the time spent on the other views.
 */
export async function matchPair(
  model: CoamModel,
  a: RasterImage,
  b: RasterImage,
  options: MatchPairOptions = {},
): Promise<PairResult> {
  const progress = options.onProgress ?? (() => undefined);
  const longSide = options.longSide ?? model.info.inputSize.longSide;
  const mode = options.search ?? 'off';
  options.signal?.throwIfAborted();
  const runner = new ViewRunner(model, a, b, options.conditioning === 'self');
  try {
    const upright: View = { quarterTurns: 0, longSideA: longSide, longSideB: longSide };
    // The upright view, with the pipeline's usual progress stages.
    const first = await runner.run(upright, progress);
    progress('match', 0);
    let best = { run: first, view: upright, matches: matchesFromDense(first.denseA, first.denseB, first.geometryA, first.geometryB, options.match) };
    const sizeA = { width: a.width, height: a.height };
    const sizeB = { width: b.width, height: b.height };
    const verifyLongSide = model.info.inputSize.longSide;
    // The check counts as matching (a few ms: RANSAC on 200 matches). Only 'auto' asks whether a
    // view fits one epipolar geometry; every mode keeps the view with the most homography inliers.
    const check = (matches: Match[]): ViewCheck =>
      mode === 'auto'
        ? checkView(matches, sizeA, sizeB, verifyLongSide)
        : { checked: Math.min(VERIFY_TOP, matches.length), homography: verifyMatches(matches, sizeA, sizeB, verifyLongSide), epipolar: 0 };
    let bestCheck = mode === 'off' ? null : check(best.matches);
    progress('match', 1);
    const tMatch = performance.now();
    let tried = 1;
    if (bestCheck && wantsMoreViews(mode, bestCheck)) {
      options.onUpright?.(resultOf(best, { ...firstTimings(first, tMatch), totalMs: tMatch - first.startedAt }, bestCheck.homography, 1));
      // For progress: the most views this mode can still run ('auto': probes, its turn's three, the fine four).
      const coarse = mode === 'auto' ? [] : mode === 'always' || needsSearch(bestCheck.homography, bestCheck.checked) ? searchViews(longSide).slice(1) : [];
      const expected = mode === 'auto' ? 4 + 3 + autoFineViews(longSide, 0).length : coarse.length + fineViews(longSide, 0).length;
      const tryView = async (view: View): Promise<{ check: ViewCheck; matches: number }> => {
        await yieldToEventLoop(options.signal);
        progress('search', Math.min(0.99, (tried - 1) / Math.max(1, expected)));
        const run = await runner.run(view);
        await yieldToEventLoop(options.signal); // matching a fine view takes a second or more
        const matches = matchesFromDense(run.denseA, run.denseB, run.geometryA, run.geometryB, options.match);
        const c = check(matches);
        tried++;
        if (c.homography > bestCheck!.homography) {
          bestCheck = c;
          best = { run, view, matches };
        }
        return { check: c, matches: matches.length };
      };
      /** Tries views in order until `enough` says stop; returns what each view found. */
      const tryViews = async (views: View[], enough: (c: ViewCheck) => boolean = () => false) => {
        const found: Array<{ view: View; check: ViewCheck; matches: number }> = [];
        for (const view of views) {
          found.push({ view, ...(await tryView(view)) });
          if (enough(found[found.length - 1].check)) break;
        }
        return found;
      };
      /** B's encodings at the other turns are dropped once no planned view needs them. */
      const forgetTurnsBut = (...kept: QuarterTurns[]) => {
        for (const k of [1, 2, 3] as const) if (!kept.includes(k) && k !== best.view.quarterTurns) runner.forgetTurn(k);
      };
      if (mode === 'auto') {
        // Cheap probes name the turn (if any); the views at that turn run until one holds firmly,
        // and the fine views only when none did.
        const probes = await tryViews(probeViews(longSide));
        const turn = turnFromProbes(probes);
        forgetTurnsBut(turn);
        if (!firmlyHolds(bestCheck)) await tryViews(rescueViews(longSide, turn), firmlyHolds);
        const fine = fineTurn(best.view, bestCheck);
        forgetTurnsBut(fine);
        if (wantsFineViews(bestCheck)) await tryViews(autoFineViews(longSide, fine));
      } else {
        // One turn at a time: B's encodings at a turn are dropped once its views are done.
        let turn: QuarterTurns = 0;
        for (const view of coarse) {
          if (view.quarterTurns !== turn && turn !== best.view.quarterTurns) runner.forgetTurn(turn);
          turn = view.quarterTurns;
          await tryViews([view]);
        }
        forgetTurnsBut();
        await tryViews(fineViews(longSide, best.view.quarterTurns));
      }
      progress('search', 1);
    }
    const tEnd = performance.now();
    const timings: Timings = {
      ...firstTimings(first, tMatch),
      ...(tried > 1 ? { searchMs: tEnd - tMatch } : {}),
      totalMs: (tried > 1 ? tEnd : tMatch) - first.startedAt,
    };
    if (options.keepEncoded && model.hasSplit) {
      options.signal?.throwIfAborted();
      const kept = await runner.take(best.view);
      options.keepEncoded({ ...kept, quarterTurns: best.view.quarterTurns, geometryA: best.run.geometryA, geometryB: best.run.geometryB });
    }
    return resultOf(best, timings, Math.max(0, bestCheck?.homography ?? 0), tried);
  } finally {
    runner.dispose();
  }

  function resultOf(kept: { run: ViewRun; view: View; matches: Match[] }, timings: Timings, inliers: number, tried: number): PairResult {
    return {
      matches: kept.matches,
      denseA: kept.run.denseA,
      denseB: kept.run.denseB,
      preparedA: kept.run.geometryA,
      preparedB: kept.run.geometryB,
      timings,
      backend: model.backend,
      view: { ...kept.view, longSide, inliers, tried },
    };
  }
}

/**
 * With a signal: lets the event loop deliver pending messages (a worker's abort arrives as one, and
 * inference and matching resolve without ever yielding to it), then throws if aborted.
 */
async function yieldToEventLoop(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await new Promise((resolve) => setTimeout(resolve, 0));
  signal.throwIfAborted();
}

/** The upright view's timings, matching (and the geometric check) up to `matchedAt`. */
function firstTimings(first: ViewRun, matchedAt: number): Omit<Timings, 'totalMs'> {
  return {
    preprocessMs: first.preprocessMs,
    ...(first.encodeMs !== undefined ? { encodeMs: first.encodeMs } : {}),
    passABMs: first.passABMs,
    passBAMs: first.passBAMs,
    matchMs: matchedAt - first.endedAt,
  };
}

export interface MatchesFileMeta {
  pathA?: string;
  pathB?: string;
  model?: { name: string; version: string };
  longSide?: number;
  /** Keep only the first topK matches (the list is sorted, so this is the top-K). */
  topK?: number;
}

/** The JSON `coam match --json` writes and `coam eval --matches` reads. */
export function toMatchesFile(result: PairResult, meta: MatchesFileMeta = {}): MatchesFile {
  const k = meta.topK === undefined ? result.matches.length : Math.max(0, Math.floor(meta.topK));
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    imageA: { ...(meta.pathA ? { path: meta.pathA } : {}), width: result.preparedA.originalWidth, height: result.preparedA.originalHeight },
    imageB: { ...(meta.pathB ? { path: meta.pathB } : {}), width: result.preparedB.originalWidth, height: result.preparedB.originalHeight },
    ...(meta.model ? { model: { name: meta.model.name, version: meta.model.version } } : {}),
    ...(meta.longSide !== undefined ? { longSide: meta.longSide } : {}),
    timings: Object.fromEntries(Object.entries(result.timings).map(([key, v]) => [key, Math.round(v * 10) / 10])) as Partial<Timings>,
    matches: result.matches.slice(0, k).map((m) => ({
      xyA: [round(m.xyA[0]), round(m.xyA[1])],
      xyB: [round(m.xyB[0]), round(m.xyB[1])],
      score: m.score,
    })),
  };
}

/** CSV, one match per line, sorted as given: xA,yA,xB,yB,score,similarity,distinctivenessA,distinctivenessB. */
export function matchesToCsv(matches: ReadonlyArray<Pick<Match, 'xyA' | 'xyB' | 'score'> & Partial<Match>>): string {
  const lines = ['xA,yA,xB,yB,score,similarity,distinctivenessA,distinctivenessB'];
  const f = (v: number | undefined, digits: number) => (v === undefined ? '' : Number(v.toFixed(digits)).toString());
  for (const m of matches) {
    lines.push(
      [f(m.xyA[0], 3), f(m.xyA[1], 3), f(m.xyB[0], 3), f(m.xyB[1], 3), f(m.score, 6), f(m.similarity, 6), f(m.distinctivenessA, 6), f(m.distinctivenessB, 6)].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** MatchesFile as JSON text: readable header, one match per line (compact but diff-friendly). */
export function matchesFileToJson(file: MatchesFile): string {
  const { matches, ...header } = file;
  const head = JSON.stringify(header, null, 1);
  const body = matches.map((m) => ' ' + JSON.stringify(m)).join(',\n');
  return `${head.slice(0, -2)},\n "matches": [\n${body}\n ]\n}\n`;
}
