/**
 * The CLI on a tiny generated data dir (made in a temp folder): a synthetic texture and its warp
 * by a known H, a translated PPM, a synthetic epipolar pair and a synthetic pose pair.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyHomography } from '../core/geometry';
import { inverse3 } from '../core/linalg';
import type { MatchesFile, Point } from '../core/types';
import type { Io } from './io';
import { main } from './main';

const ROOT = join(__dirname, '..', '..');
const TINY_MODEL = join(ROOT, 'src', 'core', '__fixtures__', 'tiny_coam.onnx');

/** A smooth analytic texture: any warp of it can be rendered exactly. */
function makeTexture(seed: number): (x: number, y: number) => [number, number, number] {
  let s = seed >>> 0;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 4294967296;
  const blobs = Array.from({ length: 90 }, () => [rnd() * 200 - 20, rnd() * 150 - 20, 2 + rnd() * 5, rnd(), rnd(), rnd()]);
  return (x, y) => {
    let r = 0.15, g = 0.15, b = 0.15;
    for (const [cx, cy, rad, br, bg, bb] of blobs) {
      const w = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * rad * rad));
      r += w * br;
      g += w * bg;
      b += w * bb;
    }
    return [Math.min(255, r * 220), Math.min(255, g * 220), Math.min(255, b * 220)];
  };
}

/** Render image-k pixels x2 by sampling the texture at H^-1 x2 (H maps image 1 → image k). */
function render(tex: (x: number, y: number) => [number, number, number], width: number, height: number, H?: number[]): Uint8Array {
  const Hinv = H ? inverse3(H)! : null;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = Hinv ? applyHomography(Hinv, [x, y]) : [x, y];
      data.set(tex(u, v).map(Math.round), (y * width + x) * 3);
    }
  }
  return data;
}

const png = (w: number, h: number, rgb: Uint8Array) => encodePng({ width: w, height: h, channels: 3, depth: 8, data: rgb });
const ppm = (w: number, h: number, rgb: Uint8Array) => new Uint8Array([...new TextEncoder().encode(`P6\n${w} ${h}\n255\n`), ...rgb]);
const mat = (m: number[], perRow = 3) => m.map((v, i) => v.toPrecision(12) + ((i + 1) % perRow === 0 ? '\n' : ' ')).join('');

const W = 128;
const HT = 96;
const H12 = [0.95, 0.06, 6, -0.04, 1.02, 3, 0.0002, -0.0001, 1];
const H13 = [1, 0, 12, 0, 1, -8, 0, 0, 1];
/** Pose: x_cam2 = R x_cam1 + t. */
const K = [100, 0, 64, 0, 100, 48, 0, 0, 1];
const ang = (8 * Math.PI) / 180;
const R = [Math.cos(ang), 0, Math.sin(ang), 0, 1, 0, -Math.sin(ang), 0, Math.cos(ang)];
const T = [0.9, 0.1, 0.2];

function project(Kp: number[], X: number[]): Point {
  return [(Kp[0] * X[0]) / X[2] + Kp[2], (Kp[4] * X[1]) / X[2] + Kp[5]];
}

/** 3D points in front of both cameras, and their pixels in both (for corr.txt and perfect matches). */
function scene(n: number, seed: number, Rm: number[], t: number[]): Array<[Point, Point]> {
  let s = seed;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 4294967296;
  const out: Array<[Point, Point]> = [];
  while (out.length < n) {
    const X = [(rnd() - 0.5) * 6, (rnd() - 0.5) * 4, 4 + rnd() * 8];
    const X2 = [0, 1, 2].map((i) => Rm[3 * i] * X[0] + Rm[3 * i + 1] * X[1] + Rm[3 * i + 2] * X[2] + t[i]);
    const a = project(K, X);
    const b = project(K, X2);
    if (X2[2] > 0.5 && a[0] >= 0 && a[0] < W && a[1] >= 0 && a[1] < HT && b[0] >= 0 && b[0] < W && b[1] >= 0 && b[1] < HT) out.push([a, b]);
  }
  return out;
}

