/**
 * `coam colmap` end to end on the app's sample photos with the bundled model at a small size:
 * the database it writes is read back (COLMAP's schema, counts, pair ids), resumed, and refused
 * when it would be overwritten or when the pair list names missing files.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColmapDatabase, MAX_NUM_IMAGES, TWO_VIEW_CONFIG } from '../core/colmap/database';
import type { Io } from './io';
import { main } from './main';

const SAMPLES = join(__dirname, '..', '..', 'public', 'samples');
const IMAGES = ['graf1.jpg', 'graf3.jpg', 'box.jpg', 'box_in_scene.jpg'];
const FAST = ['--long-side', '160', '--search', 'off', '--threads', '1'];

/** COLMAP 3.8's columns, in order, per table (src/base/database.cc). */
const COLMAP_COLUMNS: Record<string, string[]> = {
  cameras: ['camera_id', 'model', 'width', 'height', 'params', 'prior_focal_length'],
  images: ['image_id', 'name', 'camera_id', 'prior_qw', 'prior_qx', 'prior_qy', 'prior_qz', 'prior_tx', 'prior_ty', 'prior_tz'],
  keypoints: ['image_id', 'rows', 'cols', 'data'],
  descriptors: ['image_id', 'rows', 'cols', 'data'],
  matches: ['pair_id', 'rows', 'cols', 'data'],
  two_view_geometries: ['pair_id', 'rows', 'cols', 'data', 'config', 'F', 'E', 'H', 'qvec', 'tvec'],
};

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

async function openDb(path: string): Promise<ColmapDatabase> {
  const SQL = await initSqlJs();
  return new ColmapDatabase(new SQL.Database(new Uint8Array(readFileSync(path))));
}

