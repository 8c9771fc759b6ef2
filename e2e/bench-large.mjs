// `npm run bench:large`: a 50-megapixel photo in the app, as a figure (no assertions): the time
// from choosing the file to its decode, to the first matches and to the final ones, and the
// browser's memory (proportional set size of all its processes, sampled every 100 ms): before,
// at its peak, and after; twice, so a second photo shows whether memory comes back.
// The photo is graf1 enlarged to 8000×6400 with sensor-like noise, JPEG quality 90, made once
// into the system's temp folder; B is graf3. BENCH_QUERY adds URL parameters (default search=off).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { ROOT, launchBrowser, startServer, waitForMatches } from './harness.mjs';

const WIDTH = 8000;
const HEIGHT = 6400;
const QUERY = process.env.BENCH_QUERY ?? 'search=off';

function largePhoto() {
  const path = join(tmpdir(), `coam-bench-graf1-${WIDTH}x${HEIGHT}.jpg`);
  if (existsSync(path)) return readFileSync(path);
  const t0 = Date.now();
  const src = jpeg.decode(readFileSync(join(ROOT, 'public', 'samples', 'graf1.jpg')), { useTArray: true });
  const data = Buffer.alloc(WIDTH * HEIGHT * 4);
  let seed = 1;
  for (let y = 0; y < HEIGHT; y++) {
    const sy = Math.min(src.height - 1.001, Math.max(0, ((y + 0.5) * src.height) / HEIGHT - 0.5));
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    for (let x = 0; x < WIDTH; x++) {
      const sx = Math.min(src.width - 1.001, Math.max(0, ((x + 0.5) * src.width) / WIDTH - 0.5));
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      const i = (y * WIDTH + x) * 4;
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noise = ((seed >>> 24) - 128) / 32; // ±4 levels
      for (let c = 0; c < 3; c++) {
        const p = (yy, xx) => src.data[(yy * src.width + xx) * 4 + c];
        const v = (1 - fy) * ((1 - fx) * p(y0, x0) + fx * p(y0, x0 + 1)) + fy * ((1 - fx) * p(y0 + 1, x0) + fx * p(y0 + 1, x0 + 1));
        data[i + c] = Math.max(0, Math.min(255, Math.round(v + noise)));
      }
      data[i + 3] = 255;
    }
  }
  const bytes = jpeg.encode({ width: WIDTH, height: HEIGHT, data }, 90).data;
  writeFileSync(path, bytes);
  console.log(`made ${path} (${(bytes.length / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return bytes;
}

/** Proportional set size (MB) of every process started with this profile folder. */
function browserPss(userDataDir) {
  let kb = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(userDataDir)) continue;
      kb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // The process ended meanwhile.
    }
  }
  return kb / 1024;
}

const photo = largePhoto();
const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}?backend=wasm&${QUERY}`);
  await page.getByTestId('backend').filter({ hasText: 'WASM' }).waitFor({ timeout: 120_000 });
  await page.getByLabel('Image B', { exact: true }).setInputFiles(join(ROOT, 'public', 'samples', 'graf3.jpg'));
  await page.waitForFunction(() => window.__coamDebug.state.images.B?.status === 'ready');
  for (let round = 1; round <= 2; round++) {
    await page.waitForTimeout(2000);
    const before = browserPss(browser.userDataDir);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, browserPss(browser.userDataDir))), 100);
    const runs = await page.evaluate(() => window.__coamDebug.inferenceRuns);
    const t0 = Date.now();
    await page.getByLabel('Image A', { exact: true }).setInputFiles({ name: `photo-${round}.jpg`, mimeType: 'image/jpeg', buffer: photo });
    const tChosen = Date.now();
    await page.locator('.slot-file').first().filter({ hasText: new RegExp(`photo-${round}\\.jpg · (\\d+×\\d+|unusable)`) }).waitFor({ timeout: 300_000 });
    const tDecoded = Date.now();
    const a = (await page.evaluate(() => window.__coamDebug.state.images.A));
    await page.waitForFunction((r) => window.__coamDebug.inferenceRuns > r && window.__coamDebug.state.run !== 'running', runs, { timeout: 600_000, polling: 50 });
    const n = await waitForMatches(page, 10_000);
    const tDone = Date.now();
    const timings = await page.evaluate(() => window.__coamDebug.state.timings);
    await page.waitForTimeout(3000);
    clearInterval(sampler);
    const after = browserPss(browser.userDataDir);
    console.log(
      `round ${round}: ${WIDTH}×${HEIGHT} JPEG (${(photo.length / 1e6).toFixed(1)} MB, ${((WIDTH * HEIGHT) / 1e6).toFixed(1)} MP) ` +
        `handed to the page in ${((tChosen - t0) / 1000).toFixed(2)} s; decoded (${a.width}×${a.height}, display copy ${a.bitmapWidth}×${a.bitmapHeight}) ${((tDecoded - tChosen) / 1000).toFixed(2)} s after; ` +
        `${n} matches ${((tDone - tChosen) / 1000).toFixed(2)} s after (preprocess ${timings?.preprocessMs?.toFixed(0) ?? '–'} ms). ` +
        `Browser memory (PSS, all processes): ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB (+${(peak - before).toFixed(0)}), ${after.toFixed(0)} MB 3 s after.`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
