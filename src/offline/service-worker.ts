/// <reference lib="webworker" />
/**
 * The service worker that makes the app work offline after one visit (a talk without network).
 * It precaches the whole build (page, scripts, runtime wasm, the bundled model's split graphs)
 * and the sample pairs, then answers every request for them from that cache, network only for
 * the rest. The build writes the file list and a version in place of `self.__COAM_PRECACHE`
 * (precache-plugin.ts): a new build is a new sw.js, which the browser installs on its next visit;
 * the page then says a reload shows the new version.
 */
export {};

interface Precache {
  version: string;
  /** Paths relative to the service worker's scope (the app's folder). */
  files: string[];
}

declare const self: ServiceWorkerGlobalScope & { __COAM_PRECACHE: Precache };

const precache: Precache = self.__COAM_PRECACHE;
const PREFIX = 'coam-precache-';
const CACHE = `${PREFIX}${precache.version}`;
const scoped = (path: string) => new URL(path, self.registration.scope).href;
const PAGE = scoped('index.html');

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // 'reload': past the HTTP cache, so a new version never precaches an older file.
      await cache.addAll(precache.files.map((f) => new Request(scoped(f), { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !request.url.startsWith(self.registration.scope)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // The app's folder or its index.html, with any URL parameters, is the one page; any other
      // file opened in a tab (the samples' licences) is itself.
      const url = new URL(request.url);
      const path = url.origin + url.pathname;
      const isPage = request.mode === 'navigate' && (path === self.registration.scope || path === PAGE);
      const hit = isPage ? await cache.match(PAGE) : await cache.match(request, { ignoreSearch: true });
      return hit ?? fetch(request);
    })(),
  );
});
