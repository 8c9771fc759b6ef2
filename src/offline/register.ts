/**
 * Registers the service worker (service-worker.ts) in a built app served over http(s): after one
 * visit the app, its model and the samples work offline. When a new version has installed itself
 * under a page that was already running, the page says a reload shows it.
 */
import { notify } from '../state/store';

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator) || !/^https?:$/.test(location.protocol)) return;
  const hadController = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (hadController) notify('info', 'A new version of coam is installed (for offline use too). Reload the page to use it.', 'update');
  });
  // After the page's own downloads, so precaching never slows the first matches.
  const register = () =>
    navigator.serviceWorker.register('./sw.js').catch((e: Error) => {
      notify('info', `This page will not work offline: its service worker could not start (${e.message}).`, 'offline');
    });
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}
