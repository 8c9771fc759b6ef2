import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { start } from './state/controller';
import { parseUrlSettings } from './state/url-params';
import { debugHookRequested, installDebugHook } from './debug-hook';
import { registerServiceWorker } from './offline/register';
import { setBaselineEnabled, setShow } from './state/baseline';
import './ui/app.css';

const debug = debugHookRequested(location.search) ? installDebugHook() : null;

const settings = parseUrlSettings(location.search);
start(settings);
if (settings.show) setShow(settings.show);
if (settings.baseline) setBaselineEnabled(true);
registerServiceWorker();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App onOverlay={debug?.attachOverlay} onClassicOverlay={debug?.attachClassicOverlay} />
  </StrictMode>,
);