function makeDataDir(root: string): void {
  const tex = makeTexture(11);
  const hom = join(root, 'homography', 'synth');
  mkdirSync(hom, { recursive: true });
  writeFileSync(join(hom, '1.png'), png(W, HT, render(tex, W, HT)));
  writeFileSync(join(hom, '2.png'), png(W, HT, render(tex, W, HT, H12)));
  writeFileSync(join(hom, 'H_1_2'), mat(H12));
  writeFileSync(join(hom, '3.ppm'), ppm(W, HT, render(tex, W, HT, H13)));
  writeFileSync(join(hom, 'H_1_3'), mat(H13));

  // Epipolar: a rectified stereo pair (camera 2 moved along x), so corresponding points share a row.
  const epi = join(root, 'epipolar', 'synth');
  mkdirSync(epi, { recursive: true });
  writeFileSync(join(epi, '1.png'), png(W, HT, render(tex, W, HT)));
  writeFileSync(join(epi, '2.png'), png(W, HT, render(tex, W, HT, [1, 0, -10, 0, 1, 0, 0, 0, 1])));
  const corr = scene(12, 5, [1, 0, 0, 0, 1, 0, 0, 0, 1], [-1, 0, 0]);
  writeFileSync(join(epi, 'corr.txt'), corr.map(([a, b]) => `${a[0]} ${a[1]} ${b[0]} ${b[1]}`).join('\n') + '\n');

  const pose = join(root, 'pose', 'synth');
  mkdirSync(pose, { recursive: true });
  writeFileSync(join(pose, '1.png'), png(W, HT, render(tex, W, HT)));
  writeFileSync(join(pose, '2.png'), png(W, HT, render(makeTexture(12), W, HT)));
  writeFileSync(join(pose, 'K1'), mat(K));
  writeFileSync(join(pose, 'K2'), mat(K));
  writeFileSync(join(pose, 'R'), mat(R));
  writeFileSync(join(pose, 't'), T.join(' ') + '\n');
}

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

let tmp: string;
let data: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'coam-cli-'));
  data = join(tmp, 'data');
  makeDataDir(data);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('coam match', () => {
  it('writes the summary, JSON (MatchesFile) and an SVG figure', async () => {
    const io = capture();
    const json = join(tmp, 'out', 'm.json');
    const svg = join(tmp, 'out', 'm.svg');
    const csv = join(tmp, 'out', 'm.csv');
    const a = join(data, 'homography', 'synth', '1.png');
    const b = join(data, 'homography', 'synth', '3.ppm');
    const code = await main(['match', a, b, '--model', TINY_MODEL, '--top-k', '20', '--long-side', '64', '--json', json, '--svg', svg, '--csv', csv], io);
    expect(io.stderr.join('\n')).toBe('');
    expect(code).toBe(0);
    expect(io.stdout[0]).toMatch(/^\d+ matches \(of \d+ mutual nearest neighbours passing the ratio test\) \| fed \d+×\d+ and \d+×\d+ .* on wasm .* total \d+ ms$/);
    const file = JSON.parse(readFileSync(json, 'utf8')) as MatchesFile;
    expect(file.imageA).toEqual({ path: a, width: W, height: HT });
    expect(file.model?.name).toBe('tiny-coam-test');
    expect(file.longSide).toBe(64);
    expect(file.matches.length).toBeGreaterThan(0);
    expect(file.matches.length).toBeLessThanOrEqual(20);
    for (let i = 1; i < file.matches.length; i++) expect(file.matches[i - 1].score).toBeGreaterThanOrEqual(file.matches[i].score);
    const figure = readFileSync(svg, 'utf8');
    expect(figure.startsWith('<svg')).toBe(true);
    expect(figure).toContain('data:image/png;base64,'); // the PNG embedded as-is, the PPM re-encoded
    expect((figure.match(/<line /g) ?? []).length).toBe(file.matches.length);
    expect(readFileSync(csv, 'utf8').trim().split('\n').length).toBe(file.matches.length + 1);
  });

  it("--search: 'always' tries the 12 coarse and 5 fine views and says which it kept; a bad mode is a usage error", async () => {
    const io = capture();
    const a = join(data, 'homography', 'synth', '1.png');
    const b = join(data, 'homography', 'synth', '2.png');
    expect(await main(['match', a, b, '--model', TINY_MODEL, '--long-side', '64', '--search', 'always'], io), io.stderr.join('\n')).toBe(0);
    expect(io.stdout[0]).toMatch(/search \d+ ms/);
    expect(io.stdout[1]).toMatch(/^search: tried 17 views, kept /);
    // 'full', the exhaustive search 'auto' replaced: every coarse view when the upright check fails,
    // the fine views for every pair.
    const full = capture();
    expect(await main(['match', a, b, '--model', TINY_MODEL, '--long-side', '64', '--search', 'full'], full), full.stderr.join('\n')).toBe(0);
    expect(full.stdout[1]).toMatch(/^search: tried (6|17) views, kept /);
    const off = capture();
    expect(await main(['match', a, b, '--model', TINY_MODEL, '--long-side', '64', '--search', 'off'], off)).toBe(0);
    expect(off.stdout.join('\n')).not.toMatch(/search/);
    const bad = capture();
    expect(await main(['match', a, b, '--search', 'sometimes'], bad)).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/--search must be one of off, auto, full, always, got 'sometimes'/);
  });

  it('--self-condition runs and is reported in the same format', async () => {
    const io = capture();
    const a = join(data, 'homography', 'synth', '1.png');
    const code = await main(['match', a, a, '--model', TINY_MODEL, '--self-condition', '--long-side', '64'], io);
    expect(code).toBe(0);
    expect(io.stdout[0]).toMatch(/matches/);
  });
});

