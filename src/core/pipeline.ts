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
import { DEFAULT_MATCH_OPTIONS } from './types';
import type { DenseOutput, Match, MatchesFile, MatchOptions, PairResult, Point, PreparedImage, RasterImage, Timings } from './types';

export type PipelineStage = 'preprocess' | 'encode' | 'passAB' | 'passBA' | 'match';

export interface MatchPairOptions {
  /** Long side the images are fed at; default the sidecar's inputSize.longSide. */
  longSide?: number;
  match?: Partial<MatchOptions>;
  /**
   * 'pair' (the paper): A conditioned on B and B on A. 'self': each image conditioned on itself,
   * an ablation that shows what the co-attention adds.
   */
  conditioning?: 'pair' | 'self';
  onProgress?: (stage: PipelineStage, fraction: number) => void;
}

type Geometry = Omit<PreparedImage, 'tensor'>;

function geometryOf(p: PreparedImage): Geometry {
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
  // Each side is refined towards the other side's descriptor, then mapped to original pixels.
  const position = (dense: DenseOutput, cell: number, other: DenseOutput, otherCell: number): Point => {
    const [x, y] = cellCenterFed(cell, dense.gridWidth, dense.stride);
    if (!opts.subpixel) return [x, y];
    const [dx, dy] = refineSubcell(dense, cell, descriptorAt(other, otherCell));
    return [x + dx * dense.stride, y + dy * dense.stride];
  };
  return raw.map((m) => ({
    xyA: fedToOriginal(position(denseA, m.cellA, denseB, m.cellB), geometryA),
    xyB: fedToOriginal(position(denseB, m.cellB, denseA, m.cellA), geometryB),
    score: m.score,
    similarity: m.similarity,
    distinctivenessA: m.distinctivenessA,
    distinctivenessB: m.distinctivenessB,
    cellA: m.cellA,
    cellB: m.cellB,
  }));
}

/** Match one pair of decoded images. Timings are wall-clock (performance.now()). */
export async function matchPair(
  model: CoamModel,
  a: RasterImage,
  b: RasterImage,
  options: MatchPairOptions = {},
): Promise<PairResult> {
  const progress = options.onProgress ?? (() => undefined);
  const { multiple } = model.info;
  const longSide = options.longSide ?? model.info.inputSize.longSide;
  const t0 = performance.now();
  progress('preprocess', 0);
  const prepA = prepareImage(a, longSide, multiple);
  progress('preprocess', 0.5);
  const prepB = prepareImage(b, longSide, multiple);
  progress('preprocess', 1);
  const t1 = performance.now();

  const self = options.conditioning === 'self';
  let encodeMs: number | undefined;
  let denseA: DenseOutput;
  let denseB: DenseOutput;
  let t2: number; // pass A|B started
  let t3: number; // pass B|A started
  if (model.hasSplit) {
    let encA: EncodedImage | null = null;
    let encB: EncodedImage | null = null;
    try {
      progress('encode', 0);
      encA = await model.encode(prepA);
      progress('encode', 0.5);
      encB = await model.encode(prepB);
      progress('encode', 1);
      t2 = performance.now();
      encodeMs = t2 - t1;
      progress('passAB', 0);
      denseA = await model.decode(encA, self ? encA : encB);
      progress('passAB', 1);
      t3 = performance.now();
      progress('passBA', 0);
      denseB = await model.decode(encB, self ? encB : encA);
      progress('passBA', 1);
    } finally {
      encA?.dispose();
      encB?.dispose();
    }
  } else {
    t2 = t1;
    progress('passAB', 0);
    denseA = await model.run(prepA, self ? prepA : prepB);
    progress('passAB', 1);
    t3 = performance.now();
    progress('passBA', 0);
    denseB = await model.run(prepB, self ? prepB : prepA);
    progress('passBA', 1);
  }
  const tPasses = performance.now();

  progress('match', 0);
  const matches = matchesFromDense(denseA, denseB, prepA, prepB, options.match);
  progress('match', 1);
  const t4 = performance.now();

  const timings: Timings = {
    preprocessMs: t1 - t0,
    ...(encodeMs !== undefined ? { encodeMs } : {}),
    passABMs: t3 - t2,
    passBAMs: tPasses - t3,
    matchMs: t4 - tPasses,
    totalMs: t4 - t0,
  };
  return {
    matches,
    denseA,
    denseB,
    preparedA: geometryOf(prepA),
    preparedB: geometryOf(prepB),
    timings,
    backend: model.backend,
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
