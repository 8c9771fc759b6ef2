// `npm run test:e2e`: builds the app, serves it (vite preview on a free port), runs every e2e test
// in Debian's chromium via playwright-core, prints results, exits non-zero on failure, cleans up.
// Filter with `node e2e/run.mjs <substring>`; E2E_SKIP_BUILD=1 reuses an existing dist/.
import { startServer, launchBrowser } from './harness.mjs';
import { tests } from './tests.mjs';

const filter = process.argv[2];
const selected = tests.filter((t) => !filter || t.name.includes(filter));
const TEST_TIMEOUT = 150_000;

const withTimeout = (p, ms, what) =>
  Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms).unref())]);

const t0 = Date.now();
let server = null;
let browser = null;
const results = [];
try {
  server = await startServer();
  console.log(`serving ${server.url}`);
  browser = await launchBrowser();
  for (const test of selected) {
    const start = Date.now();
    const ctx = test.ownBrowser ? null : await browser.context.newPage();
    const errors = [];
    ctx?.on('pageerror', (e) => errors.push(e.message));
    try {
      const out = await withTimeout(test.run({ page: ctx, url: server.url }), TEST_TIMEOUT, test.name);
      if (errors.length) throw new Error(`uncaught page errors: ${errors.join(' | ')}`);
      const secs = ((Date.now() - start) / 1000).toFixed(1);
      if (out?.skipped) {
        results.push({ name: test.name, status: 'skip' });
        console.log(`- skipped: ${out.skipped} — ${test.name} (${secs} s)`);
      } else {
        results.push({ name: test.name, status: 'pass' });
        console.log(`✓ ${test.name} (${secs} s)`);
      }
    } catch (e) {
      results.push({ name: test.name, status: 'fail', error: e });
      console.log(`✗ ${test.name} (${((Date.now() - start) / 1000).toFixed(1)} s)\n    ${String(e.message).split('\n').join('\n    ')}`);
    } finally {
      await ctx?.close().catch(() => undefined);
    }
  }
} catch (e) {
  console.error(`e2e setup failed: ${e.stack || e}`);
  results.push({ name: 'setup', status: 'fail', error: e });
} finally {
  await browser?.close();
  await server?.close();
}
const count = (s) => results.filter((r) => r.status === s).length;
console.log(`\n${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(count('fail') > 0 || results.length === 0 ? 1 : 0);
