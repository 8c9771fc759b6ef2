/** The overlay on screen, for exports that need its pixels (set by the viewer component). */
import type { MatchOverlay } from './overlay';

let current: MatchOverlay | null = null;

export function setCurrentOverlay(o: MatchOverlay | null): void {
  current = o;
}

export function currentOverlay(): MatchOverlay | null {
  return current;
}