describe('coam eval', () => {
  it('runs the model on every group, prints the three tables and writes JSON and matches', async () => {
    const io = capture();
    const report = join(tmp, 'report.json');
    const saved = join(tmp, 'saved');
    const code = await main(['eval', data, '--model', TINY_MODEL, '--long-side', '64', '--verbose', '--json', report, '--save-matches', saved], io);
    const text = io.stdout.join('\n');
    expect(code, io.stderr.join('\n')).toBe(0);
    expect(text).toMatch(/homography \(2 pairs\)/);
    expect(text).toMatch(/MMA@1 +MMA@2 +MMA@3 +MMA@5 +MMA@10 +inliers +corner px +H<1px +H<3px +H<5px +H<10px/);
    expect(text).toMatch(/synth\/1_2 /);
    expect(text).toMatch(/synth\/1_3 /);
    expect(text).toMatch(/epipolar \(1 pairs\)/);
    expect(text).toMatch(/epi\. dist px +<5px +<10px/);
    expect(text).toMatch(/pose \(1 pairs\)/);
    expect(text).toMatch(/AUC@5° +AUC@10° +AUC@20°/);
    expect(text).toMatch(/model time per pair \(A\|B \+ B\|A, upright view, wasm\): median \d+ ms over 4 pairs/);
    expect(text).toMatch(/search \(auto\): \d of 4 pairs tried other views/);
    const rep = JSON.parse(readFileSync(report, 'utf8'));
    expect(rep.source).toMatchObject({ kind: 'model', search: 'auto' });
    expect(rep.search.searched).toBe(rep.groups.homography.pairs.concat(rep.groups.epipolar.pairs, rep.groups.pose.pairs).filter((p: { view?: unknown }) => p.view).length);
    expect(rep.groups.homography.pairs.length).toBe(2);
    expect(rep.groups.homography.summary.mma.length).toBe(5);
    expect(rep.groups.pose.summary.auc.length).toBe(3);
    expect(rep.timing.pairs).toBe(4);
    for (const p of ['homography/synth/1_2.json', 'homography/synth/1_3.json', 'epipolar/synth/1_2.json', 'pose/synth/1_2.json']) {
      expect(existsSync(join(saved, p)), p).toBe(true);
    }
    // The saved matches score identically through --matches: the same code path.
    const io2 = capture();
    const report2 = join(tmp, 'report2.json');
    expect(await main(['eval', data, '--matches', saved, '--json', report2], io2)).toBe(0);
    const rep2 = JSON.parse(readFileSync(report2, 'utf8'));
    expect(rep2.groups.homography.summary.mma).toEqual(rep.groups.homography.summary.mma);
    expect(rep2.groups.epipolar.summary.meanMatches).toEqual(rep.groups.epipolar.summary.meanMatches);
  });

  it('--matches with perfect synthetic matches gives MMA 1, ~0 px corner error, ~0 epipolar and pose error', async () => {
    const dir = join(tmp, 'perfect');
    const write = (group: string, k: number, pairs: Array<[Point, Point]>) => {
      const file: MatchesFile = {
        imageA: { width: W, height: HT },
        imageB: { width: W, height: HT },
        matches: pairs.map(([xyA, xyB], i) => ({ xyA, xyB, score: 1 - i / 1000 })),
      };
      mkdirSync(join(dir, group, 'synth'), { recursive: true });
      writeFileSync(join(dir, group, 'synth', `1_${k}.json`), JSON.stringify(file));
    };
    const grid: Point[] = [];
    for (let y = 4; y < HT; y += 9) for (let x = 3; x < W; x += 11) grid.push([x, y]);
    write('homography', 2, grid.map((p) => [p, applyHomography(H12, p)]));
    write('homography', 3, grid.map((p) => [p, applyHomography(H13, p)]));
    write('epipolar', 2, scene(60, 9, [1, 0, 0, 0, 1, 0, 0, 0, 1], [-1, 0, 0]));
    write('pose', 2, scene(80, 3, R, T));
    const io = capture();
    const report = join(tmp, 'perfect.json');
    expect(await main(['eval', data, '--matches', dir, '--json', report, '--verbose'], io)).toBe(0);
    const rep = JSON.parse(readFileSync(report, 'utf8'));
    const h = rep.groups.homography.summary;
    expect(h.mma).toEqual([1, 1, 1, 1, 1]);
    expect(h.meanCornerErrorPx).toBeLessThan(1e-3);
    expect(h.accuracy).toEqual([1, 1, 1, 1]);
    const e = rep.groups.epipolar.summary;
    expect(e.meanEpipolarErrorPx).toBeLessThan(1e-3);
    expect(e.success).toEqual([1, 1]);
    const p = rep.groups.pose.summary;
    expect(p.medianPoseErrorDeg).toBeLessThan(0.1);
    expect(p.auc[0]).toBeGreaterThan(0.95);
    expect(io.stdout.join('\n')).toMatch(/mean \(2 pairs\) +\d+\.\d +1\.000 +1\.000 +1\.000 +1\.000 +1\.000/);
  });

  it('a missing matches file counts as a failure with 0 matches, and says so', async () => {
    const dir = join(tmp, 'partial');
    mkdirSync(join(dir, 'homography', 'synth'), { recursive: true });
    writeFileSync(join(dir, 'homography', 'synth', '1_2.json'), JSON.stringify({ imageA: { width: 999, height: 1 }, matches: [] }));
    const io = capture();
    expect(await main(['eval', data, '--matches', dir, '--verbose'], io)).toBe(0);
    const err = io.stderr.join('\n');
    expect(err).toMatch(/homography\/synth\/1_2: the matches file says image 1 is 999×1 but it is 128×96/);
    expect(err).toMatch(/homography\/synth\/1_3: no matches file .*counted as a failure with 0 matches/);
    expect(io.stdout.join('\n')).toMatch(/synth\/1_3 \(failed\) +0 /);
  });

  it('skips missing groups with a note; --limit caps pairs per group', async () => {
    const only = join(tmp, 'only-hom');
    mkdirSync(join(only, 'homography'), { recursive: true });
    writeFileSync(join(only, 'README'), 'x');
    const src = join(data, 'homography', 'synth');
    mkdirSync(join(only, 'homography', 'synth'));
    for (const f of ['1.png', '2.png', 'H_1_2', '3.ppm', 'H_1_3']) writeFileSync(join(only, 'homography', 'synth', f), readFileSync(join(src, f)));
    const io = capture();
    expect(await main(['eval', only, '--matches', join(tmp, 'perfect'), '--limit', '1'], io)).toBe(0);
    expect(io.stderr.join('\n')).toMatch(/epipolar: skipped \(no epipolar\/ folder/);
    expect(io.stderr.join('\n')).toMatch(/pose: skipped/);
    expect(io.stdout.join('\n')).toMatch(/homography \(1 pairs\)/);
  });
});

describe('coam eval with an unreadable image', () => {
  it('fails that pair (0 matches, with a note) and evaluates the rest', async () => {
    const dir = join(tmp, 'broken');
    const src = join(data, 'homography', 'synth');
    for (const name of ['a-broken', 'b-good']) {
      mkdirSync(join(dir, 'homography', name), { recursive: true });
      for (const f of ['1.png', '2.png', 'H_1_2']) writeFileSync(join(dir, 'homography', name, f), readFileSync(join(src, f)));
    }
    writeFileSync(join(dir, 'homography', 'a-broken', '2.png'), readFileSync(join(src, '2.png')).subarray(0, 100));
    const io = capture();
    expect(await main(['eval', dir, '--model', TINY_MODEL, '--long-side', '64', '--verbose'], io)).toBe(0);
    expect(io.stderr.join('\n')).toMatch(/a-broken\/1_2: .*PNG is truncated.*counted as a failure with 0 matches/);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/a-broken\/1_2 \(failed\) +0 /);
    expect(text).toMatch(/b-good\/1_2 +[1-9]/);
    expect(text).toMatch(/1 pair\(s\) without an estimate|2 pair\(s\) without an estimate/);
  });
});

