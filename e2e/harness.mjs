// Shared e2e plumbing: build + serve the app, launch Debian's chromium through playwright-core,
// and small helpers (drop files, wait for matches). No browser downloads, no test framework.
import { build, createLogger, createServer as createViteServer, preview } from 'vite';
import { chromium } from 'playwright-core';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { extname, normalize } from 'node:path';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Builds into dist/ (unless E2E_SKIP_BUILD=1 and dist exists) and serves it with `vite preview`. */
export async function startServer() {
  if (!(process.env.E2E_SKIP_BUILD === '1' && existsSync(join(ROOT, 'dist', 'index.html')))) {
    const t0 = Date.now();
    await build({ root: ROOT, logLevel: 'warn' });
    console.log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const port = await freePort();
  const server = await preview({ root: ROOT, logLevel: 'warn', preview: { port, strictPort: true, host: '127.0.0.1', open: false } });
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    async close() {
      await new Promise((r) => server.httpServer.close(() => r()));
    },
  };
}

/**
 * `npm start`'s dev server on a free port, with a Vite cache of its own (empty, so this is a fresh
 * clone's first visit; the user's node_modules/.vite is left alone). `messages` collects what the
 * server logs, e.g. "optimized dependencies changed. reloading".
 */
export async function startDevServer() {
  const cacheDir = mkdtempSync(join(tmpdir(), 'coam-vite-cache-'));
  const messages = [];
  const logger = createLogger('error');
  for (const level of ['info', 'warn', 'error']) {
    const log = logger[level].bind(logger);
    logger[level] = (msg, options) => {
      messages.push(String(msg));
      log(msg, options);
    };
  }
  const port = await freePort();
  const server = await createViteServer({
    root: ROOT,
    cacheDir,
    customLogger: logger,
    server: { port, strictPort: true, host: '127.0.0.1', open: false },
  });
  await server.listen();
  return {
    url: `http://127.0.0.1:${port}/`,
    messages,
    async close() {
      await server.close();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/**
 * A chromium with a fresh profile; returns { browser, close }. Service workers are blocked unless
 * asked for: the app's would serve later tests from its cache, past their `page.route`s.
 */
export async function launchBrowser({ webgpu = false, serviceWorkers = 'block' } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'coam-e2e-'));
  const args = [...BASE_ARGS];
  if (webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
    serviceWorkers,
  });
  return {
    context,
    /** The profile folder: it names this browser's processes (the large-image bench sums their memory). */
    userDataDir,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Drops files onto an element as a real drag-and-drop would (a DataTransfer with File objects). */
export async function dropFiles(page, selector, files) {
  const payload = files.map((f) => ({ name: f.name, type: f.type, b64: Buffer.from(f.buffer).toString('base64') }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const it of items) {
      const bin = atob(it.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], it.name, { type: it.type }));
    }
    return dt;
  }, payload);
  await page.dispatchEvent(selector, 'dragover', { dataTransfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}

export const debugState = (page) => page.evaluate(() => window.__coamDebug?.state);

/** The attention view's state once it shows `want` ({ from, level }). */
export async function waitForAttention(page, want) {
  await page.waitForFunction((w) => {
    const a = window.__coamDebug.state.attention;
    return a && a.from === w.from && a.level === w.level;
  }, want, { timeout: 30_000 });
  return (await debugState(page)).attention;
}
export const inferenceRuns = (page) => page.evaluate(() => window.__coamDebug?.inferenceRuns ?? -1);

/** Waits until the status reads "N matches" and returns N (total). */
export async function waitForMatches(page, timeout = 90_000) {
  const status = page.getByRole('status');
  await status.filter({ hasText: /\d+ matches/ }).waitFor({ timeout });
  const text = await status.textContent();
  return Number(/(\d+) matches/.exec(text)[1]);
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.jpg': 'image/jpeg', '.json': 'application/json', '.md': 'text/markdown' };

/**
 * A plain static server (no COOP/COEP headers, so no cross-origin isolation) serving dist/ under a
 * sub-path, as a folder next to the slides would be.
 */
export async function startPlainServer(prefix = '/talk/coam/') {
  const dist = join(ROOT, 'dist');
  const server = createHttpServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!path.startsWith(prefix)) return void res.writeHead(404).end();
    let file = normalize(join(dist, path.slice(prefix.length)));
    if (!file.startsWith(dist)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}${prefix}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** `coam serve dist --port N` as a user would start it for a talk; resolves once it listens. */
export async function coamServe() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'coam.mjs'), 'serve', join(ROOT, 'dist'), '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`coam serve exited ${child.exitCode}: ${output}`);
    if (/serving/.test(output)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!/serving/.test(output)) throw new Error(`coam serve did not start: ${output}`);
  let closed = false;
  return {
    url,
    output: () => output,
    async close() {
      if (closed) return;
      closed = true;
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}