let dir: string;
let images: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'coam-colmap-'));
  images = join(dir, 'images');
  mkdirSync(images);
  for (const name of IMAGES) copyFileSync(join(SAMPLES, name), join(images, name));
  writeFileSync(join(images, 'broken.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
  writeFileSync(join(images, 'notes.txt'), 'not an image, and not listed');
  writeFileSync(join(dir, 'pairs.txt'), '# two pairs\ngraf1.jpg graf3.jpg\nbox.jpg box_in_scene.jpg\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('coam colmap', () => {
  it('writes a COLMAP database from a pair list, then resumes it with every pair', { timeout: 120_000 }, async () => {
    const db = join(dir, 'scene.db');
    const first = capture();
    expect(await main(['colmap', images, '--out', db, '--pairs', join(dir, 'pairs.txt'), ...FAST], first)).toBe(0);
    expect(first.stdout.join('\n')).toMatch(/wrote .*scene\.db: 4 images, \d+ keypoints, 2 matched pairs/);

    let read = await openDb(db);
    for (const [table, columns] of Object.entries(COLMAP_COLUMNS)) {
      const info = read.db.exec(`PRAGMA table_info(${table})`)[0].values.map((r) => r[1]);
      expect(info, table).toEqual(columns);
    }
    expect(read.count('images')).toBe(4);
    expect(read.count('cameras')).toBe(4);
    expect(read.count('descriptors')).toBe(0);
    const ids = new Map(read.images().map((im) => [im.name, im]));
    expect([...ids.keys()].sort()).toEqual([...IMAGES].sort());
    expect(ids.get('graf1.jpg')).toMatchObject({ width: 800, height: 640 });
    const graf = colmapPairId(ids.get('graf1.jpg')!.imageId, ids.get('graf3.jpg')!.imageId);
    const box = colmapPairId(ids.get('box.jpg')!.imageId, ids.get('box_in_scene.jpg')!.imageId);
    expect([...read.matchedPairIds()].sort()).toEqual([graf, box].sort());
    const grafMatches = read.matches(graf);
    const grafInliers = read.matches(graf, 'two_view_geometries');
    expect(grafMatches.length).toBeGreaterThan(30);
    expect(grafInliers.length).toBeGreaterThanOrEqual(15);
    // Inliers are a subset of the matches, and every index names a keypoint of its image.
    const asKey = ([a, b]: [number, number]) => `${a},${b}`;
    const matchSet = new Set(grafMatches.map(asKey));
    expect(grafInliers.every((m) => matchSet.has(asKey(m)))).toBe(true);
    const [id1, id2] = [ids.get('graf1.jpg')!.imageId, ids.get('graf3.jpg')!.imageId].sort((x, y) => x - y);
    const k1 = read.keypoints(id1);
    const k2 = read.keypoints(id2);
    expect(grafMatches.every(([a, b]) => a < k1.length && b < k2.length)).toBe(true);
    expect(k1.every(([x, y]) => x >= 0 && y >= 0 && x <= 800 && y <= 640)).toBe(true);
    const [[config, fBytes, qvecBytes]] = read.db.exec(`SELECT config, length(F), length(qvec) FROM two_view_geometries WHERE pair_id = ${graf}`)[0].values;
    expect([config, fBytes, qvecBytes]).toEqual([TWO_VIEW_CONFIG.UNCALIBRATED, 72, 32]);

    // An existing database is refused without --resume or --force, and left as it was.
    const before = readFileSync(db);
    const refused = capture();
    expect(await main(['colmap', images, '--out', db, '--exhaustive', ...FAST], refused)).toBe(2);
    expect(refused.stderr.join('\n')).toMatch(/exists\. --resume continues it .* --force/);
    expect(readFileSync(db).equals(before)).toBe(true);

    // --resume: the two matched pairs are kept as they are, the four others are matched; the
    // unreadable file is listed and its pairs skipped.
    const resumed = capture();
    expect(await main(['colmap', images, '--out', db, '--exhaustive', '--resume', ...FAST], resumed)).toBe(0);
    const log = resumed.stderr.join('\n');
    expect(log).toMatch(/resuming .*2 of them already matched; matching 4/);
    expect(log).toMatch(/skipped \(unreadable\): broken\.jpg/);
    expect(log).not.toMatch(/notes\.txt/);
    read = await openDb(db);
    expect(read.count('matches')).toBe(6);
    expect(read.count('two_view_geometries')).toBe(6);
    expect(read.count('images')).toBe(4);
    expect(read.matches(graf)).toEqual(grafMatches);
    // Pair ids by COLMAP's formula: 2147483647 * smaller id + larger id.
    for (const pairId of read.matchedPairIds()) {
      const b = pairId % MAX_NUM_IMAGES;
      const a = (pairId - b) / MAX_NUM_IMAGES;
      expect(a).toBeGreaterThanOrEqual(1);
      expect(a).toBeLessThan(b);
      expect(b).toBeLessThanOrEqual(4);
    }
    // Keypoints only grow on resume, so the first run's indices still hold.
    expect(read.keypoints(id1).slice(0, k1.length)).toEqual(k1);

    // --force starts over.
    const forced = capture();
    expect(await main(['colmap', images, '--out', db, '--pairs', join(dir, 'pairs.txt'), '--force', ...FAST], forced)).toBe(0);
    expect((await openDb(db)).count('matches')).toBe(2);
  });

  it('refuses a pair list that names missing files, naming them, before any work', async () => {
    const pairs = join(dir, 'missing.txt');
    writeFileSync(pairs, 'graf1.jpg nowhere.jpg\nalso-gone.png graf3.jpg\n');
    const db = join(dir, 'never.db');
    const io = capture();
    expect(await main(['colmap', images, '--out', db, '--pairs', pairs], io)).toBe(2);
    const msg = io.stderr.join('\n');
    expect(msg).toMatch(/names 2 file\(s\) not in/);
    expect(msg).toMatch(/nowhere\.jpg/);
    expect(msg).toMatch(/also-gone\.png/);
    expect(existsSync(db)).toBe(false);
  });

  it('asks for exactly one way of choosing pairs', async () => {
    const io = capture();
    expect(await main(['colmap', images, '--out', join(dir, 'x.db')], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--pairs FILE, --exhaustive or --sequential N/);
    const both = capture();
    expect(await main(['colmap', images, '--out', join(dir, 'x.db'), '--exhaustive', '--sequential', '2'], both)).toBe(2);
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
    expect(statSync(images).isDirectory()).toBe(true);
    const help = capture();
    expect(await main(['colmap', '--help'], help)).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/^Usage: coam colmap IMAGES_DIR --out DB[^]*--merge-radius PX/);
  });
});

/** COLMAP's formula, written out here rather than taken from the code under test. */
function colmapPairId(a: number, b: number): number {
  return a < b ? a * MAX_NUM_IMAGES + b : b * MAX_NUM_IMAGES + a;
}
