/**
 * `coam colmap IMAGES_DIR --out DB`: match a folder's pairs with the model and write a COLMAP
 * database (cameras, images, keypoints merged across pairs, matches, two-view geometries) for
 * `colmap mapper`. Resumable: with --resume, the pairs already in DB are skipped. docs/colmap.md
 * has the options, the keypoint merging and a comparison with COLMAP's own SIFT pipeline.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import initSqlJs from 'sql.js';
import type { Database as SqlDatabase } from 'sql.js';
import { CoamError } from '../core/errors';
import { imageSize } from '../core/image';
import { loadModel, loadOrt, readImage } from '../core/node';
import { matchPair } from '../core/pipeline';
import type { RasterImage } from '../core/types';
import { ColmapDatabase, imagesOfPairId } from '../core/colmap/database';
import { trackLengths } from '../core/colmap/keypoints';
import { exhaustivePairs, parsePairsTxt, sequentialPairs, uniquePairs } from '../core/colmap/pairs';
import { ColmapScene } from '../core/colmap/scene';
import { COLMAP_USAGE, intOption, matchOptionsFrom, parse, strOption, UsageError } from './args';
import { SEARCH_MODES, type SearchMode } from '../core/views';
import { processIo, type Io } from './io';
import { writeOut } from './match';

export const COLMAP_OPTIONS = {
  out: { type: 'string' },
  pairs: { type: 'string' },
  exhaustive: { type: 'boolean' },
  sequential: { type: 'string' },
  resume: { type: 'boolean' },
  force: { type: 'boolean' },
  'top-k': { type: 'string' },
  'long-side': { type: 'string' },
  search: { type: 'string' },
  model: { type: 'string' },
  sidecar: { type: 'string' },
  threads: { type: 'string' },
  candidates: { type: 'string' },
  mutual: { type: 'string' },
  ratio: { type: 'string' },
  'merge-radius': { type: 'string' },
  'max-error': { type: 'string' },
  'single-camera': { type: 'boolean' },
} as const;


const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.ppm', '.pgm', '.pnm']);
const DEFAULT_TOP_K = 1000;
const DEFAULT_MAX_ERROR_FED_PX = 4;
const SAVE_EVERY_MS = 20_000;

/** Image files of a folder and its subfolders, as COLMAP names them (relative, '/'-separated), sorted. */
export function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(relative(dir, path).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

function numberOption(values: Record<string, unknown>, name: string, fallback: number, min: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) || v < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got '${String(raw)}'`);
  return v;
}

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Write the in-memory database to `path` through a temporary file, so an interruption leaves the last complete copy. */
function saveDatabase(db: SqlDatabase, path: string): void {
  const tmp = `${path}.tmp`;
  writeOut(tmp, db.export());
  renameSync(tmp, path);
  db.run('PRAGMA foreign_keys=ON'); // export() reopens the database, which resets pragmas
}

export async function colmapCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, COLMAP_OPTIONS, { min: 1, max: 1, names: 'an image folder: coam colmap IMAGES_DIR --out DB', usage: COLMAP_USAGE });
  const dir = resolve(positionals[0]);
  const out = strOption(values, 'out');
  if (!out) throw new UsageError('--out DB is required (the COLMAP database to write)');
  const pairsPath = strOption(values, 'pairs');
  const sequential = intOption(values, 'sequential', undefined);
  const modes = [pairsPath !== undefined, values.exhaustive === true, sequential !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError(`choose ${modes ? 'one' : 'which pairs to match'}: --pairs FILE, --exhaustive or --sequential N`);
  if (values.resume && values.force) throw new UsageError('--resume continues DB and --force starts it over: give one of them');
  const topK = intOption(values, 'top-k', DEFAULT_TOP_K)!;
  const longSideOpt = intOption(values, 'long-side', undefined, 16);
  const threads = intOption(values, 'threads', undefined);
  const search = (strOption(values, 'search') ?? 'off') as SearchMode;
  if (!SEARCH_MODES.includes(search)) throw new UsageError(`--search must be one of ${SEARCH_MODES.join(', ')}, got '${search}'`);
  const matchOptions = matchOptionsFrom(values);
  const maxErrorFed = numberOption(values, 'max-error', DEFAULT_MAX_ERROR_FED_PX, 0.1);
  const mergeRadiusOpt = values['merge-radius'] === undefined ? undefined : numberOption(values, 'merge-radius', 0, 0);
  const modelPath = strOption(values, 'model');

  // Everything that can be refused is refused before the model loads.
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CoamError('bad-argument', `Image folder not found: ${positionals[0]}`);
  const dbPath = resolve(out);
  const dbExists = existsSync(dbPath);
  if (dbExists && !values.resume && !values.force) {
    throw new CoamError('bad-argument', `${out} exists. --resume continues it (its matched pairs are skipped); --force deletes it and starts over.`);
  }
  const listed = listImages(dir);
  let pairs: Array<[string, string]>;
  if (pairsPath !== undefined) {
    if (!existsSync(pairsPath)) throw new CoamError('bad-argument', `Pair list not found: ${pairsPath}`);
    const parsed = parsePairsTxt(readFileSync(pairsPath, 'utf8'));
    if (parsed.malformed.length) {
      const shown = parsed.malformed.slice(0, 10).map((m) => `  line ${m.line}: ${m.text}`);
      throw new CoamError('bad-argument', `${pairsPath}: ${parsed.malformed.length} line(s) are not 'name1 name2' (two different names):\n${shown.join('\n')}`);
    }
    const missing = [...new Set(parsed.pairs.flat())].filter((name) => !existsSync(join(dir, name)) || statSync(join(dir, name)).isDirectory());
    if (missing.length) {
      const shown = missing.slice(0, 20).map((n) => `  ${n}`);
      if (missing.length > 20) shown.push(`  … and ${missing.length - 20} more`);
      throw new CoamError('bad-argument', `${pairsPath} names ${missing.length} file(s) not in ${positionals[0]}; nothing was matched:\n${shown.join('\n')}`);
    }
    pairs = uniquePairs(parsed.pairs);
  } else {
    if (listed.length < 2) throw new CoamError('bad-argument', `${positionals[0]} has ${listed.length} image(s) (JPEG, PNG or PPM); at least 2 are needed`);
    pairs = values.exhaustive ? exhaustivePairs(listed) : sequentialPairs(listed, sequential!);
  }
  if (pairs.length === 0) throw new CoamError('bad-argument', 'The pair list is empty.');

  // Sizes from the headers alone; an image whose header does not read is listed and skipped.
  const sizes = new Map<string, { width: number; height: number }>();
  const unreadable = new Map<string, string>();
  for (const name of [...new Set(pairs.flat())].sort()) {
    try {
      sizes.set(name, imageSize(new Uint8Array(readFileSync(join(dir, name)))));
    } catch (e) {
      unreadable.set(name, e instanceof Error ? e.message : String(e));
    }
  }
  if (values['single-camera']) {
    const distinct = new Set([...sizes.values()].map((s) => `${s.width}x${s.height}`));
    if (distinct.size > 1) throw new CoamError('bad-argument', `--single-camera needs images of one size; these have ${[...distinct].join(', ')}`);
  }

  const SQL = await initSqlJs();
  let db: SqlDatabase;
  if (dbExists && values.resume) {
    db = new SQL.Database(new Uint8Array(readFileSync(dbPath)));
    const missingTables = (() => {
      try {
        return new ColmapDatabase(db).missingTables();
      } catch {
        return ['(not an SQLite database)'];
      }
    })();
    if (missingTables.length) throw new CoamError('bad-argument', `${out} is not a COLMAP database (no ${missingTables.join(', ')}); --force replaces it`);
    if (new ColmapDatabase(db).count('descriptors') > 0) {
      throw new CoamError('bad-argument', `${out} holds another extractor's features (it has descriptors); --resume continues only databases this command wrote`);
    }
  } else {
    if (dbExists) rmSync(dbPath); // --force
    db = new SQL.Database();
  }
  const database = ColmapDatabase.create(db);

  const ort = await loadOrt({ threads });
  const { model, inferred } = await loadModel(ort, modelPath ? resolve(modelPath) : undefined, { sidecarPath: strOption(values, 'sidecar') });
  let stopRequested = false;
  const onSigint = () => {
    stopRequested = true;
    io.err('\ncoam: stopping after this pair and saving (Ctrl-C again quits at once; the last saved copy stays whole)');
    process.removeListener('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  try {
    if (inferred) io.err(`note: no sidecar next to the model; probed stride ${model.info.stride}, descriptorDim ${model.info.descriptorDim}, multiple ${model.info.multiple}`);
    const longSide = longSideOpt ?? model.info.inputSize.longSide;
    const mergeRadiusFed = mergeRadiusOpt ?? model.info.stride / 2;
    const toOriginal = (width: number, height: number) => Math.max(width, height) / longSide;
    const scene = new ColmapScene(database, (w, h) => mergeRadiusFed * toOriginal(w, h), { singleCamera: values['single-camera'] === true });
    const resumedPairs = scene.images.length ? database.count('matches') : 0;
    for (const [name, size] of [...sizes].sort(([a], [b]) => (a < b ? -1 : 1))) scene.addImage(name, size.width, size.height);
    scene.flushKeypoints();

    const todo = pairs.filter(([a, b]) => !unreadable.has(a) && !unreadable.has(b) && !scene.isMatched(a, b));
    const skippedUnreadable = pairs.filter(([a, b]) => unreadable.has(a) || unreadable.has(b)).length;
    io.err(
      `${sizes.size} images, ${pairs.length} pairs` +
        (resumedPairs ? `; resuming ${out}: ${pairs.length - todo.length - skippedUnreadable} of them already matched` : '') +
        `; matching ${todo.length} with ${model.info.name} ${model.info.version} at ${longSide} px (search ${search}), merge radius ${mergeRadiusFed} fed px`,
    );
    for (const [name, why] of unreadable) io.err(`skipped (unreadable): ${name}: ${why}`);

    // A few decoded images at a time: sequential pairs reuse the same frames.
    const cache = new Map<string, RasterImage>();
    const raster = (name: string): RasterImage => {
      let r = cache.get(name);
      if (r) {
        cache.delete(name);
        cache.set(name, r);
        return r;
      }
      r = readImage(join(dir, name)).raster;
      cache.set(name, r);
      if (cache.size > 8) cache.delete(cache.keys().next().value!);
      return r;
    };

    const tty = io === processIo && process.stderr.isTTY === true;
    const t0 = performance.now();
    let lastSave = t0;
    let done = 0;
    let totalMatches = 0;
    let totalInliers = 0;
    let verified = 0;
    for (const [nameA, nameB] of todo) {
      // Inference and matching resolve without returning to the event loop, so a Ctrl-C is only
      // seen when the loop gets a turn: give it one before each pair.
      await new Promise((resolve) => setImmediate(resolve));
      if (stopRequested) break;
      if (unreadable.has(nameA) || unreadable.has(nameB)) continue;
      let a: RasterImage;
      let b: RasterImage;
      try {
        a = raster(nameA);
        b = raster(nameB);
      } catch (e) {
        const bad = cache.has(nameA) ? nameB : nameA;
        unreadable.set(bad, e instanceof Error ? e.message : String(e));
        io.err(`${tty ? '\n' : ''}skipped (unreadable): ${bad}: ${unreadable.get(bad)}`);
        continue;
      }
      const result = await matchPair(model, a, b, { longSide, search, match: matchOptions });
      const imgA = scene.image(nameA)!;
      const imgB = scene.image(nameB)!;
      const thresholdPx = maxErrorFed * (toOriginal(imgA.width, imgA.height) + toOriginal(imgB.width, imgB.height)) / 2;
      const summary = scene.addPair(nameA, nameB, result.matches.slice(0, topK), { thresholdPx });
      done++;
      totalMatches += summary.matches;
      totalInliers += summary.inliers;
      if (summary.inliers) verified++;
      const now = performance.now();
      const perPair = (now - t0) / done;
      const line =
        `[${done}/${todo.length}] ${nameA} ${nameB}: ${summary.matches} matches, ${summary.inliers} inliers | ` +
        `${(60_000 / perPair).toFixed(1)} pairs/min, ${formatDuration(perPair * (todo.length - done))} left`;
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else io.err(line);
      if (now - lastSave > SAVE_EVERY_MS) {
        saveDatabase(db, dbPath);
        lastSave = now;
      }
    }
    if (tty && done) process.stderr.write('\n');
    scene.flushKeypoints();
    saveDatabase(db, dbPath);

    // Summary of the whole database (resumed pairs included).
    const geometries = database.db.exec('SELECT pair_id FROM two_view_geometries WHERE rows > 0');
    const pairRows = (geometries[0]?.values ?? []).map((r) => {
      const pairId = Number(r[0]);
      const [imageA, imageB] = imagesOfPairId(pairId);
      return { imageA, imageB, matches: database.matches(pairId, 'two_view_geometries') };
    });
    const tracks = trackLengths(pairRows).filter((n) => n >= 2);
    const keypoints = scene.images.reduce((s, im) => s + im.keypoints.points.length, 0);
    io.out(
      `${stopRequested ? 'stopped; saved' : 'wrote'} ${out}: ${database.count('images')} images, ${keypoints} keypoints, ` +
        `${database.count('matches')} matched pairs (${done} this run${done ? `, ${(totalMatches / done).toFixed(0)} matches and ${(totalInliers / done).toFixed(0)} inliers a pair, ${verified} verified` : ''}), ` +
        `${pairRows.length} verified pairs in all, ${tracks.length} tracks of mean length ${tracks.length ? (tracks.reduce((s, n) => s + n, 0) / tracks.length).toFixed(2) : '0'} images` +
        ` | ${formatDuration(performance.now() - t0)}`,
    );
    if (unreadable.size) io.err(`${unreadable.size} unreadable image(s) skipped: ${[...unreadable.keys()].join(', ')}`);
    if (stopRequested) {
      io.err(`coam: interrupted; run the same command with --resume to continue`);
      return 130;
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await model.release();
    db.close();
  }
}
