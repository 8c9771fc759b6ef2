import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { precache } from './precache-plugin';

/** Runs the plugin's hooks over a made-up bundle; returns the manifest written into sw.js. */
function manifestOf(publicDir: string, assets: Record<string, string>): { version: string; files: string[] } {
  const plugin = precache();
  (plugin.configResolved as (c: unknown) => void)({ publicDir });
  const sw = { type: 'chunk', code: 'const m=self.__COAM_PRECACHE;', imports: [], exports: [] };
  const bundle: Record<string, unknown> = { 'sw.js': sw };
  for (const [name, source] of Object.entries(assets)) bundle[name] = { type: 'asset', source };
  const ctx = { error: (m: string) => { throw new Error(m); } };
  (plugin.generateBundle as (this: unknown, o: unknown, b: unknown) => void).call(ctx, {}, bundle);
  return JSON.parse(/const m=(.*);$/.exec(sw.code)![1]);
}

describe('precache plugin', () => {
  const pub = mkdtempSync(join(tmpdir(), 'coam-public-'));
  writeFileSync(join(pub, 'graf1.jpg'), 'jpeg bytes');
  afterAll(() => rmSync(pub, { recursive: true, force: true }));

  it('lists every build and public file, the page included, not sw.js', () => {
    const m = manifestOf(pub, { 'assets/index-abc.js': 'code', 'assets/model-def.onnx': 'weights' });
    expect(m.files).toEqual(['assets/index-abc.js', 'assets/model-def.onnx', 'graf1.jpg', 'index.html']);
  });

  it('a changed file, build or public, is a new version (a new sw.js, which the browser installs)', () => {
    const before = manifestOf(pub, { 'assets/index-abc.js': 'code' }).version;
    expect(manifestOf(pub, { 'assets/index-abc.js': 'code' }).version).toBe(before);
    expect(manifestOf(pub, { 'assets/index-abd.js': 'code' }).version).not.toBe(before);
    writeFileSync(join(pub, 'graf1.jpg'), 'other jpeg bytes');
    expect(manifestOf(pub, { 'assets/index-abc.js': 'code' }).version).not.toBe(before);
  });
});