describe('coam match --ratio', () => {
  it('a looser ratio test keeps at least as many matches, and 1 keeps every mutual match', async () => {
    const a = join(data, 'homography', 'synth', '1.png');
    const b = join(data, 'homography', 'synth', '3.ppm');
    const count = async (ratio: string) => {
      const io = capture();
      expect(await main(['match', a, b, '--model', TINY_MODEL, '--long-side', '64', '--search', 'off', '--ratio', ratio], io)).toBe(0);
      return Number(/of (\d+) mutual/.exec(io.stdout[0])![1]);
    };
    const [strict, loose, all] = [await count('0.5'), await count('0.9'), await count('1')];
    expect(strict).toBeLessThanOrEqual(loose);
    expect(loose).toBeLessThanOrEqual(all);
    expect(strict).toBeLessThan(all);
  });
});

describe('coam COMMAND --help', () => {
  it("prints that command's usage on stdout and exits 0, whatever else the arguments hold", async () => {
    for (const [command, own, other] of [
      ['match', /Usage: coam match A B/, /eval options:/],
      ['eval', /Usage: coam eval DATA_DIR/, /match options:/],
    ] as const) {
      for (const argv of [[command, '--help'], [command, '-h'], [command, 'x.png', '--bogus', '--help']]) {
        const io = capture();
        expect(await main(argv, io), argv.join(' ')).toBe(0);
        const out = io.stdout.join('\n');
        expect(out).toMatch(own);
        expect(out).toMatch(/--top-k N/);
        expect(out).not.toMatch(other);
        expect(io.stderr).toEqual([]);
      }
    }
    // After '--' it is an argument like any other: here a DATA_DIR that does not exist.
    const io = capture();
    expect(await main(['eval', '--', '--help'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/DATA_DIR does not exist/);
  });
});

describe('usage errors: exit 2, a message, never a stack trace', () => {
  it('bad arguments', async () => {
    for (const argv of [
      ['match', 'only-one.png'],
      ['match', 'a.png', 'b.png', '--top-k', 'abc'],
      ['match', 'a.png', 'b.png', '--frobnicate'],
      ['eval'],
      ['eval', data, '--limit', '0'],
      ['match', 'a.png', 'b.png', '--ratio', '0'],
      ['match', 'a.png', 'b.png', '--ratio', '1.5'],
      ['eval', data, '--ratio', 'x'],
      ['bogus'],
      [],
    ]) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      const err = io.stderr.join('\n') + io.stdout.join('\n');
      expect(err).toMatch(/Usage:/);
      expect(err).not.toMatch(/\n\s+at /);
    }
  });

  it('a DATA_DIR that does not exist, or a missing image', async () => {
    const io = capture();
    expect(await main(['eval', join(tmp, 'nope')], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/DATA_DIR does not exist/);
    const io2 = capture();
    expect(await main(['match', join(tmp, 'nope.png'), join(tmp, 'nope2.png'), '--model', TINY_MODEL], io2)).toBe(2);
    expect(io2.stderr.join('\n')).toMatch(/Image not found/);
  });

  it('an image that is not an image → exit 1 with the typed message', async () => {
    const bad = join(tmp, 'bad.jpg');
    writeFileSync(bad, 'hello');
    const io = capture();
    expect(await main(['match', bad, bad, '--model', TINY_MODEL], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/bad\.jpg: This file is not an image coam can read \(expected JPEG, PNG or PPM\)/);
  });

  it('bin/coam.mjs runs through tsx (help, eval --help, and exit code 2 on a missing DATA_DIR)', async () => {
    const run = promisify(execFile);
    const bin = join(ROOT, 'bin', 'coam.mjs');
    const help = await run(process.execPath, [bin, 'help'], { cwd: ROOT });
    expect(help.stdout).toMatch(/coam match A B/);
    const evalHelp = await run(process.execPath, [bin, 'eval', '--help'], { cwd: ROOT });
    expect(evalHelp.stdout).toMatch(/Usage: coam eval DATA_DIR/);
    const failed = await run(process.execPath, [bin, 'eval', join(tmp, 'nope')], { cwd: ROOT }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/DATA_DIR does not exist/);
  });
});
