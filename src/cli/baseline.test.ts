/** `coam match --baseline`: the comparison, run as a user runs it (bin/coam.mjs), and its usage errors. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fedSize } from '../core/image';
import type { MatchesFile } from '../core/types';
import type { BaselineComparison } from './baseline';
import type { Io } from './io';
import { main } from './main';

const ROOT = join(__dirname, '..', '..');
const TINY_MODEL = join(ROOT, 'src', 'core', '__fixtures__', 'tiny_coam.onnx');
const A = join(ROOT, 'public', 'samples', 'graf1.jpg');
const B = join(ROOT, 'public', 'samples', 'graf3.jpg');
const tmp = mkdtempSync(join(tmpdir(), 'coam-baseline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('coam match --baseline', () => {
  it('runs both matchers on the same fed pixels and writes the counts side by side', async () => {
    const compare = join(tmp, 'cmp.json');
    const baselineJson = join(tmp, 'akaze.json');
    const figure = join(tmp, 'cmp.svg');
    // In a process of its own, as a user runs it: OpenCV.js loads through the same import() as in the browser.
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'coam.mjs'), 'match', A, B, '--model', TINY_MODEL, '--long-side', '256', '--search', 'off', '--top-k', '50',
        '--baseline', 'sift', '--compare', compare, '--baseline-json', baselineJson, '--compare-svg', figure],
      { cwd: ROOT, timeout: 120_000 },
    );
    const cmp = JSON.parse(readFileSync(compare, 'utf8')) as BaselineComparison;
    const fed = fedSize(800, 640, 256, 16);
    expect(cmp).toMatchObject({ longSide: 256, topK: 50, ransac: 'homography', ratio: 0.85 });
    expect(cmp.coam.fedA).toEqual([fed.width, fed.height]);
    expect(cmp.baseline.fedA).toEqual(cmp.coam.fedA);
    expect(cmp.baseline.fedB).toEqual(cmp.coam.fedB);
    expect(cmp.baseline.asked).toBe('sift');
    expect(['sift', 'akaze']).toContain(cmp.baseline.name.replace('opencv-', ''));
    for (const side of [cmp.coam, cmp.baseline]) {
      expect(side.shown).toBe(Math.min(50, side.total));
      if (side.inliers !== null) expect(side.inliers).toBeLessThanOrEqual(side.shown);
    }
    // AKAZE finds this viewpoint change at 256 px: a homography that a third of its top matches fit
    // (22 of 45 on OpenCV.js 4.12.0; random lines would fit none).
    expect(cmp.baseline.shown).toBeGreaterThan(20);
    expect(cmp.baseline.inliers!).toBeGreaterThan(cmp.baseline.shown / 3);
    if (cmp.baseline.fallbackReason) expect(stderr).toContain(`note: ${cmp.baseline.fallbackReason}`);
    const label = cmp.baseline.name.replace('opencv-', '').toUpperCase();
    expect(stdout).toContain(
      `CoAM: ${cmp.coam.shown} matches of ${cmp.coam.total}, ${cmp.coam.inliers === null ? 'no model' : `${cmp.coam.inliers} inliers`} (homography) | ` +
        `${label}: ${cmp.baseline.shown} matches of ${cmp.baseline.total}, ${cmp.baseline.inliers} inliers (homography)`,
    );
    // The slide: 16:9, both images embedded in each panel, one line per shown match, the same counts.
    const svg = readFileSync(figure, 'utf8');
    expect(svg).toMatch(/viewBox="0 0 1920 1080"/);
    expect(svg.match(/<image [^>]*href="data:image\/jpeg;base64,/g)).toHaveLength(4);
    const pct = (c: { shown: number; inliers: number | null }) =>
      c.inliers === null ? 'no model' : `${c.inliers} inliers (${Math.round((100 * c.inliers) / c.shown)}%)`;
    expect(svg).toContain(`CoAM: ${cmp.coam.shown} matches shown of ${cmp.coam.total} · ${pct(cmp.coam)}`);
    expect(svg).toContain(`${label}: ${cmp.baseline.shown} matches shown of ${cmp.baseline.total} · ${pct(cmp.baseline)}`);
    const panels = svg.split('<g class="panel"').slice(1);
    expect(panels.map((p) => (p.match(/<line /g) ?? []).length)).toEqual([cmp.coam.shown, cmp.baseline.shown]);
    expect(panels[1].match(/stroke="#22c55e"/g) ?? []).toHaveLength(cmp.baseline.inliers ?? 0);
    expect(svg).toContain(`homography RANSAC · fed ${cmp.coam.fedA[0]}×${cmp.coam.fedA[1]}`);
    expect(stdout).toContain(`wrote ${figure}`);
    // The baseline's own matches, top-K, sorted, in the layout `coam eval --matches` reads.
    const file = JSON.parse(readFileSync(baselineJson, 'utf8')) as MatchesFile;
    expect(file.imageB).toEqual({ path: B, width: 800, height: 640 });
    expect(file.matches).toHaveLength(cmp.baseline.shown);
    for (let i = 1; i < file.matches.length; i++) expect(file.matches[i].score).toBeLessThanOrEqual(file.matches[i - 1].score);
  });

  it('names a wrong detector, a wrong RANSAC and comparison options without --baseline (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--baseline', 'surf'], /--baseline must be one of sift, akaze, orb, got 'surf'/],
      [['--baseline', 'akaze', '--ransac', 'affine'], /--ransac must be 'homography' or 'fundamental'/],
      [['--compare', join(tmp, 'x.json')], /--compare compare with a classic matcher: add --baseline/],
      [['--compare-svg', join(tmp, 'x.svg')], /--compare-svg compare with a classic matcher: add --baseline/],
    ];
    for (const [extra, message] of cases) {
      const io = capture();
      expect(await main(['match', A, B, '--model', TINY_MODEL, ...extra], io)).toBe(2);
      expect(io.stderr.join('\n')).toMatch(message);
    }
  });
});
