// The e2e tests. Each gets a fresh page in a shared browser (the WebGPU test starts its own).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { ROOT, assert, coamServe, dropFiles, inferenceRuns, launchBrowser, waitForMatches, debugState, waitForAttention, startDevServer, startPlainServer } from './harness.mjs';

// Small inputs keep the run short on 2 cores: the network sees at most 256 px.
const FAST = 'longSide=256';
const sample = (name) => readFileSync(join(ROOT, 'public', 'samples', `${name}.jpg`));
const jpeg = (name) => ({ name: `${name}.jpg`, type: 'image/jpeg', buffer: sample(name) });

async function setFile(page, label, file) {
  await page.getByLabel(label, { exact: true }).setInputFiles({ name: file.name, mimeType: file.type, buffer: Buffer.from(file.buffer) });
}

export const tests = [
  {
    name: 'drop two images onto the page → lines appear, status shows the count; backend badge says WASM',
    async run({ page, url }) {
      const onnx = [];
      page.on('request', (r) => {
        if (/\.onnx(\?|$)/.test(r.url())) onnx.push(new URL(r.url()).pathname.split('/').pop());
      });
      await page.goto(`${url}?${FAST}`);
      await page.getByLabel('Image A', { exact: true }).waitFor();
      await dropFiles(page, 'main.stage', [jpeg('box'), jpeg('box_in_scene')]);
      const n = await waitForMatches(page);
      assert(n > 0, `expected matches, got ${n}`);
      const st = await debugState(page);
      assert(st.matches === n, `status count ${n} = result count ${st.matches}`);
      const status = await page.getByRole('status').textContent();
      assert(new RegExp(`${Math.min(n, st.k)} matches shown of ${n}`).test(status), `status "${status}"`);
      // Lines were drawn: the canvas has pixels in the line colours between the two images.
      const drawn = await page.evaluate(() => window.__coamDebug.frames);
      assert(drawn > 0, 'overlay drew frames');
      const badge = (await page.getByTestId('backend').textContent()).trim();
      assert(/^WASM/.test(badge), `backend badge "${badge}"`);
      const reason = await page.getByTestId('backend-reason').textContent().catch(() => '');
      // The bundled model runs split: each image encoded once, then the conditioned decoder per pass.
      const timings = await page.getByTestId('timings').textContent();
      assert(/encode \d/.test(timings) && /pass A\|B \d/.test(timings), `timings strip "${timings}"`);
      // ... and only the split (and the small co-attention graph) is downloaded: coam.onnx holds the same weights again.
      // (None at all when an earlier test left them in Cache Storage.)
      assert(onnx.length <= 3 && onnx.every((f) => /^coam-(encoder|decoder|attention)\b/.test(f)), `model files fetched: ${onnx.join(', ')}`);
      console.log(`    ${n} matches; badge "${badge}"; reason "${reason}"; ${timings}`);
    },
  },
  {
    name: 'Top-K slider changes the shown count without a new inference',
    async run({ page, url }) {
      // The ratio test off (a URL parameter): every mutual match, enough to step K through at this size.
      await page.goto(`${url}?a=box&b=box_in_scene&ratio=1&${FAST}`);
      const total = await waitForMatches(page);
      const before = await inferenceRuns(page);
      const slider = page.getByLabel('Top-K', { exact: true });
      for (const k of [Math.max(1, Math.floor(total / 2)), 5, 1]) {
        await slider.fill(String(k));
        await page.getByRole('status').filter({ hasText: `${k} matches shown of ${total}` }).waitFor({ timeout: 5000 });
      }
      await page.getByLabel('Matches to show').fill('3');
      await page.getByRole('status').filter({ hasText: `3 matches shown of ${total}` }).waitFor({ timeout: 5000 });
      const after = await inferenceRuns(page);
      assert(after === before, `inference runs changed ${before} → ${after}`);
      // Keyboard: → steps K up, still without inference.
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('ArrowRight');
      await page.getByRole('status').filter({ hasText: `${Math.min(5, total)} matches shown of ${total}` }).waitFor({ timeout: 5000 });
      assert((await inferenceRuns(page)) === before, 'keyboard K step ran inference');
    },
  },
  {
    name: 'two-finger pinch zooms about the fingers and pans; double-click fits again',
    async run({ page, url }) {
      await page.goto(`${url}?a=box&b=box_in_scene&${FAST}`);
      await waitForMatches(page);
      const view = () => page.evaluate(() => window.__coamDebug.view);
      const before = await view();
      assert(before?.fitted, `the figure starts fitted: ${JSON.stringify(before)}`);
      const box = await page.locator('canvas').boundingBox();
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 2 });
      const touch = (type, d, dy = 0) =>
        cdp.send('Input.dispatchTouchEvent', {
          type,
          touchPoints: type === 'touchEnd' ? [] : [{ x: cx - d, y: cy + dy, id: 1 }, { x: cx + d, y: cy + dy, id: 2 }],
        });
      await touch('touchStart', 40);
      for (const d of [60, 80, 100, 120]) await touch('touchMove', d); // fingers spread 80 → 240 px: 3x
      await touch('touchMove', 120, 30); // both fingers move down: a pan
      await touch('touchEnd', 0);
      const after = await view();
      const ratio = after.zoom / before.zoom;
      assert(!after.fitted && ratio > 2.5 && ratio < 3.5, `pinch zoom ${ratio.toFixed(2)}x: ${JSON.stringify({ before, after })}`);
      // Zoomed about the fingers' midpoint (the canvas centre), then panned 30 px down: the figure point at
      // the centre moved up by 30 / zoom figure units. Each finger's move arrives on its own, so the
      // midpoint wobbles by a few px during the spread: allow 8 css px of drift.
      const drift = Math.abs(after.cx - before.cx) * after.zoom;
      const pan = (before.cy - after.cy) * after.zoom;
      assert(drift < 8, `sideways drift ${drift.toFixed(1)} css px: ${JSON.stringify({ before, after })}`);
      assert(Math.abs(pan - 30) < 8, `pan ${pan.toFixed(1)} css px follows the fingers' 30: ${JSON.stringify({ before, after })}`);
      assert(!(await page.evaluate(() => window.__coamDebug.state?.inspect?.pinned ?? false)), 'a pinch does not pin an inspection');
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false });
      await page.locator('canvas').dblclick();
      const fitted = await view();
      assert(fitted.fitted && Math.abs(fitted.zoom - before.zoom) < 1e-6, `double-click fits: ${JSON.stringify(fitted)}`);
      console.log(`    pinch ${ratio.toFixed(2)}x, pan ${pan.toFixed(1)} css px, drift ${drift.toFixed(1)} css px`);
    },
  },
  {
    name: 'sample pair loads from its button; a missing second image gets a message',
    async run({ page, url }) {
      await page.goto(`${url}?${FAST}`);
      await page.getByLabel('Image A', { exact: true }).waitFor();
      // Paste from the clipboard fills the empty slot (A).
      await page.evaluate((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'graf1.jpg', { type: 'image/jpeg' }));
        document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
      }, sample('graf1').toString('base64'));
      await page.getByRole('status').filter({ hasText: 'Add Image B to match.' }).waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Graffiti (viewpoint)' }).click();
      const n = await waitForMatches(page);
      assert(n > 0, 'sample pair matched');
      const names = await page.locator('.slot-file').allTextContents();
      assert(names[0].includes('graf1') && names[1].includes('graf3'), `slots show ${names}`);
      // Inspect: hovering image A shows its similarity over B, in words too.
      const box = await page.locator('canvas').boundingBox();
      await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.5);
      await page.getByTestId('inspect').filter({ hasText: /Inspecting A \(\d+, \d+\): most similar in B/ }).waitFor({ timeout: 5000 });
    },
  },
  {
    name: 'ordered loads: a slow sample pair clicked first never mixes into the pair clicked after it',
    async run({ page, url }) {
      // graf's images arrive 1.5 s late; box's at once. Clicking graf, then box 100 ms later, must end on box.
      const released = [];
      await page.route(/\/samples\/graf[13]\.jpg$/, async (route) => {
        await new Promise((r) => setTimeout(r, 1500));
        await route.continue().catch(() => undefined);
        released.push(route.request().url());
      });
      await page.goto(`${url}?${FAST}`);
      await page.getByRole('button', { name: 'Graffiti (viewpoint)' }).click();
      await page.waitForTimeout(100);
      await page.getByRole('button', { name: 'Box in scene' }).click();
      await waitForMatches(page);
      // Both late images have come in by now (or come in during this wait), and were dropped.
      for (let i = 0; i < 40 && released.length < 2; i++) await page.waitForTimeout(100);
      assert(released.length === 2, `graf's delayed responses came in: ${released.length}`);
      await page.waitForTimeout(500);
      const names = await page.locator('.slot-file').allTextContents();
      assert(names[0].startsWith('box ·') && names[1].startsWith('box_in_scene ·'), `slots show ${JSON.stringify(names)}`);
      const st = await debugState(page);
      assert(st.run === 'done' && st.images.A.width === 324 && st.images.B.width === 512, `state after the late responses: ${JSON.stringify(st.images)} run ${st.run}`);
    },
  },
  {
    name: 'ordered loads: a slow a=/b= URL image never replaces a file picked after it',
    async run({ page, url }) {
      let released = 0;
      await page.route(/\/slow\/[ab]\.jpg$/, async (route) => {
        await new Promise((r) => setTimeout(r, 1500));
        await route.fulfill({ status: 200, contentType: 'image/jpeg', body: sample('graf1') }).catch(() => undefined);
        released++;
      });
      await page.goto(`${url}?a=slow/a.jpg&b=slow/b.jpg&${FAST}`);
      await page.getByLabel('Image A', { exact: true }).waitFor();
      await setFile(page, 'Image A', jpeg('box'));
      await setFile(page, 'Image B', jpeg('box_in_scene'));
      await waitForMatches(page);
      for (let i = 0; i < 40 && released < 2; i++) await page.waitForTimeout(100);
      assert(released === 2, `the URL images came in: ${released}`);
      await page.waitForTimeout(500);
      const names = await page.locator('.slot-file').allTextContents();
      assert(names[0].startsWith('box.jpg ·') && names[1].startsWith('box_in_scene.jpg ·'), `slots show ${JSON.stringify(names)}`);
      const st = await debugState(page);
      assert(st.run === 'done' && st.matches > 0, `the picked files' matches stay: run ${st.run}, ${st.matches} matches`);
    },
  },
  {
    name: 'a non-image and a truncated JPEG give messages; the app still works afterwards',
    async run({ page, url }) {
      await page.goto(`${url}?${FAST}`);
      const alert = page.getByRole('alert');
      await setFile(page, 'Image A', { name: 'notes.txt', type: 'text/plain', buffer: Buffer.from('hello, this is not an image\n') });
      await alert.filter({ hasText: /Image A \(notes\.txt\): Not an image/ }).waitFor({ timeout: 20_000 });
      const full = sample('box');
      await setFile(page, 'Image B', { name: 'cut.jpg', type: 'image/jpeg', buffer: full.subarray(0, Math.floor(full.length * 0.4)) });
      await alert.filter({ hasText: /Image B \(cut\.jpg\): Corrupt or truncated image/ }).waitFor({ timeout: 20_000 });
      await setFile(page, 'Image B', { name: 'empty.png', type: 'image/png', buffer: Buffer.alloc(0) });
      await alert.filter({ hasText: /Image B \(empty\.png\): Empty image/ }).waitFor({ timeout: 20_000 });
      // Still usable: two good images match.
      await setFile(page, 'Image A', jpeg('box'));
      await setFile(page, 'Image B', jpeg('box_in_scene'));
      const n = await waitForMatches(page);
      assert(n > 0, 'matched after bad inputs');
    },
  },
  {
    name: 'greyscale, CMYK, alpha and EXIF-rotated photos decode upright and match',
    async run({ page, url }) {
      await page.goto(`${url}?${FAST}`);
      const fixture = (name, type) => ({ name, type, buffer: readFileSync(join(ROOT, 'e2e', 'fixtures', name)) });
      const cases = [
        [fixture('exif-rotated-6.jpg', 'image/jpeg'), 110, 160],
        [fixture('grey.jpg', 'image/jpeg'), 160, 110],
        [fixture('alpha.png', 'image/png'), 160, 110],
        // 160×110: the core's 32×16 CMYK fixture is below the size the app matches.
        [fixture('cmyk.jpg', 'image/jpeg'), 160, 110],
      ];
      await setFile(page, 'Image B', jpeg('box'));
      for (const [file, w, h] of cases) {
        const runs = await inferenceRuns(page);
        await setFile(page, 'Image A', file);
        await page.waitForFunction((r) => window.__coamDebug.inferenceRuns > r && window.__coamDebug.state.run === 'done', runs, { timeout: 60_000 });
        const a = (await debugState(page)).images.A;
        if (w) assert(a.width === w && a.height === h, `${file.name}: decoded ${a.width}×${a.height}, expected ${w}×${h}`);
        // The sharp display copy (browser decoder) and the network's pixels (core decoder) agree on orientation.
        await page.waitForFunction(() => window.__coamDebug.state.images.A?.bitmapWidth > 0);
        const shown = (await debugState(page)).images.A;
        assert(shown.bitmapWidth === a.width && shown.bitmapHeight === a.height, `${file.name}: shown ${shown.bitmapWidth}×${shown.bitmapHeight} vs decoded ${a.width}×${a.height}`);
      }
    },
  },
  {
    name: "formats the browser reads (WebP, GIF, AVIF, BMP, SVG) decode and match; TIFF and HEIC get a message saying what to do",
    async run({ page, url }) {
      await page.goto(`${url}?${FAST}`);
      const fixture = (name, type) => ({ name, type, buffer: readFileSync(join(ROOT, 'e2e', 'fixtures', name)) });
      await setFile(page, 'Image B', jpeg('box'));
      for (const [name, type] of [['box.webp', 'image/webp'], ['box.gif', 'image/gif'], ['box.avif', 'image/avif'], ['box.bmp', 'image/bmp'], ['box.svg', 'image/svg+xml']]) {
        const runs = await inferenceRuns(page);
        await setFile(page, 'Image A', fixture(name, type));
        await page.waitForFunction((r) => window.__coamDebug.inferenceRuns > r && window.__coamDebug.state.run === 'done', runs, { timeout: 60_000 });
        const st = await debugState(page);
        assert(st.images.A.width === 160 && st.images.A.height === 110, `${name}: decoded ${st.images.A.width}×${st.images.A.height}`);
        assert(st.matches > 0, `${name}: ${st.matches} matches`);
        await page.waitForFunction(() => window.__coamDebug.state.images.A?.bitmapWidth === 160, undefined, { timeout: 10_000 });
      }
      const alert = page.getByRole('alert');
      await setFile(page, 'Image A', fixture('box.tiff', 'image/tiff'));
      await alert.filter({ hasText: /Image A \(box\.tiff\): .*TIFF.*(JPEG|PNG)/ }).waitFor({ timeout: 20_000 });
      await setFile(page, 'Image A', fixture('photo.heic', 'image/heic'));
      await alert.filter({ hasText: /Image A \(photo\.heic\): .*HEIC.*JPEG/ }).waitFor({ timeout: 20_000 });
      console.log(`    ${(await alert.textContent()).slice(0, 200)}`);
    },
  },
  {
    name: 'a 1×1 image and a 20000×200 panorama get a message saying why and what to do; the partner is drawn whole',
    async run({ page, url }) {
      const png = (width, height) => {
        const data = new Uint8Array(width * height * 3);
        for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
        return { name: `${width}x${height}.png`, type: 'image/png', buffer: Buffer.from(encodePng({ width, height, data, channels: 3, depth: 8 })) };
      };
      await page.goto(`${url}?${FAST}`);
      await setFile(page, 'Image B', jpeg('box'));
      const alert = page.getByRole('alert');
      await setFile(page, 'Image A', png(1, 1));
      await alert.filter({ hasText: /Image A \(1x1\.png\): .*1×1 px.*too small.*at least \d+ px/ }).waitFor({ timeout: 20_000 });
      await page.getByRole('status').filter({ hasText: 'Image A could not be used' }).waitFor({ timeout: 5000 });
      await setFile(page, 'Image A', png(20000, 200));
      await alert.filter({ hasText: /Image A \(20000x200\.png\): .*20000×200.*100:1.*Crop/ }).waitFor({ timeout: 30_000 });
      const st = await debugState(page);
      assert(st.images.A.status === 'error' && st.run !== 'running' && st.matches === 0, `no run on the panorama: ${JSON.stringify(st)}`);
      // B alone fills the figure: the fitted view shows it at least 200 css px tall.
      const view = await page.evaluate(() => window.__coamDebug.view);
      assert(view && view.zoom * 223 >= 200, `B drawn ${(view?.zoom * 223).toFixed(1)} css px tall: ${JSON.stringify(view)}`);
    },
  },
  {
    name: 'embed URL renders the chrome-less view with the requested K',
    async run({ page, url }) {
      await page.goto(`${url}?embed=1&a=box&b=box_in_scene&k=7&layout=stacked&heatmap=1&${FAST}`);
      const total = await waitForMatches(page);
      const k = Math.min(7, total);
      await page.getByRole('status').filter({ hasText: `${k} matches shown of ${total}` }).waitFor({ timeout: 5000 });
      assert((await page.getByLabel('Image A', { exact: true }).count()) === 0, 'no file inputs in embed view');
      assert((await page.getByLabel('Top-K', { exact: true }).count()) === 0, 'no slider in embed view');
      assert((await page.locator('[data-mode="embed"]').count()) === 1, 'embed mode');
    },
  },
  {
    name: 'embed URL with a broken image shows the error in the figure, briefly',
    async run({ page, url }) {
      await page.route(/\/away\/model\.(onnx|json)$/, (route) => route.abort('connectionrefused'));
      // The preview server answers an unknown path with the page itself: not an image.
      await page.goto(`${url}?embed=1&a=missing/nothing.jpg&b=box&model=away/model.onnx&${FAST}`);
      const inFigure = page.locator('[data-mode="embed"] main.stage [role="alert"]');
      await inFigure.filter({ hasText: /Image A \(nothing\.jpg\): Not an image/ }).waitFor({ timeout: 20_000 });
      await inFigure.filter({ hasText: /away\/model\.onnx could not be loaded .*bundled model/ }).waitFor({ timeout: 20_000 });
      const status = (await page.getByRole('status').textContent()).trim();
      assert(!/^Add Image A/.test(status), `an embed cannot add an image; status "${status}"`);
      // Brief: the message covers at most a third of the figure's height, and stays on it.
      const stage = await page.locator('main.stage').boundingBox();
      const box = await inFigure.boundingBox();
      assert(box.y >= stage.y && box.y + box.height <= stage.y + stage.height, `message inside the figure: ${JSON.stringify({ stage, box })}`);
      assert(box.height <= stage.height / 3, `message ${box.height} px tall over a ${stage.height} px figure`);
    },
  },
  {
    name: 'a model URL that fails to load falls back to the bundled model, naming the URL and the cause; Re-run is never a dead button',
    async run({ page, url }) {
      await page.route(/\/away\/model\.(onnx|json)$/, (route) => route.abort('connectionrefused'));
      await page.goto(`${url}?model=away/model.onnx&${FAST}`);
      const rerunButton = page.getByRole('button', { name: 'Re-run', exact: true });
      await page.getByRole('alert').filter({ hasText: /away\/model\.onnx.*could not be loaded.*the bundled model/ }).waitFor({ timeout: 30_000 });
      const text = await page.getByRole('alert').textContent();
      assert(/Failed to fetch|ERR_CONNECTION_REFUSED|refused/i.test(text), `the cause is named: "${text}"`);
      await page.getByTestId('backend').filter({ hasText: /^WASM/ }).waitFor({ timeout: 60_000 });
      // Without images there is nothing to re-run: the button says so instead of doing nothing.
      assert(await rerunButton.isDisabled(), 'Re-run is disabled with no images');
      assert(/Image A/.test((await rerunButton.getAttribute('title')) ?? ''), `Re-run's title says what is missing: ${await rerunButton.getAttribute('title')}`);
      await page.getByRole('button', { name: 'Box in scene' }).click();
      assert((await waitForMatches(page)) > 0, 'the bundled model matched');
      const runs = await inferenceRuns(page);
      await rerunButton.click();
      await page.waitForFunction((r) => window.__coamDebug.inferenceRuns === r + 1 && window.__coamDebug.state.run === 'done', runs, { timeout: 60_000 });
    },
  },
  {
    name: 'PNG (2x) and JSON exports download and parse',
    async run({ page, url }) {
      await page.goto(`${url}?a=box&b=box_in_scene&k=20&${FAST}`);
      const total = await waitForMatches(page);
      const [canvasWidth, canvasHeight] = await page.locator('canvas').evaluate((c) => [c.clientWidth, c.clientHeight]);
      const read = async (name) => {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name, exact: true }).click()]);
        const path = await dl.path();
        return { file: dl.suggestedFilename(), bytes: readFileSync(path) };
      };
      const png = await read('PNG');
      assert(png.bytes.subarray(1, 4).toString() === 'PNG', 'PNG signature');
      const width = png.bytes.readUInt32BE(16);
      const height = png.bytes.readUInt32BE(20);
      assert(width >= 2 * canvasWidth, `PNG width ${width} is 2x the figure (${canvasWidth} css px)`);
      // The legend strip under the figure: the PNG is taller than the 2x figure.
      assert(height > 2 * canvasHeight, `PNG height ${height} has the legend under the 2x figure (${canvasHeight} css px)`);
      const json = await read('JSON');
      const parsed = JSON.parse(json.bytes.toString('utf8'));
      assert(Array.isArray(parsed.matches) && parsed.matches.length === Math.min(20, total), `JSON has ${parsed.matches?.length} matches`);
      assert(parsed.imageA.width === 324 && parsed.imageB.width === 512, 'JSON image sizes');
      const csv = await read('CSV');
      assert(csv.bytes.toString('utf8').trim().split('\n').length === Math.min(20, total) + 1, 'CSV rows');
      console.log(`    ${png.file} ${width}x${height}px, ${json.file} ${parsed.matches.length} matches`);
    },
  },
  {
    name: 'attention view: a click on A draws its co-attention over B (s16, s32), rings its peaks; B reverses it; URL form; PNG and SVG',
    async run({ page, url }) {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(`${url}?sample=graf&search=off&${FAST}`);
      await waitForMatches(page);
      const toggle = page.getByTestId('attention-toggle');
      assert(await toggle.isEnabled(), `the bundled model has the attention graph: ${await toggle.getAttribute('title')}`);
      await toggle.click();
      await page.getByTestId('attention-legend').filter({ hasText: /click a point of A/ }).waitFor({ timeout: 5000 });
      const canvas = page.locator('canvas');
      const box = await canvas.boundingBox();
      const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      // B's half of the figure as pixels: side by side, B on the right.
      const half = async () => {
        await frames();
        const png = decodePng(await canvas.screenshot({ clip: { x: box.x + box.width / 2, y: box.y, width: box.width / 2, height: box.height } }));
        return png;
      };
      const plainB = await half();
      const attention = (want) => waitForAttention(page, want);
      // A click in the middle of A (the left image).
      await canvas.click({ position: { x: box.width * 0.27, y: box.height * 0.5 } });
      const s16 = await attention({ from: 'A', level: 's16' });
      assert(s16.to === 'B' && Math.abs(s16.sum - 1) < 1e-3, `s16 weights over B sum to 1: ${JSON.stringify(s16)}`);
      assert(s16.peaks.length === 3 && s16.max > 1 / (s16.grid[0] * s16.grid[1]), `three peaks above the uniform weight: ${JSON.stringify(s16)}`);
      const heatB = await half();
      let changed = 0;
      for (let i = 0; i < heatB.data.length; i += heatB.channels) {
        const d = Math.abs(heatB.data[i] - plainB.data[i]) + Math.abs(heatB.data[i + 1] - plainB.data[i + 1]) + Math.abs(heatB.data[i + 2] - plainB.data[i + 2]);
        if (d > 30) changed++;
      }
      const share = changed / (heatB.width * heatB.height);
      assert(share > 0.2, `the heatmap covers B: ${(100 * share).toFixed(0)}% of B's half changed`);
      const legend = await page.getByTestId('attention-legend').textContent();
      assert(/Attention of A \(\d+, \d+\) over B · level s16 \(1\/16\)/.test(legend), `legend "${legend}"`);
      // The other level: a coarser grid over the same B.
      await page.getByTestId('attention-level-s32').click();
      const s32 = await attention({ from: 'A', level: 's32' });
      assert(s32.grid[0] * 2 === s16.grid[0] && s32.grid[1] * 2 === s16.grid[1], `s32 grid ${s32.grid} is half of s16's ${s16.grid}`);
      mkdirSync(join(ROOT, 'e2e', '.artifacts'), { recursive: true });
      const shot = join(ROOT, 'e2e', '.artifacts', 'attention.png');
      await frames();
      await page.screenshot({ path: shot, style: '[data-testid="timings"] { visibility: hidden; }' });
      // The reverse: a click on B gives the B|A pass's attention over A.
      await canvas.click({ position: { x: box.width * 0.75, y: box.height * 0.5 } });
      const back = await attention({ from: 'B', level: 's32' });
      assert(back.to === 'A' && Math.abs(back.sum - 1) < 1e-3, `B's attention over A: ${JSON.stringify(back)}`);
      // The keyboard: the focused figure moves the point by one cell.
      await canvas.focus();
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction((x) => window.__coamDebug.state.attention?.xy[0] > x, back.xy[0], { timeout: 30_000 });
      const read = async (name) => {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name, exact: true }).click()]);
        return { file: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
      };
      const png = await read('PNG');
      assert(png.file.endsWith('_attention.png') && png.bytes.subarray(1, 4).toString() === 'PNG', `PNG ${png.file}`);
      writeFileSync(join(ROOT, 'e2e', '.artifacts', 'attention-export.png'), png.bytes);
      const svg = (await read('SVG')).bytes.toString('utf8');
      assert(/level s32 \(1\/32\)/.test(svg) && (svg.match(/<circle/g) ?? []).length === 7, 'SVG: the caption names the level, three rings (two strokes each) and the point');
      // The URL form, chrome-less, as a slide would open it.
      await page.goto(`${url}?sample=graf&search=off&${FAST}&view=attention&point=400,320&level=s32&embed=1`);
      const fromUrl = await attention({ from: 'A', level: 's32' });
      assert(fromUrl.xy[0] === 400 && fromUrl.xy[1] === 320 && fromUrl.to === 'B', `URL point: ${JSON.stringify(fromUrl)}`);
      await page.goto(`${url}?sample=graf&search=off&${FAST}&view=attention&point=400&level=x9`);
      const note = await page.getByText(/Parameter "point" must be two numbers/).textContent({ timeout: 10_000 });
      assert(/Parameter "level" must be a co-attention level/.test(note), `bad URL values are named: "${note}"`);
      console.log(`    s16 max ${s16.max.toFixed(3)} (${s16.ms.toFixed(0)} ms), s32 max ${s32.max.toFixed(3)}; B's half ${(100 * share).toFixed(0)}% heat; ${png.file} ${png.bytes.length} bytes; screenshot ${shot}`);
    },
  },
  {
    name: 'URL parameters out of range say what they accept (k=-5: the range, not "must be a number")',
    async run({ page, url }) {
      await page.goto(`${url}?k=-5&layout=diagonal&threads=99&${FAST}`);
      const alert = page.getByRole('alert');
      await alert.filter({ hasText: /Parameter "k" must be a whole number from 0 to 100000.*"-5" ignored/ }).waitFor({ timeout: 10_000 });
      await alert.filter({ hasText: /Parameter "layout" must be auto, side or stacked; "diagonal" ignored/ }).waitFor({ timeout: 5000 });
      await alert.filter({ hasText: /Parameter "threads" must be a whole number from 0 to 16.*"99" ignored/ }).waitFor({ timeout: 5000 });
      assert(!/must be a number/.test(await alert.textContent()), 'no "must be a number"');
    },
  },
  {
    name: 'hostile URL parameters are never injected as markup',
    async run({ page, url }) {
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      const evil = encodeURIComponent('<img src=x onerror="window.__pwned=1">');
      await page.goto(`${url}?a=${evil}&b=javascript:window.__pwned=2&k=%3Cscript%3E&layout=%22%3E%3Cb%3E&model=javascript:alert(1)&longSide=%25ZZ&${FAST}`);
      // The javascript: URL is refused outright; the markup-looking one is only ever a (404) path.
      await page.getByRole('alert').filter({ hasText: 'Parameter "b"' }).waitFor({ timeout: 10_000 });
      await page.getByRole('alert').filter({ hasText: /Image A \(<img src=x/ }).waitFor({ timeout: 20_000 });
      const pwned = await page.evaluate(() => window.__pwned ?? null);
      assert(pwned === null, 'script ran');
      assert(dialogs === 0, 'a dialog opened');
      assert((await page.locator('img[src="x"], b').count()) === 0, 'markup injected');
      // Still usable.
      await page.getByRole('button', { name: 'Box in scene' }).click();
      assert((await waitForMatches(page)) > 0, 'usable after hostile URL');
    },
  },
  {
    name: 'RANSAC shows inliers, the ratio test, conditioning and the view search re-run, a contract-breaking model is named, keys work',
    async run({ page, url }) {
      await page.goto(`${url}?a=box&b=box_in_scene&${FAST}`);
      await waitForMatches(page);
      await page.getByLabel('RANSAC').selectOption('homography');
      await page.getByTestId('legend').filter({ hasText: /\d+ inliers .* \d+ outliers/ }).waitFor({ timeout: 20_000 });
      await page.getByLabel('Warp blend').fill('0.5');
      // The ratio test turned off re-runs and keeps every mutual nearest neighbour: at least as many.
      const withTest = (await debugState(page)).matches;
      const runsRatio = await inferenceRuns(page);
      await page.getByLabel('Ratio test').selectOption('1');
      await page.waitForFunction((r) => window.__coamDebug.inferenceRuns === r + 1 && window.__coamDebug.state.run === 'done', runsRatio);
      const withoutTest = (await debugState(page)).matches;
      assert(withoutTest > withTest, `ratio test off: ${withoutTest} matches, on: ${withTest}`);
      const runs = await inferenceRuns(page);
      await page.getByLabel('Conditioning').selectOption('self');
      await page.waitForFunction((r) => window.__coamDebug.inferenceRuns === r + 1 && window.__coamDebug.state.run === 'done', runs);
      await waitForMatches(page);
      // Both conditionings have run on these images: the strip compares them, inliers included.
      await page.getByTestId('conditioning-compare').filter({ hasText: /other image: \d+ matches, \d+ inliers · on itself: \d+ matches, \d+ inliers/ }).waitFor({ timeout: 20_000 });
      // The test-time search, forced on: one more run, and the strip says which view was kept.
      // While it searches, the upright view's matches are shown and the status says so.
      await page.evaluate(() => {
        window.__statusTexts = [];
        const el = document.querySelector('[role=status]');
        new MutationObserver(() => window.__statusTexts.push(el.textContent)).observe(el, { childList: true, subtree: true, characterData: true });
      });
      const runsSearch = await inferenceRuns(page);
      await page.getByLabel('Turns & zoom').selectOption('always');
      await page.waitForFunction((r) => window.__coamDebug.inferenceRuns === r + 1 && window.__coamDebug.state.run === 'done', runsSearch);
      await page.getByTestId('search').filter({ hasText: /search \d+(\.\d)? ms: kept / }).waitFor({ timeout: 20_000 });
      const texts = await page.evaluate(() => window.__statusTexts);
      assert(texts.some((t) => /^Trying other views… meanwhile, the upright view \(\d+ matched points\)/.test(t)), `interim status seen: ${JSON.stringify(texts)}`);
      const bad = readFileSync(join(ROOT, 'src', 'core', '__fixtures__', 'bad_names.onnx'));
      await page.getByLabel('Load model (.onnx, optional .json sidecar)').setInputFiles({ name: 'bad_names.onnx', mimeType: 'application/octet-stream', buffer: bad });
      await page.getByRole('alert').filter({ hasText: /Model breaks the contract: .*'image'/ }).waitFor({ timeout: 30_000 });
      // The bundled model still runs; the keyboard toggles the heatmap and steps K.
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('h');
      await page.waitForFunction(() => document.querySelector('select[aria-label], select') && [...document.querySelectorAll('select')].some((s) => s.value === 'distinctiveness'));
      const before = await page.getByRole('status').textContent();
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction((b) => document.querySelector('[role=status]').textContent !== b, before);
      const runsAfter = await inferenceRuns(page);
      await page.keyboard.press(' ');
      await page.waitForFunction((r) => window.__coamDebug.inferenceRuns === r + 1 && window.__coamDebug.state.run === 'done', runsAfter);
    },
  },
  {
    name: 'the classic matcher loads only when turned on and shows its own count with the same top-K and RANSAC; baseline=1 opens on it',
    async run({ page, url }) {
      const lazy = [];
      page.on('request', (r) => {
        const path = new URL(r.url()).pathname;
        if (/opencv|baseline/i.test(path)) lazy.push(path.split('/').pop());
      });
      await page.goto(`${url}?a=graf1&b=graf3&search=off&${FAST}`);
      await waitForMatches(page);
      assert(lazy.length === 0, `fetched before it was asked for: ${lazy.join(', ')}`);
      const runs = await inferenceRuns(page);
      await page.getByLabel('Classic matcher beside CoAM').check();
      const count = page.getByTestId('baseline');
      await count.filter({ hasText: /^(SIFT|AKAZE): \d+ matches shown of \d+/ }).waitFor({ timeout: 90_000 });
      assert(lazy.length > 0, 'the classic matcher came from a chunk of its own');
      const total = Number(/of (\d+)/.exec(await count.textContent())[1]);
      assert(total > 10, `classic matches on graf at 256 px: ${total}`);
      // The same RANSAC as CoAM's, and the same top-K prefix.
      await page.getByLabel('RANSAC').selectOption('homography');
      await count.filter({ hasText: /\d+ inliers/ }).waitFor({ timeout: 20_000 });
      await page.getByLabel('Top-K', { exact: true }).fill('5');
      await count.filter({ hasText: `5 matches shown of ${total}` }).waitFor({ timeout: 20_000 });
      const inliers = Number(/(\d+) inliers/.exec(await count.textContent())[1]);
      assert(inliers <= 5, `inliers of the top 5: ${inliers}`);
      // The comparison slide: both matchers' lines and counts, 1920×1080, as SVG and as PNG.
      await page.getByTestId('legend').filter({ hasText: /\d+ inliers .* \d+ outliers/ }).waitFor({ timeout: 20_000 });
      const download = async (name) => {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name, exact: true }).click()]);
        return { file: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
      };
      const svg = (await download('Comparison SVG')).bytes.toString('utf8');
      assert(/viewBox="0 0 1920 1080"/.test(svg), 'comparison SVG is 16:9');
      assert(/CoAM: 5 matches shown of \d+ · \d+ inliers \(\d+%\)/.test(svg), 'CoAM caption in the comparison');
      assert(new RegExp(`(SIFT|AKAZE): 5 matches shown of ${total} · ${inliers} inliers`).test(svg), 'the classic matcher caption, with the strip\'s counts');
      const png = await download('Comparison PNG');
      assert(png.file.endsWith('_comparison.png') && png.bytes.subarray(1, 4).toString() === 'PNG', `comparison PNG: ${png.file}`);
      assert(png.bytes.readUInt32BE(16) === 1920 && png.bytes.readUInt32BE(20) === 1080, 'comparison PNG is 1920×1080');
      const img = decodePng(png.bytes);
      // Both panels drawn: the images (not blank white) in the top and the bottom half.
      const coloured = (y0, y1) => {
        let n = 0;
        for (let y = y0; y < y1; y += 7) for (let x = 0; x < 1920; x += 7) {
          const i = (y * 1920 + x) * img.channels;
          if (Math.abs(img.data[i] - img.data[i + 1]) > 40) n++;
        }
        return n;
      };
      assert(coloured(60, 540) > 1000 && coloured(600, 1080) > 1000, `comparison PNG panels drawn: ${coloured(60, 540)}, ${coloured(600, 1080)}`);
      assert((await inferenceRuns(page)) === runs, 'the classic matcher ran CoAM again');
      const shown = (await count.textContent()).trim();
      // One URL opens a slide on CoAM beside it (embed, with RANSAC and K).
      await page.goto(`${url}?embed=1&a=graf1&b=graf3&search=off&ransac=homography&k=10&baseline=1&${FAST}`);
      await waitForMatches(page);
      await count.filter({ hasText: /^(SIFT|AKAZE): 10 matches shown of \d+ · \d+ inliers/ }).waitFor({ timeout: 90_000 });
      console.log(`    ${shown}; embedded: ${(await count.textContent()).trim()}; lazily fetched: ${lazy.join(', ')}`);
    },
  },
  {
    name: "the classic matcher beside CoAM in the live view (baseline): both panes drawn and counted, one slider for both, c cycles; show=compare embed opens on both",
    async run({ page, url }) {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(`${url}?a=graf1&b=graf3&search=off&ransac=homography&k=20&baseline=1&${FAST}`);
      await waitForMatches(page);
      const strip = page.getByTestId('baseline');
      await strip.filter({ hasText: /^(SIFT|AKAZE): 20 matches shown of \d+ · \d+ inliers/ }).waitFor({ timeout: 90_000 });
      const runs = await inferenceRuns(page);
      const lines = () => page.evaluate(() => window.__coamDebug.lines);
      // baseline=1 alone keeps CoAM's view: one pane, no captions.
      assert((await lines()).classic === null && (await page.getByTestId('caption-coam').count()) === 0, 'CoAM only until asked');
      await page.getByLabel('Show in the figure').selectOption('compare');
      const coamCaption = page.getByTestId('caption-coam');
      const classicCaption = page.getByTestId('caption-classic');
      const captions = async (k, classicK = k, timeout = 20_000) => {
        await coamCaption.filter({ hasText: new RegExp(`^CoAM: ${k} matches shown of \\d+ · \\d+ inliers \\(\\d+%\\)$`) }).waitFor({ timeout });
        await classicCaption.filter({ hasText: new RegExp(`^(SIFT|AKAZE): ${classicK} matches shown of \\d+ · \\d+ inliers \\(\\d+%\\)$`) }).waitFor({ timeout });
        return [await coamCaption.textContent(), await classicCaption.textContent()];
      };
      const at20 = await captions(20);
      await page.screenshot({ path: join(tmpdir(), 'coam-compare-app.png'), type: 'png' });
      assert((await page.locator('[data-show="compare"]').count()) === 1, 'both panes');
      // The classic pane's counts are the strip's.
      const stripText = await strip.textContent();
      const classicInliers = /(\d+) inliers \(/.exec(at20[1])[1];
      assert(stripText.includes(`20 matches shown of`) && stripText.includes(` ${classicInliers} inliers`), `caption "${at20[1]}" vs strip "${stripText}"`);
      assert(JSON.stringify(await lines()) === JSON.stringify({ coam: 20, classic: 20 }), `lines drawn: ${JSON.stringify(await lines())}`);

      // Both panes draw their lines: the canvases' pixels change between K=0 and K=20, in the inlier green among others.
      const canvases = { coam: page.getByTestId('overlay'), classic: page.getByTestId('classic-overlay') };
      const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const grab = async () => {
        await frames();
        const out = {};
        for (const [name, c] of Object.entries(canvases)) out[name] = decodePng(await c.screenshot());
        return out;
      };
      const with20 = await grab();
      await page.getByLabel('Top-K', { exact: true }).fill('0');
      await coamCaption.filter({ hasText: /^CoAM: 0 matches shown of/ }).waitFor({ timeout: 20_000 });
      await classicCaption.filter({ hasText: /^(SIFT|AKAZE): 0 matches shown of/ }).waitFor({ timeout: 20_000 });
      assert(JSON.stringify(await lines()) === JSON.stringify({ coam: 0, classic: 0 }), `no lines at K=0: ${JSON.stringify(await lines())}`);
      const with0 = await grab();
      const changed = {};
      for (const name of Object.keys(canvases)) {
        const [a, b] = [with20[name], with0[name]];
        let any = 0;
        let green = 0;
        for (let i = 0; i < a.data.length; i += a.channels) {
          const d = Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]);
          if (d < 60) continue;
          any++;
          if (a.data[i + 1] > 150 && a.data[i + 1] > a.data[i] + 60 && a.data[i + 1] > a.data[i + 2] + 40) green++;
        }
        changed[name] = { any, green };
        assert(any > 300 && green > 100, `${name} pane's lines drawn: ${JSON.stringify(changed)}`);
      }

      // One slider for both: K moves both captions and both draw ranges, and CoAM never runs again.
      await page.getByLabel('Top-K', { exact: true }).fill('7');
      await captions(7);
      assert(JSON.stringify(await lines()) === JSON.stringify({ coam: 7, classic: 7 }), `lines at K=7: ${JSON.stringify(await lines())}`);

      // CoAM's pane keeps pan, zoom and picking; the classic pane follows its camera.
      const box = await canvases.coam.boundingBox();
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
      await page.waitForFunction(() => window.__coamDebug.state.inspect !== null, null, { timeout: 5000 });
      await page.mouse.wheel(0, -400);
      await page.waitForFunction(() => !window.__coamDebug.view.fitted, null, { timeout: 5000 });
      const [view, classicView] = await page.evaluate(() => [window.__coamDebug.view, window.__coamDebug.classicView]);
      assert(Math.abs(view.zoom - classicView.zoom) < 1e-9 && Math.abs(view.cx - classicView.cx) < 1e-6, `linked cameras: ${JSON.stringify({ view, classicView })}`);
      await canvases.classic.dblclick();
      await page.waitForFunction(() => window.__coamDebug.view.fitted && window.__coamDebug.classicView.fitted, null, { timeout: 5000 });

      // The keyboard: c cycles both → CoAM → classic alone.
      await page.mouse.move(0, 0);
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('c');
      await page.locator('[data-show="coam"]').waitFor({ timeout: 5000 });
      assert((await lines()).classic === null, 'CoAM alone: no classic pane');
      await page.keyboard.press('c');
      await page.locator('[data-show="classic"]').waitFor({ timeout: 5000 });
      assert(await canvases.classic.isVisible() && !(await canvases.coam.isVisible()), 'classic alone: its pane shown, CoAM\'s hidden');
      assert((await lines()).classic === 7, `classic alone draws its 7: ${JSON.stringify(await lines())}`);
      // CoAM's pane stays laid out behind it (its PNG export draws from it).
      assert((await canvases.coam.evaluate((c) => c.clientWidth)) > 600, "CoAM's hidden canvas keeps the stage's size");
      assert((await inferenceRuns(page)) === runs, 'the views ran CoAM again');

      // The slide: one URL opens the embed straight on both matchers and their counts (at the model's
      // own input size, as a talk would show it).
      await page.setViewportSize({ width: 960, height: 540 });
      await page.goto(`${url}?sample=graf&baseline=1&show=compare&embed=1&ransac=homography&k=50&search=off`);
      assert((await page.locator('[data-mode="embed"] [data-show="compare"]').count()) === 1, 'the embed opens on both panes');
      const [coamSlide, classicSlide] = await captions(50, '\\d+', 90_000);
      const drawn = await lines();
      assert(drawn.coam === 50 && drawn.classic > 0 && drawn.classic <= 50, `embed lines: ${JSON.stringify(drawn)}`);
      await frames();
      const shot = join(tmpdir(), 'coam-compare-embed.png');
      await page.screenshot({ path: shot, type: 'png', style: '[data-testid="timings"] { visibility: hidden; }' });
      // A classic matcher that cannot load says so on the figure, as other embed errors do.
      await page.route(/opencv-module[^/]*\.js$/, (route) => route.abort('connectionrefused'));
      await page.goto(`${url}?sample=graf&show=compare&embed=1&${FAST}`);
      const inFigure = page.locator('[data-mode="embed"] main.stage [role="alert"]');
      await inFigure.filter({ hasText: /Classic matcher: / }).waitFor({ timeout: 60_000 });
      await classicCaption.filter({ hasText: /^(SIFT|AKAZE): .+/ }).waitFor({ timeout: 5000 });
      console.log(`    ${at20.join(' | ')}; changed pixels ${JSON.stringify(changed)}; slide: ${coamSlide} | ${classicSlide} (${shot}); unloadable: ${(await inFigure.textContent()).trim().slice(0, 120)}`);
    },
  },
  {
    name: "attention view beside the classic matcher (baseline): drawn and clicked on CoAM's pane, the classic pane keeps its lines; show=compare&view=attention from the URL and the snippet",
    async run({ page, url }) {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(`${url}?sample=graf&search=off&k=20&${FAST}&show=compare&view=attention&point=400,320&level=s32`);
      await waitForMatches(page);
      const attention = (want) => waitForAttention(page, want);
      const fromUrl = await attention({ from: 'A', level: 's32' });
      assert(fromUrl.xy[0] === 400 && fromUrl.xy[1] === 320, `URL point: ${JSON.stringify(fromUrl)}`);
      assert((await page.locator('[data-show="compare"]').count()) === 1, 'both panes');
      const coamCaption = page.getByTestId('caption-coam');
      const classicCaption = page.getByTestId('caption-classic');
      await coamCaption.filter({ hasText: /^CoAM attention of A \(400, 320\) over B · level s32$/ }).waitFor({ timeout: 10_000 });
      await classicCaption.filter({ hasText: /^(SIFT|AKAZE): 20 matches shown of \d+$/ }).waitFor({ timeout: 90_000 });
      const lines = () => page.evaluate(() => window.__coamDebug.lines);
      // CoAM's pane shows the co-attention (its lines hidden); the classic matcher's keeps its own.
      assert(JSON.stringify(await lines()) === JSON.stringify({ coam: 0, classic: 20 }), `lines drawn: ${JSON.stringify(await lines())}`);
      assert((await page.getByTestId('attention-legend').count()) === 1, 'the attention legend in the strip');
      const shot = join(tmpdir(), 'coam-attention-compare.png');
      await page.screenshot({ path: shot, type: 'png', style: '[data-testid="timings"] { visibility: hidden; }' });

      // The heatmap is on CoAM's pane: with no lines on either (K=0), the two panes (same pair, same
      // camera) differ where the heatmap, the point and the rings are drawn.
      await page.getByLabel('Top-K', { exact: true }).fill('0');
      await classicCaption.filter({ hasText: /^(SIFT|AKAZE): 0 matches shown of/ }).waitFor({ timeout: 20_000 });
      const canvases = { coam: page.getByTestId('overlay'), classic: page.getByTestId('classic-overlay') };
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const [coamPx, classicPx] = [decodePng(await canvases.coam.screenshot()), decodePng(await canvases.classic.screenshot())];
      assert(coamPx.width === classicPx.width && coamPx.height === classicPx.height, `panes of one size: ${coamPx.width}x${coamPx.height} vs ${classicPx.width}x${classicPx.height}`);
      let differ = 0;
      for (let i = 0; i < coamPx.data.length; i += coamPx.channels) {
        const d = Math.abs(coamPx.data[i] - classicPx.data[i]) + Math.abs(coamPx.data[i + 1] - classicPx.data[i + 1]) + Math.abs(coamPx.data[i + 2] - classicPx.data[i + 2]);
        if (d > 30) differ++;
      }
      const share = differ / (coamPx.width * coamPx.height);
      assert(share > 0.1, `the heatmap is drawn on CoAM's pane only: ${(100 * share).toFixed(0)}% of its pixels differ from the classic pane's`);

      // A click on the classic matcher's pane asks for nothing; on CoAM's B it gives B's attention over A.
      const classicBox = await canvases.classic.boundingBox();
      await canvases.classic.click({ position: { x: classicBox.width * 0.65, y: classicBox.height * 0.5 } });
      await page.waitForTimeout(500);
      const still = (await debugState(page)).attention;
      assert(still && still.from === 'A' && still.xy[0] === 400 && still.xy[1] === 320, `the classic pane's click left the point: ${JSON.stringify(still)}`);
      const coamBox = await canvases.coam.boundingBox();
      await canvases.coam.click({ position: { x: coamBox.width * 0.65, y: coamBox.height * 0.5 } });
      const back = await attention({ from: 'B', level: 's32' });
      assert(back.to === 'A' && Math.abs(back.sum - 1) < 1e-3, `B's attention over A from CoAM's pane: ${JSON.stringify(back)}`);
      await coamCaption.filter({ hasText: /^CoAM attention of B \(\d+, \d+\) over A · level s32$/ }).waitFor({ timeout: 10_000 });

      // The classic matcher alone would hide CoAM's pane: not offered while the view is on, c skips it.
      assert(await page.locator('select[aria-label="Show in the figure"] option[value="classic"]').isDisabled(), 'Show: classic alone disabled');
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press('c');
      await page.locator('[data-show="coam"]').waitFor({ timeout: 5000 });
      await page.keyboard.press('c');
      await page.locator('[data-show="compare"]').waitFor({ timeout: 5000 });
      // Off, the classic matcher alone; on again, CoAM's pane comes back beside it.
      const toggle = page.getByTestId('attention-toggle');
      await toggle.click();
      await page.getByLabel('Show in the figure').selectOption('classic');
      await page.locator('[data-show="classic"]').waitFor({ timeout: 5000 });
      await toggle.click();
      await page.locator('[data-show="compare"]').waitFor({ timeout: 5000 });
      await attention({ from: 'B', level: 's32' });

      // The snippet keeps both: the panes and the attention view at its point and level.
      await page.getByRole('button', { name: 'Copy iframe snippet' }).click();
      const snippet = await page.getByLabel('Snippet (copied to the clipboard if allowed)').inputValue();
      const src = new URL(/src="([^"]+)"/.exec(snippet)[1].replaceAll('&amp;', '&'));
      const p = Object.fromEntries(src.searchParams);
      assert(p.baseline === '1' && p.show === 'compare' && p.view === 'attention' && p.from === 'b' && p.level === 's32' && /^\d+,\d+$/.test(p.point) && p.embed === '1', `snippet ${snippet}`);

      // show=classic with the attention view opens on both panes, saying why.
      await page.goto(`${url}?sample=graf&search=off&${FAST}&show=classic&view=attention&point=100,100&embed=1`);
      await page.locator('[data-mode="embed"] [data-show="compare"]').waitFor({ timeout: 20_000 });
      await page.getByText(/"show" "classic" would hide CoAM's pane/).waitFor({ timeout: 20_000 });
      const embedded = await attention({ from: 'A', level: 's16' });
      assert(embedded.xy[0] === 100 && embedded.xy[1] === 100, `embed point: ${JSON.stringify(embedded)}`);
      console.log(`    ${(100 * share).toFixed(0)}% of CoAM's pane differs from the classic pane's; snippet ${src.search}; screenshot ${shot}`);
    },
  },
  {
    name: 'the build works from a plain static server in a sub-folder (no isolation headers, no network)',
    async run({ page }) {
      const plain = await startPlainServer('/talk/coam/');
      const origin = new URL(plain.url).origin;
      const outside = [];
      await page.route('**/*', (route) => {
        const u = route.request().url();
        if (u.startsWith(origin) || u.startsWith('blob:') || u.startsWith('data:')) return route.continue();
        outside.push(u);
        return route.abort();
      });
      try {
        await page.goto(`${plain.url}?sample=box&k=10&${FAST}`);
        const total = await waitForMatches(page);
        assert(total > 0, 'matched');
        const isolated = await page.evaluate(() => crossOriginIsolated);
        const badge = (await page.getByTestId('backend').textContent()).trim();
        assert(badge === 'WASM', `single-threaded WASM without isolation, badge "${badge}" (isolated: ${isolated})`);
        assert(outside.length === 0, `requests left the origin: ${outside.join(', ')}`);
      } finally {
        await plain.close();
      }
    },
  },
  {
    // The README's picture of the app, remade by every run of the suite so it shows the app as it is.
    name: 'screenshot: a sample pair matched, its best 120 matches checked by RANSAC → docs/screenshot.png',
    async run({ page, url }) {
      const path = join(ROOT, 'docs', 'screenshot.png');
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(`${url}?sample=graf&k=120&ransac=homography`);
      // Wait for the default run's end (with any test-time views it needed), not an interim result.
      await page.waitForFunction(() => window.__coamDebug?.state.run === 'done', null, { timeout: 140_000 });
      const total = await waitForMatches(page);
      assert(total > 0, `expected matches, got ${total}`);
      await page.getByRole('status').filter({ hasText: new RegExp(`\\d+ matches shown of ${total}`) }).waitFor({ timeout: 5000 });
      const legend = page.getByTestId('legend').filter({ hasText: /\d+ inliers .* \d+ outliers/ });
      await legend.waitFor({ timeout: 20_000 });
      // graf is a planar scene: one homography fits most of the best 120 matches.
      const inliers = Number(/(\d+) inliers/.exec(await legend.textContent())[1]);
      assert(inliers >= 0.6 * Math.min(120, total), `${inliers} of ${Math.min(120, total)} shown matches fit one homography`);
      // The overlay draws on the next animation frames.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      mkdirSync(dirname(path), { recursive: true });
      // The timings change from run to run; without them the picture changes only when the app does.
      const png = await page.screenshot({ path, type: 'png', style: '[data-testid="timings"] { visibility: hidden; }' });
      assert(png.subarray(1, 4).toString() === 'PNG', 'PNG signature');
      const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
      assert(width === 1280 && height === 720, `screenshot ${width}x${height}, expected 1280x720`);
      console.log(`    docs/screenshot.png ${width}x${height}, ${(png.length / 1024).toFixed(0)} KiB; ${total} matches, ${inliers} inliers of the best 120`);
    },
  },
  {
    name: 'offline after one visit: `coam serve` serves the build isolated; with no network a reload still runs the app, its model and a sample pair',
    ownBrowser: true,
    async run() {
      const served = await coamServe();
      const b = await launchBrowser({ serviceWorkers: 'allow' });
      try {
        const page = await b.context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${served.url}?${FAST}`);
        assert(await page.evaluate(() => crossOriginIsolated), '`coam serve` sends the isolation headers (multi-threaded WASM)');
        // The first visit installs the service worker, which precaches the build, the model and the samples.
        const precached = await page.evaluate(async () => {
          const reg = await navigator.serviceWorker.ready;
          const keys = [];
          for (const name of await caches.keys()) if (name.startsWith('coam-precache-')) keys.push(...(await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname));
          return { active: !!reg.active, keys };
        });
        assert(precached.active, 'a service worker is active');
        // The classic matcher's worker and OpenCV.js (its WebAssembly inside) too, though the page loads them only on demand.
        for (const want of [/coam-encoder-.*\.onnx$/, /coam-decoder-.*\.onnx$/, /coam-attention-.*\.onnx$/, /samples\/box_in_scene\.jpg$/, /index\.html$/, /ort-wasm-simd-threaded-.*\.wasm$/, /baseline\.worker-.*\.js$/, /opencv-module-.*\.js$/]) {
          assert(precached.keys.some((k) => want.test(k)), `precached ${want}: ${precached.keys.join(', ')}`);
        }
        await served.close();
        await b.context.setOffline(true);
        await page.goto(`${served.url}?${FAST}&sample=box`);
        const n = await waitForMatches(page, 120_000);
        assert(n > 0, 'matched offline');
        assert(await page.evaluate(() => crossOriginIsolated), 'still isolated offline (the cached page keeps its headers)');
        // The attention view's graph came from the cache too: the view works offline.
        await page.getByTestId('attention-toggle').click();
        const canvas = page.locator('canvas');
        const box = await canvas.boundingBox();
        await canvas.click({ position: { x: box.width * 0.3, y: box.height * 0.5 } });
        await page.waitForFunction(() => window.__coamDebug.state.attention?.to === 'B', null, { timeout: 30_000 });
        await page.getByTestId('attention-toggle').click();
        await page.getByRole('button', { name: 'Graffiti (viewpoint)' }).click();
        // The status may still show box's count for a moment: wait for the slots to name graf.
        await page
          .waitForFunction(() => {
            const names = [...document.querySelectorAll('.slot-file')].map((e) => e.textContent ?? '');
            return names[0]?.includes('graf1') && names[1]?.includes('graf3');
          }, null, { timeout: 60_000 })
          .catch(() => undefined);
        const names = await page.locator('.slot-file').allTextContents();
        assert(names[0].includes('graf1') && names[1].includes('graf3'), `another sample pair loads offline: ${names}`);
        await page.getByRole('status').filter({ hasText: /Matching|matches/ }).waitFor();
        // A file of the app opened in a tab is that file, not the page.
        const licences = await page.context().newPage();
        await licences.goto(`${served.url}samples/LICENSES.md`);
        assert(!/<div id="root">/.test(await licences.content()) && (await licences.content()).length > 100, 'the licences open offline as themselves');
        await licences.close();
        // The comparison slide, offline: CoAM and the classic matcher on one embed, OpenCV.js from the cache.
        await page.goto(`${served.url}?sample=graf&baseline=1&show=compare&embed=1&ransac=homography&k=30&search=off&${FAST}`);
        const classic = page.getByTestId('caption-classic').filter({ hasText: /^(SIFT|AKAZE): \d+ matches shown of \d+ · \d+ inliers/ });
        await classic.waitFor({ timeout: 90_000 });
        await page.getByTestId('caption-coam').filter({ hasText: /^CoAM: 30 matches shown of \d+ · \d+ inliers/ }).waitFor({ timeout: 20_000 });
        assert(errors.length === 0, `page errors: ${errors.join(' | ')}`);
        console.log(`    ${precached.keys.length} files precached; ${n} matches offline; the comparison offline: ${await classic.textContent()}`);
      } finally {
        await b.close();
        await served.close();
      }
    },
  },
  {
    name: 'dist/index.html opened from disk says how to serve it instead of a blank page',
    async run({ page }) {
      await page.goto(`file://${join(ROOT, 'dist', 'index.html')}`);
      const text = await page.locator('#root').textContent({ timeout: 10_000 });
      assert(/npx coam serve/.test(text) && /opened from (your )?disk/i.test(text), `message: "${text}"`);
    },
  },
  {
    name: "npm start's first visit (empty Vite cache) keeps two photos chosen at once: no reload, they match",
    ownBrowser: true,
    async run() {
      const dev = await startDevServer();
      const b = await launchBrowser();
      try {
        const page = await b.context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        let navigations = 0;
        page.on('framenavigated', (f) => {
          if (f === page.mainFrame()) navigations++;
        });
        const reloaded = new Promise((resolve) => {
          page.on('load', () => navigations > 1 && resolve());
        });
        await page.goto(`${dev.url}?${FAST}`);
        // As a user would: both photos the moment the inputs exist, while the workers still start.
        await page.getByLabel('Image A', { exact: true }).waitFor({ timeout: 60_000 });
        await setFile(page, 'Image A', jpeg('box'));
        await setFile(page, 'Image B', jpeg('box_in_scene'));
        const reloadFails = reloaded.then(() => {
          const said = dev.messages.filter((m) => /optimiz|reload/i.test(m)).join(' | ');
          throw new Error(`the page reloaded after the photos were chosen (dev server: ${said || 'nothing logged'})`);
        });
        reloadFails.catch(() => undefined); // a reload after the race is caught by the navigation count below
        const n = await Promise.race([waitForMatches(page, 120_000), reloadFails]);
        assert(n > 0, `matched: ${n}`);
        assert(navigations === 1, `${navigations} navigations of the page`);
        const names = await page.locator('.slot-file').allTextContents();
        assert(names[0]?.includes('box.jpg') && names[1]?.includes('box_in_scene.jpg'), `slots still show the chosen photos: ${names}`);
        const reloads = dev.messages.filter((m) => /reloading/.test(m));
        assert(reloads.length === 0, `dev server reloaded: ${reloads.join(' | ')}`);
        // Dev keeps the isolation headers (threaded WASM) and finds the runtime's wasm.
        assert(await page.evaluate(() => crossOriginIsolated), 'the dev page is cross-origin isolated');
        const badge = (await page.getByTestId('backend').textContent()).trim();
        assert(/^WASM/.test(badge), `backend badge "${badge}"`);
        assert(errors.length === 0, `uncaught page errors: ${errors.join(' | ')}`);
        console.log(`    ${n} matches, ${navigations} navigation, badge "${badge}"`);
      } finally {
        await b.close();
        await dev.close();
      }
    },
  },
  {
    name: 'WebGPU smoke test: WebGPU and WASM outputs agree within 1e-3 (tiny input)',
    ownBrowser: true,
    async run({ url }) {
      const b = await launchBrowser({ webgpu: true });
      try {
        const page = await b.context.newPage();
        await page.goto(`${url}?backend=wasm`);
        await page.getByTestId('backend').filter({ hasText: 'WASM' }).waitFor({ timeout: 60_000 });
        const result = await page.evaluate(async () => {
          const d = window.__coamDebug;
          const gpu = await d.probe('webgpu', 64);
          if (!gpu.ok) return { skipped: gpu.reason };
          const cpu = await d.probe('wasm', 64);
          if (!cpu.ok) return { error: `wasm probe failed: ${cpu.reason}` };
          let maxDesc = 0;
          let maxDist = 0;
          for (let i = 0; i < cpu.descriptors.length; i++) maxDesc = Math.max(maxDesc, Math.abs(cpu.descriptors[i] - gpu.descriptors[i]));
          for (let i = 0; i < cpu.distinctiveness.length; i++) maxDist = Math.max(maxDist, Math.abs(cpu.distinctiveness[i] - gpu.distinctiveness[i]));
          return { maxDesc, maxDist, graphs: [gpu.graphs, cpu.graphs], n: cpu.descriptors.length, same: cpu.descriptors.length === gpu.descriptors.length, gpuBackend: gpu.backend, gpuMs: gpu.ms, cpuMs: cpu.ms };
        });
        if (result.skipped) return { skipped: `no WebGPU adapter (${result.skipped})` };
        assert(!result.error, result.error);
        assert(result.same, 'output sizes differ');
        console.log(`    max |webgpu - wasm|: descriptors ${result.maxDesc.toExponential(2)}, distinctiveness ${result.maxDist.toExponential(2)} over ${result.n} values (${result.gpuBackend} ${result.gpuMs.toFixed(0)} ms, wasm ${result.cpuMs.toFixed(0)} ms per pass)`);
        assert(result.gpuBackend === 'webgpu', `the WebGPU probe ran on ${result.gpuBackend}`);
        assert(result.maxDesc <= 1e-3 && result.maxDist <= 1e-3, `outputs differ: ${JSON.stringify(result)}`);
        // The bundled model is its split alone in the browser (models/split.test.ts ties it to the contract graph).
        assert(result.graphs.every((g) => g === 'split'), `both probes run the split graphs: ${result.graphs}`);
        // With an adapter, the app picks WebGPU on its own and says so.
        await page.goto(url);
        await page.getByTestId('backend').filter({ hasText: /^WebGPU$/ }).waitFor({ timeout: 90_000 });
      } finally {
        await b.close();
      }
    },
  },
];
