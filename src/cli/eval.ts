/**
 * `coam eval DATA_DIR`: the field's standard numbers on homography / epipolar / pose pairs, from
 * the model or from precomputed matches (--matches), scored by exactly the same code.
 *
 *  homography: MMA at 1,2,3,5,10 px over the top-K matches (mean over pairs); RANSAC homography
 *              (3 px) → mean error of the 4 mapped corners of image 1; fraction of pairs under
 *              1/3/5/10 px (a failed estimate counts as over every threshold).
 *  epipolar:   RANSAC fundamental matrix → mean symmetric epipolar distance of corr.txt per pair;
 *              success = that mean under 5 / 10 px; mean RANSAC inlier count.
 *  pose:       essential matrix on K-normalised matches (threshold 1 px / mean focal), recoverPose;
 *              error = max(rotation angle, translation direction angle); AUC at 5/10/20°.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { CoamError } from '../core/errors';
import { normalizePoints, ransacEssential, ransacFundamental, ransacHomography, recoverPose } from '../core/geometry';
import { imageSize } from '../core/image';
import { cornerError, fractionBelow, matchingAccuracy, poseAuc, poseErrorDeg, symmetricEpipolarDistance } from '../core/metrics';
import type { CoamModel } from '../core/model';
import { loadModel, loadOrt, readImage } from '../core/node';
import { matchesFileToJson, matchPair, toMatchesFile } from '../core/pipeline';
import type { Conditioning, MatchesFile, MatchOptions, Point } from '../core/types';
import { viewChanges, type SearchMode, type ViewChoice } from '../core/views';
import { EVAL_USAGE, intOption, matchOptionsFrom, parse, searchOption, strOption } from './args';
import { discover, GROUPS, matchesPath, type Group, type PairSpec } from './dataset';
import type { Io } from './io';
import { writeOut } from './match';
import { cell, formatTable } from './table';

export const MMA_THRESHOLDS_PX = [1, 2, 3, 5, 10];
export const HOMOGRAPHY_THRESHOLDS_PX = [1, 3, 5, 10];
export const EPIPOLAR_THRESHOLDS_PX = [5, 10];
export const POSE_THRESHOLDS_DEG = [5, 10, 20];
export const HOMOGRAPHY_RANSAC_PX = 3;
export const ESSENTIAL_RANSAC_PX = 1;
const IMAGE_ERRORS = new Set(['not-an-image', 'unsupported-format', 'corrupt-image', 'empty-image', 'image-too-large']);

export const EVAL_OPTIONS = {
  'top-k': { type: 'string' },
  'long-side': { type: 'string' },
  model: { type: 'string' },
  sidecar: { type: 'string' },
  json: { type: 'string' },
  matches: { type: 'string' },
  'save-matches': { type: 'string' },
  'self-condition': { type: 'boolean' },
  limit: { type: 'string' },
  verbose: { type: 'boolean' },
  threads: { type: 'string' },
  candidates: { type: 'string' },
  mutual: { type: 'string' },
  ratio: { type: 'string' },
  search: { type: 'string' },
} as const;

export interface EvalOptions {
  topK: number;
  match?: Partial<MatchOptions>;
  longSide?: number;
  modelPath?: string;
  sidecarPath?: string;
  matchesDir?: string;
  saveMatchesDir?: string;
  selfCondition?: boolean;
  /** Test-time views (core/views.ts); default 'auto'. */
  search?: SearchMode;
  limit?: number;
  verbose?: boolean;
  threads?: number;
}

type SimpleMatch = { xyA: Point; xyB: Point; score: number };

export interface PairReport {
  group: Group;
  id: string;
  imageA: string;
  imageB: string;
  /** Matches scored (the top-K prefix). */
  matches: number;
  /** Why this pair has no matches (missing or unreadable matches file). */
  note?: string;
  /** Both network passes (A|B + B|A, with the encoding when the model is split), ms; model runs only. */
  modelMs?: number;
  /** Decode + pre-processing + both passes + matching (+ the search), ms; model runs only. */
  pairMs?: number;
  /** The view the matches come from, when the search tried more than the upright one. */
  view?: ViewChoice;
  inliers: number;
  /** homography */
  mma?: number[];
  cornerErrorPx?: number;
  /** epipolar */
  epipolarErrorPx?: number;
  /** pose */
  poseErrorDeg?: number;
}

