/**
 * Vite plugin: builds src/offline/service-worker.ts into `sw.js` at the root of the build, with
 * the list of files to precache (every file of the build and of public/) and a version that
 * changes with any of them written into it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Plugin } from 'vite';

const SW_FILE = 'sw.js';
const PLACEHOLDER = /self\.__COAM_PRECACHE/g;

function listFiles(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    out = statSync(path).isDirectory() ? out.concat(listFiles(path)) : out.concat(path);
  }
  return out;
}

export function precache(): Plugin {
  let publicDir = '';
  return {
    name: 'coam-precache',
    apply: 'build',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    buildStart() {
      this.emitFile({ type: 'chunk', id: new URL('./service-worker.ts', import.meta.url).pathname, fileName: SW_FILE });
    },
    generateBundle(_options, bundle) {
      const sw = bundle[SW_FILE];
      if (!sw || sw.type !== 'chunk') return this.error(`${SW_FILE} was not built`);
      const hash = createHash('sha256');
      const files: string[] = [];
      for (const [name, item] of Object.entries(bundle)) {
        if (name === SW_FILE || name.endsWith('.map')) continue;
        files.push(name);
        hash.update(name).update(item.type === 'chunk' ? item.code : item.source);
      }
      for (const path of publicDir ? listFiles(publicDir) : []) {
        const name = relative(publicDir, path).split(sep).join('/');
        files.push(name);
        hash.update(name).update(readFileSync(path));
      }
      // The page itself (Vite writes it after this hook; its content follows the hashed names above).
      if (!files.includes('index.html')) files.push('index.html');
      files.sort();
      const manifest = { version: hash.digest('hex').slice(0, 16), files };
      if (!PLACEHOLDER.test(sw.code)) return this.error(`${SW_FILE} lost its placeholder for the file list`);
      // Registered as a classic script (every browser runs those): one file, no imports.
      if (sw.imports.length > 0 || sw.exports.length > 0) return this.error(`${SW_FILE} must be one file without imports or exports`);
      sw.code = sw.code.replace(PLACEHOLDER, JSON.stringify(manifest));
    },
  };
}
