/**
 * Evaluation folders (the layout of ../shared/data/val):
 *   homography/<seq>/{1..n}.{png,jpg,ppm} + H_1_k   (H maps image-1 pixels to image-k pixels)
 *   epipolar/<pair>/{1,2}.* + corr.txt               (x1 y1 x2 y2 per line)
 *   pose/<pair>/{1,2}.* + K1 K2 R t                  (x_cam2 = R x_cam1 + t)
 * Every pair is (1, k); its id is `<name>/1_<k>`, the path precomputed matches live under.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CoamError } from '../core/errors';

export const GROUPS = ['homography', 'epipolar', 'pose'] as const;
export type Group = (typeof GROUPS)[number];

export interface PairSpec {
  group: Group;
  name: string;
  k: number;
  /** `<name>/1_<k>` */
  id: string;
  pathA: string;
  pathB: string;
  H?: number[];
  corr?: Array<[number, number, number, number]>;
  K1?: number[];
  K2?: number[];
  R?: number[];
  t?: number[];
}

const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'ppm', 'pgm', 'pnm'];

function findImage(dir: string, stem: string, files: string[]): string | null {
  for (const ext of IMAGE_EXTENSIONS) {
    const hit = files.find((f) => f.toLowerCase() === `${stem}.${ext}`);
    if (hit) return join(dir, hit);
  }
  return null;
}

/** Whitespace- (or comma-) separated numbers; exactly `count` when given. */
export function readNumbers(path: string, count?: number): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CoamError('bad-data', `Cannot read ${path} (${(e as Error).message}).`, { cause: e });
  }
  const tokens = text.split(/[\s,;]+/).filter((s) => s.length > 0);
  const values = tokens.map(Number);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new CoamError('bad-data', `${path}: '${tokens[bad]}' is not a number.`);
  if (count !== undefined && values.length !== count) {
    throw new CoamError('bad-data', `${path}: expected ${count} numbers, found ${values.length}.`);
  }
  return values;
}

function readCorr(path: string): Array<[number, number, number, number]> {
  const v = readNumbers(path);
  if (v.length === 0 || v.length % 4 !== 0) {
    throw new CoamError('bad-data', `${path}: expected lines of 'x1 y1 x2 y2', found ${v.length} numbers.`);
  }
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < v.length; i += 4) out.push([v[i], v[i + 1], v[i + 2], v[i + 3]]);
  return out;
}

function subdirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((d) => !d.startsWith('.') && statSync(join(dir, d)).isDirectory())
    .sort((a, b) => a.localeCompare(b));
}

export interface Discovery {
  groups: Partial<Record<Group, PairSpec[]>>;
  /** Groups or pairs skipped, and why. */
  notes: string[];
}

/** Find every evaluable pair under dataDir. Throws bad-argument when the folder does not exist. */
export function discover(dataDir: string, limit?: number): Discovery {
  if (!existsSync(dataDir)) throw new CoamError('bad-argument', `DATA_DIR does not exist: ${dataDir}`);
  if (!statSync(dataDir).isDirectory()) throw new CoamError('bad-argument', `DATA_DIR is not a folder: ${dataDir}`);
  const notes: string[] = [];
  const groups: Discovery['groups'] = {};
  for (const group of GROUPS) {
    const gdir = join(dataDir, group);
    if (!existsSync(gdir) || !statSync(gdir).isDirectory()) {
      notes.push(`${group}: skipped (no ${group}/ folder in ${dataDir})`);
      continue;
    }
    const pairs: PairSpec[] = [];
    for (const name of subdirs(gdir)) {
      const dir = join(gdir, name);
      const files = readdirSync(dir);
      const pathA = findImage(dir, '1', files);
      if (!pathA) {
        notes.push(`${group}/${name}: skipped (no image 1.*)`);
        continue;
      }
      try {
        if (group === 'homography') {
          const ks = files
            .map((f) => /^H_1_(\d+)$/.exec(f))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => Number(m[1]))
            .sort((a, b) => a - b);
          if (ks.length === 0) notes.push(`${group}/${name}: skipped (no H_1_k file)`);
          for (const k of ks) {
            const pathB = findImage(dir, String(k), files);
            if (!pathB) {
              notes.push(`${group}/${name}: pair 1_${k} skipped (no image ${k}.*)`);
              continue;
            }
            pairs.push({ group, name, k, id: `${name}/1_${k}`, pathA, pathB, H: readNumbers(join(dir, `H_1_${k}`), 9) });
          }
        } else {
          const pathB = findImage(dir, '2', files);
          if (!pathB) {
            notes.push(`${group}/${name}: skipped (no image 2.*)`);
            continue;
          }
          const base = { group, name, k: 2, id: `${name}/1_2`, pathA, pathB };
          if (group === 'epipolar') {
            if (!files.includes('corr.txt')) {
              notes.push(`${group}/${name}: skipped (no corr.txt)`);
              continue;
            }
            pairs.push({ ...base, corr: readCorr(join(dir, 'corr.txt')) });
          } else {
            const missing = ['K1', 'K2', 'R', 't'].filter((f) => !files.includes(f));
            if (missing.length > 0) {
              notes.push(`${group}/${name}: skipped (missing ${missing.join(', ')})`);
              continue;
            }
            pairs.push({
              ...base,
              K1: readNumbers(join(dir, 'K1'), 9),
              K2: readNumbers(join(dir, 'K2'), 9),
              R: readNumbers(join(dir, 'R'), 9),
              t: readNumbers(join(dir, 't'), 3),
            });
          }
        }
      } catch (e) {
        if (e instanceof CoamError) notes.push(`${group}/${name}: skipped (${e.message})`);
        else throw e;
      }
    }
    groups[group] = limit !== undefined ? pairs.slice(0, limit) : pairs;
    if (pairs.length === 0) notes.push(`${group}: no usable pairs`);
  }
  if (!GROUPS.some((g) => groups[g] !== undefined)) {
    throw new CoamError('bad-argument', `${dataDir} has none of the folders homography/, epipolar/, pose/.`);
  }
  return { groups, notes };
}

/** Where a pair's matches live under a --matches / --save-matches folder. */
export function matchesPath(root: string, pair: Pick<PairSpec, 'group' | 'name' | 'k'>): string {
  return join(root, pair.group, pair.name, `1_${pair.k}.json`);
}
