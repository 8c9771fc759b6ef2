/** Small settings actions shared by controls and keyboard shortcuts. */
import { useCoam, type HeatmapMode, type Layout, type RansacMode } from './store';
import { totalCount } from './derived';

const K_STEPS = [1, 5, 10, 25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000];

export function setK(k: number): void {
  if (!Number.isFinite(k)) return;
  useCoam.setState({ k: Math.max(0, Math.min(100_000, Math.round(k))) });
}

/** ←/→: the next round step down or up, within what there is. */
export function stepK(direction: 1 | -1): void {
  const s = useCoam.getState();
  const total = totalCount(s);
  const k = Math.min(s.k, total || s.k);
  const next = direction > 0 ? K_STEPS.find((v) => v > k) ?? k : [...K_STEPS].reverse().find((v) => v < k) ?? 0;
  setK(total ? Math.min(next, total) : next);
}

export const setLayout = (layout: Layout) => useCoam.setState({ layout });
export const setHeatmap = (heatmap: HeatmapMode) => useCoam.setState({ heatmap });
export const toggleHeatmap = () => setHeatmap(useCoam.getState().heatmap === 'off' ? 'distinctiveness' : 'off');
export const setRansac = (ransac: RansacMode) => useCoam.setState({ ransac });
/** r: off → homography → fundamental → off. */
export const cycleRansac = () => {
  const order: RansacMode[] = ['off', 'homography', 'fundamental'];
  setRansac(order[(order.indexOf(useCoam.getState().ransac) + 1) % order.length]);
};
export const setBlend = (blend: number) => useCoam.setState({ blend: Math.max(0, Math.min(1, blend)) });
export const setPresentation = (presentation: boolean) => useCoam.setState({ presentation });
export const clearInspect = () => useCoam.setState({ inspect: null });
