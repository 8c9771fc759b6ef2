/**
 * The training pipeline's own tests (models/tests/test_training.py: pair geometry, photo sampling,
 * the LR schedules, the losses), run with Debian's python3 when it has torch and OpenCV (CI
 * installs both); skipped, and said so, where it has not.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const systemPython = '/usr/bin/python3';

function hasTrainingDeps(): boolean {
  if (!existsSync(systemPython)) return false;
  try {
    execFileSync(systemPython, ['-c', 'import torch, cv2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = hasTrainingDeps();
if (!available) console.warn('models/training.test.ts: skipped (no /usr/bin/python3 with torch and cv2)');

describe('the training pipeline (python unittest)', () => {
  it.skipIf(!available)('models/tests pass', { timeout: 120_000 }, () => {
    const r = spawnSync(systemPython, ['-m', 'unittest', 'discover', '-s', join(here, 'tests')], {
      cwd: here,
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Ran \d+ tests/);
    expect(out).toMatch(/\nOK/);
  });
});
