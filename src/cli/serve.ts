/**
 * `coam serve [DIR] [--port N] [--host H]`: serves the built app (default ./dist) for a talk, with
 * the cross-origin isolation headers multi-threaded WASM needs (COOP/COEP), which most static
 * servers do not send. A static file server and nothing else: no directory listings, no paths
 * outside DIR.
 */
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { CoamError } from '../core/errors';
import { HelpRequested, UsageError } from './args';
import type { Io } from './io';

export const SERVE_USAGE = `coam serve [DIR] [--port N] [--host H]
  serves the built app (DIR, default ./dist: 'npm run build' makes it) at http://H:N/
  with the isolation headers multi-threaded WASM needs; --port 8080 and --host localhost by default`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** What every response carries: isolation (SharedArrayBuffer, so WASM threads) and no sniffing. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/** Starts serving `dir`; resolves with the server and its address once it listens. */
export async function startStaticServer(dir: string, port: number, host: string): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new CoamError('bad-argument', `${root} has no index.html: build the app first ('npm run build' writes dist/), or name the folder it is in.`);
  }
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', ...ISOLATION_HEADERS }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, ISOLATION_HEADERS).end();
      return;
    }
    let file = resolve(root, `.${path}`);
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, ISOLATION_HEADERS).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...ISOLATION_HEADERS }).end('Not found\n');
      return;
    }
    // Hashed build files never change; the page and the service worker are checked on every load.
    const immutable = /[\\/]assets[\\/]/.test(file);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(statSync(file).size),
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...ISOLATION_HEADERS,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new CoamError('bad-argument', `port ${port} is in use; pick another with --port`) : e),
    );
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return { server, url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${actualPort}/` };
}

/** Serves until interrupted (Ctrl-C); returns the exit code. */
export async function serveCommand(argv: string[], io: Io, stop?: Promise<void>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { port: { type: 'string', short: 'p' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.values.help) throw new HelpRequested(SERVE_USAGE);
  if (parsed.positionals.length > 1) throw new UsageError(`serve takes one folder, got ${parsed.positionals.length}`);
  const port = parsed.values.port === undefined ? 8080 : Number(parsed.values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got '${parsed.values.port}'`);
  const host = parsed.values.host ?? 'localhost';
  const dir = parsed.positionals[0] ?? 'dist';
  const { server, url } = await startStaticServer(dir, port, host);
  io.out(`coam: serving ${resolve(dir)} at ${url} (cross-origin isolated: multi-threaded WASM). After one visit the app also works offline. Ctrl-C stops.`);
  await (stop ?? new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  }));
  await new Promise((done) => server.close(done));
  server.closeAllConnections();
  return 0;
}
