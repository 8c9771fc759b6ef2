import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main';
import { startStaticServer } from './serve';

describe('coam serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coam-serve-'));
  let url = '';
  let close = () => Promise.resolve();
  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><p>app</p>');
    writeFileSync(join(dir, 'assets', 'x-123.wasm'), new Uint8Array([0, 97, 115, 109]));
    writeFileSync(join(dir, '..', 'coam-serve-secret.txt'), 'secret');
    const started = await startStaticServer(dir, 0, '127.0.0.1');
    url = started.url;
    close = () => new Promise((r) => started.server.close(() => r()));
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', 'coam-serve-secret.txt'), { force: true });
  });

  it('serves the page and the wasm with the isolation headers and their types', async () => {
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('app');
    const wasm = await fetch(`${url}assets/x-123.wasm?v=1`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(wasm.headers.get('cache-control')).toMatch(/immutable/);
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]));
  });

  it('never serves outside its folder; a missing file is a 404', async () => {
    expect((await fetch(`${url}..%2fcoam-serve-secret.txt`)).status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${url}%2e%2e/coam-serve-secret.txt`)).status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${url}nothing.js`)).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  });

  it('a folder without a build, a bad port: a message and exit 2', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (l: string) => err.push(l) };
    expect(await main(['serve', join(dir, 'assets')], io)).toBe(2);
    expect(err.join('\n')).toMatch(/has no index\.html: build the app first/);
    expect(await main(['serve', dir, '--port', 'x'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--port must be a whole number/);
  });
});