export interface GroupSummary {
  pairs: number;
  meanMatches: number;
  meanInliers: number;
  /** pairs whose geometry could not be estimated (too few matches, degenerate) or whose matches were missing */
  failures: number;
  missing: number;
  [metric: string]: number | number[] | Record<string, number>;
}

export interface EvalReport {
  dataDir: string;
  source:
    | { kind: 'model'; name: string; version: string; backend: string; longSide: number; conditioning: Conditioning; search: SearchMode }
    | { kind: 'matches'; dir: string };
  topK: number;
  groups: Partial<Record<Group, { summary: GroupSummary; pairs: PairReport[] }>>;
  notes: string[];
  timing: { pairs: number; medianModelMs: number | null; medianPairMs: number | null };
  /** Model runs with a search: pairs that tried other views, and pairs that kept one. */
  search?: { searched: number; changed: number; medianSearchMs: number | null };
}

function median(v: number[]): number | null {
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function avg(v: number[]): number {
  return v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length;
}

function finiteMean(v: number[]): number {
  return avg(v.filter(Number.isFinite));
}

/** Read and check a MatchesFile; throws bad-data with what is wrong. */
export function readMatchesFile(path: string): MatchesFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CoamError('bad-data', `${path} is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
  const f = json as MatchesFile;
  if (typeof json !== 'object' || json === null || !Array.isArray(f.matches)) {
    throw new CoamError('bad-data', `${path} has no 'matches' array.`);
  }
  const pt = (p: unknown) => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v));
  f.matches.forEach((m, i) => {
    if (!m || !pt(m.xyA) || !pt(m.xyB) || typeof m.score !== 'number') {
      throw new CoamError('bad-data', `${path}: match ${i} needs xyA [x,y], xyB [x,y] and a numeric score.`);
    }
  });
  return f;
}

/** Scores one pair's matches against its ground truth. */
export function scorePair(pair: PairSpec, matches: SimpleMatch[], sizeA: { width: number; height: number }, topK: number): Omit<PairReport, 'imageA' | 'imageB'> {
  const top = matches.slice(0, topK);
  const a = top.map((m) => m.xyA);
  const b = top.map((m) => m.xyB);
  const base = { group: pair.group, id: pair.id, matches: top.length, inliers: 0 };
  if (pair.group === 'homography') {
    const H = pair.H!;
    const mma = matchingAccuracy(top, H, MMA_THRESHOLDS_PX);
    const r = top.length >= 4 ? ransacHomography(a, b, { threshold: HOMOGRAPHY_RANSAC_PX }) : null;
    return { ...base, inliers: r?.inlierCount ?? 0, mma, cornerErrorPx: cornerError(r?.H ?? null, H, sizeA.width, sizeA.height) };
  }
  if (pair.group === 'epipolar') {
    const r = top.length >= 8 ? ransacFundamental(a, b) : null;
    const err = r ? avg(symmetricEpipolarDistance(r.F, pair.corr!)) : Infinity;
    return { ...base, inliers: r?.inlierCount ?? 0, epipolarErrorPx: Number.isNaN(err) ? Infinity : err };
  }
  const K1 = pair.K1!;
  const K2 = pair.K2!;
  const a1 = normalizePoints(a, K1);
  const b1 = normalizePoints(b, K2);
  const focal = (K1[0] + K1[4] + K2[0] + K2[4]) / 4;
  const r = top.length >= 8 ? ransacEssential(a1, b1, { threshold: ESSENTIAL_RANSAC_PX / focal }) : null;
  let err = Infinity;
  if (r) {
    const pose = recoverPose(r.E, a1, b1, r.inliers);
    err = poseErrorDeg(pose.R, pose.t, pair.R!, pair.t!);
  }
  return { ...base, inliers: r?.inlierCount ?? 0, poseErrorDeg: err };
}

function summarise(group: Group, pairs: PairReport[]): GroupSummary {
  const failuresOf = (v: Array<number | undefined>) => v.filter((x) => x === undefined || !Number.isFinite(x)).length;
  const common = {
    pairs: pairs.length,
    meanMatches: avg(pairs.map((p) => p.matches)),
    meanInliers: avg(pairs.map((p) => p.inliers)),
    missing: pairs.filter((p) => p.note !== undefined).length,
  };
  if (group === 'homography') {
    const errs = pairs.map((p) => p.cornerErrorPx ?? Infinity);
    const mma = MMA_THRESHOLDS_PX.map((_, i) => avg(pairs.map((p) => p.mma?.[i] ?? 0)));
    return {
      ...common,
      failures: failuresOf(errs),
      mmaThresholdsPx: MMA_THRESHOLDS_PX,
      mma,
      meanCornerErrorPx: finiteMean(errs),
      medianCornerErrorPx: median(errs) ?? NaN,
      accuracyThresholdsPx: HOMOGRAPHY_THRESHOLDS_PX,
      accuracy: fractionBelow(errs, HOMOGRAPHY_THRESHOLDS_PX),
    };
  }
  if (group === 'epipolar') {
    const errs = pairs.map((p) => p.epipolarErrorPx ?? Infinity);
    return {
      ...common,
      failures: failuresOf(errs),
      meanEpipolarErrorPx: finiteMean(errs),
      medianEpipolarErrorPx: median(errs) ?? NaN,
      successThresholdsPx: EPIPOLAR_THRESHOLDS_PX,
      success: fractionBelow(errs, EPIPOLAR_THRESHOLDS_PX),
    };
  }
  const errs = pairs.map((p) => p.poseErrorDeg ?? Infinity);
  return {
    ...common,
    failures: failuresOf(errs),
    aucThresholdsDeg: POSE_THRESHOLDS_DEG,
    auc: poseAuc(errs, POSE_THRESHOLDS_DEG),
    medianPoseErrorDeg: median(errs) ?? NaN,
  };
}

/** Table lines for one group: per-pair rows when verbose, then the mean row. */
export function groupTable(group: Group, summary: GroupSummary, pairs: PairReport[], verbose: boolean): string[] {
  const s = summary as GroupSummary & Record<string, number[] & number>;
  if (group === 'homography') {
    const headers = ['pair', 'matches', ...MMA_THRESHOLDS_PX.map((t) => `MMA@${t}`), 'inliers', 'corner px', ...HOMOGRAPHY_THRESHOLDS_PX.map((t) => `H<${t}px`)];
    const rows = verbose
      ? pairs.map((p) => [p.id + (p.note ? ' (failed)' : ''), String(p.matches), ...(p.mma ?? []).map((v) => cell(v, 3)), String(p.inliers), cell(p.cornerErrorPx), ...HOMOGRAPHY_THRESHOLDS_PX.map((t) => ((p.cornerErrorPx ?? Infinity) < t ? 'yes' : 'no'))])
      : [];
    rows.push([`mean (${s.pairs} pairs)`, cell(s.meanMatches, 1), ...s.mma.map((v) => cell(v, 3)), cell(s.meanInliers, 1), cell(s.meanCornerErrorPx), ...s.accuracy.map((v) => cell(v, 3))]);
    return formatTable(headers, rows);
  }
  if (group === 'epipolar') {
    const headers = ['pair', 'matches', 'inliers', 'epi. dist px', ...EPIPOLAR_THRESHOLDS_PX.map((t) => `<${t}px`)];
    const rows = verbose
      ? pairs.map((p) => [p.id + (p.note ? ' (failed)' : ''), String(p.matches), String(p.inliers), cell(p.epipolarErrorPx), ...EPIPOLAR_THRESHOLDS_PX.map((t) => ((p.epipolarErrorPx ?? Infinity) < t ? 'yes' : 'no'))])
      : [];
    rows.push([`mean (${s.pairs} pairs)`, cell(s.meanMatches, 1), cell(s.meanInliers, 1), cell(s.meanEpipolarErrorPx), ...s.success.map((v) => cell(v, 3))]);
    return formatTable(headers, rows);
  }
  const headers = ['pair', 'matches', 'inliers', 'pose err °', ...POSE_THRESHOLDS_DEG.map((t) => `AUC@${t}°`)];
  const rows = verbose
    ? pairs.map((p) => [p.id + (p.note ? ' (failed)' : ''), String(p.matches), String(p.inliers), cell(p.poseErrorDeg), '', '', ''])
    : [];
  rows.push([`all (${s.pairs} pairs)`, cell(s.meanMatches, 1), cell(s.meanInliers, 1), `med ${cell(s.medianPoseErrorDeg)}`, ...s.auc.map((v) => cell(v, 3))]);
  return formatTable(headers, rows);
}

/** Run the evaluation (the CLI prints as it goes through `io`). */
export async function evaluate(dataDirArg: string, opts: EvalOptions, io: Io): Promise<EvalReport> {
  const dataDir = resolve(dataDirArg);
  const search = opts.search ?? 'auto';
  const { groups: found, notes } = discover(dataDir, opts.limit);
  for (const n of notes) io.err(`note: ${n}`);

  let model: CoamModel | null = null;
  let longSide = opts.longSide ?? 0;
  if (!opts.matchesDir) {
    const ort = await loadOrt({ threads: opts.threads });
    const loaded = await loadModel(ort, opts.modelPath ? resolve(opts.modelPath) : undefined, { sidecarPath: opts.sidecarPath });
    model = loaded.model;
    longSide = opts.longSide ?? model.info.inputSize.longSide;
    io.out(
      `model ${model.info.name} ${model.info.version} on ${model.backend}, long side ${longSide}, top-${opts.topK} matches` +
        (opts.selfCondition ? ', self-conditioned (ablation)' : '') +
        `, search ${search}`,
    );
  } else {
    io.out(`scoring precomputed matches from ${opts.matchesDir}, top-${opts.topK} (a missing file counts as a failed pair with 0 matches)`);
  }

  const report: EvalReport = {
    dataDir,
    source: model
      ? {
          kind: 'model',
          name: model.info.name,
          version: model.info.version,
          backend: model.backend,
          longSide,
          conditioning: opts.selfCondition ? 'self' : 'pair',
          search,
        }
      : { kind: 'matches', dir: resolve(opts.matchesDir!) },
    topK: opts.topK,
    groups: {},
    notes,
    timing: { pairs: 0, medianModelMs: null, medianPairMs: null },
  };
  const modelTimes: number[] = [];
  const pairTimes: number[] = [];
  const searchTimes: number[] = [];
  let searchChanged = 0;
  try {
    for (const group of GROUPS) {
      const pairs = found[group];
      if (!pairs) continue;
      const reports: PairReport[] = [];
      for (const pair of pairs) {
        let matches: SimpleMatch[] = [];
        let sizeA: { width: number; height: number } | null = null;
        let note: string | undefined;
        let modelMs: number | undefined;
        let pairMs: number | undefined;
        let view: ViewChoice | undefined;
        if (model) {
          const t0 = performance.now();
          let a: ReturnType<typeof readImage>;
          let b: ReturnType<typeof readImage>;
          try {
            a = readImage(pair.pathA);
            b = readImage(pair.pathB);
          } catch (e) {
            // An unreadable image fails this pair, not the whole evaluation.
            if (!(e instanceof CoamError) || !IMAGE_ERRORS.has(e.code)) throw e;
            note = e.message;
            io.err(`note: ${group}/${pair.id}: ${note}; counted as a failure with 0 matches`);
            reports.push({ ...scorePair(pair, [], { width: 1, height: 1 }, opts.topK), imageA: relative(dataDir, pair.pathA), imageB: relative(dataDir, pair.pathB), note });
            continue;
          }
          const result = await matchPair(model, a.raster, b.raster, {
            longSide,
            conditioning: opts.selfCondition ? 'self' : 'pair',
            match: opts.match,
            search,
          });
          if (result.view && result.view.tried > 1) {
            view = result.view;
            searchTimes.push(result.timings.searchMs ?? 0);
            if (viewChanges(view, view.longSide).length > 0) searchChanged++;
          }
          pairMs = performance.now() - t0;
          modelMs = (result.timings.encodeMs ?? 0) + result.timings.passABMs + result.timings.passBAMs;
          modelTimes.push(modelMs);
          pairTimes.push(pairMs);
          matches = result.matches;
          sizeA = { width: a.raster.width, height: a.raster.height };
          if (opts.saveMatchesDir) {
            const file = toMatchesFile(result, { pathA: relative(dataDir, pair.pathA), pathB: relative(dataDir, pair.pathB), model: model.info, longSide });
            writeOut(matchesPath(opts.saveMatchesDir, pair), matchesFileToJson(file));
          }
        } else {
          const path = matchesPath(opts.matchesDir!, pair);
          if (!existsSync(path)) {
            note = `no matches file ${path}`;
          } else {
            try {
              const file = readMatchesFile(path);
              matches = file.matches;
              sizeA = imageSize(new Uint8Array(readFileSync(pair.pathA)));
              const claimed = file.imageA;
              if (claimed && (claimed.width !== sizeA.width || claimed.height !== sizeA.height)) {
                io.err(
                  `warning: ${group}/${pair.id}: the matches file says image 1 is ${claimed.width}×${claimed.height} but it is ` +
                    `${sizeA.width}×${sizeA.height}; matches must be in original pixels (after EXIF orientation)`,
                );
              }
            } catch (e) {
              if (!(e instanceof CoamError)) throw e;
              note = e.message;
              matches = [];
            }
          }
          if (note) io.err(`note: ${group}/${pair.id}: ${note}; counted as a failure with 0 matches`);
        }
        // Only a homography estimate needs image 1's size; with no matches there is none.
        sizeA ??= matches.length > 0 ? imageSize(new Uint8Array(readFileSync(pair.pathA))) : { width: 1, height: 1 };
        const scored = scorePair(pair, matches, sizeA, opts.topK);
        reports.push({
          ...scored,
          imageA: relative(dataDir, pair.pathA),
          imageB: relative(dataDir, pair.pathB),
          ...(note ? { note } : {}),
          ...(modelMs !== undefined ? { modelMs, pairMs } : {}),
          ...(view ? { view } : {}),
        });
      }
      const summary = summarise(group, reports);
      report.groups[group] = { summary, pairs: reports };
      io.out('');
      io.out(`${group} (${reports.length} pairs)`);
      for (const line of groupTable(group, summary, reports, !!opts.verbose)) io.out(line);
      if (summary.failures > 0) io.out(`  ${summary.failures} pair(s) without an estimate (counted as failures)`);
    }
  } finally {
    await model?.release();
  }
  report.timing = { pairs: modelTimes.length, medianModelMs: median(modelTimes), medianPairMs: median(pairTimes) };
  io.out('');
  if (model) {
    io.out(
      `model time per pair (A|B + B|A, upright view, ${report.source.kind === 'model' ? report.source.backend : ''}): median ${cell(report.timing.medianModelMs, 0)} ms over ${modelTimes.length} pairs; ` +
        `whole pair (decode, resize, both passes, matching, any search): median ${cell(report.timing.medianPairMs, 0)} ms`,
    );
    if (search !== 'off') {
      report.search = { searched: searchTimes.length, changed: searchChanged, medianSearchMs: median(searchTimes) };
      io.out(
        `search (${search}): ${searchTimes.length} of ${modelTimes.length} pairs tried other views` +
          (searchTimes.length ? ` (median ${cell(report.search.medianSearchMs, 0)} ms more), ${searchChanged} kept one` : ''),
      );
    }
  }
  return report;
}

/** JSON with Infinity/NaN as null (JSON has no infinity). */
export function reportToJson(report: EvalReport): string {
  return JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n';
}

export async function evalCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, EVAL_OPTIONS, { min: 1, max: 1, names: 'one DATA_DIR: coam eval DATA_DIR', usage: EVAL_USAGE });
  const opts: EvalOptions = {
    topK: intOption(values, 'top-k', 1000)!,
    longSide: intOption(values, 'long-side', undefined, 16),
    modelPath: strOption(values, 'model'),
    sidecarPath: strOption(values, 'sidecar'),
    matchesDir: strOption(values, 'matches'),
    saveMatchesDir: strOption(values, 'save-matches'),
    selfCondition: !!values['self-condition'],
    search: searchOption(values),
    limit: intOption(values, 'limit', undefined),
    verbose: !!values.verbose,
    threads: intOption(values, 'threads', undefined),
    match: matchOptionsFrom(values),
  };
  if (opts.matchesDir && opts.saveMatchesDir) throw new CoamError('bad-argument', '--matches and --save-matches cannot be combined (there is no model run to save).');
  if (opts.matchesDir && !existsSync(opts.matchesDir)) throw new CoamError('bad-argument', `--matches folder does not exist: ${opts.matchesDir}`);
  const report = await evaluate(positionals[0], opts, io);
  const json = strOption(values, 'json');
  if (json) {
    writeOut(json, reportToJson(report));
    io.out(`wrote ${json}`);
  }
  return 0;
}
