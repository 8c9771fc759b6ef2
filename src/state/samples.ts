/** The bundled sample pairs (public/samples, licences in public/samples/LICENSES.md). */
import type { GeometryKind } from '../core/types';

export interface SamplePair {
  id: string;
  title: string;
  a: string;
  b: string;
  /** The geometry that relates the pair, for the RANSAC default. */
  geometry: GeometryKind;
}

export const SAMPLE_PAIRS: SamplePair[] = [
  { id: 'graf', title: 'Graffiti (viewpoint)', a: 'graf1', b: 'graf3', geometry: 'homography' },
  { id: 'box', title: 'Box in scene', a: 'box', b: 'box_in_scene', geometry: 'homography' },
  { id: 'aloe', title: 'Aloe (stereo)', a: 'aloeL', b: 'aloeR', geometry: 'fundamental' },
  { id: 'motorcycle', title: 'Motorcycle (stereo)', a: 'motorcycle_left', b: 'motorcycle_right', geometry: 'fundamental' },
];

export const SAMPLE_IMAGES: readonly string[] = SAMPLE_PAIRS.flatMap((p) => [p.a, p.b]);

/** URL of a bundled sample image, relative to the page so the build works from any folder. */
export function sampleUrl(name: string, base: string = document.baseURI): string {
  return new URL(`samples/${name}.jpg`, base).href;
}
