/**
 * Colour maps for lines, points and heatmaps. A compact "turbo"-like ramp: dark blue (low) →
 * green → yellow → red (high), readable on photos and on a projector.
 */
export const RAMP: ReadonlyArray<readonly [number, number, number]> = [
  [0.19, 0.07, 0.23],
  [0.27, 0.42, 0.93],
  [0.11, 0.81, 0.84],
  [0.45, 0.99, 0.37],
  [0.88, 0.86, 0.22],
  [0.98, 0.5, 0.12],
  [0.79, 0.16, 0.02],
];

/** t in [0, 1] → RGB in [0, 1], written into out at offset. */
export function rampInto(t: number, out: Float32Array | Uint8Array | Uint8ClampedArray, offset: number, scale = 1): void {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i];
  const b = RAMP[i + 1];
  out[offset] = (a[0] + (b[0] - a[0]) * f) * scale;
  out[offset + 1] = (a[1] + (b[1] - a[1]) * f) * scale;
  out[offset + 2] = (a[2] + (b[2] - a[2]) * f) * scale;
}

/** CSS gradient of the ramp, for the legend. */
export function rampCss(direction = 'to right'): string {
  const stops = RAMP.map(
    ([r, g, b], i) => `rgb(${Math.round(r * 255)} ${Math.round(g * 255)} ${Math.round(b * 255)}) ${((i / (RAMP.length - 1)) * 100).toFixed(0)}%`,
  );
  return `linear-gradient(${direction}, ${stops.join(', ')})`;
}

export function rampHex(t: number): string {
  const c = new Float32Array(3);
  rampInto(t, c, 0, 255);
  return `#${[c[0], c[1], c[2]].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

export const INLIER_RGB: readonly [number, number, number] = [0.2, 0.9, 0.35];
export const OUTLIER_RGB: readonly [number, number, number] = [0.95, 0.2, 0.2];

/**
 * One RGB triple per match. Scores are mapped relative to the range of the whole sorted list,
 * so the colours do not shift as K changes. With inliers, green/red replaces the ramp.
 */
export function matchColors(scores: ArrayLike<number>, inliers: Uint8Array | null): Float32Array {
  const n = scores.length;
  const out = new Float32Array(n * 3);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, scores[i]);
    hi = Math.max(hi, scores[i]);
  }
  const span = hi - lo || 1;
  for (let i = 0; i < n; i++) {
    if (inliers && i < inliers.length) {
      const c = inliers[i] ? INLIER_RGB : OUTLIER_RGB;
      out.set(c, i * 3);
    } else rampInto((scores[i] - lo) / span, out, i * 3);
  }
  return out;
}

/** A heatmap grid → RGBA bytes (alpha fades low values so the photo shows through). */
export function heatmapRgba(values: Float32Array, normalise: 'unit' | 'minmax', alpha = 0.7): Uint8Array {
  let lo = 0;
  let hi = 1;
  if (normalise === 'minmax') {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      lo = Math.min(lo, values[i]);
      hi = Math.max(hi, values[i]);
    }
  }
  const span = hi - lo || 1;
  const out = new Uint8Array(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const t = Math.min(1, Math.max(0, (values[i] - lo) / span));
    rampInto(t, out, i * 4, 255);
    out[i * 4 + 3] = Math.round(255 * alpha * (0.35 + 0.65 * t));
  }
  return out;
}

/**
 * Attention weights → RGBA bytes: each weight over the row's largest, square-rooted so a spread of
 * attention still shows; a dim veil where nothing looked, so the strong places stand out on a slide.
 */
export function attentionRgba(weights: Float32Array, alpha = 0.9): Uint8Array {
  let hi = 0;
  for (let i = 0; i < weights.length; i++) hi = Math.max(hi, weights[i]);
  const out = new Uint8Array(weights.length * 4);
  for (let i = 0; i < weights.length; i++) {
    const t = hi > 0 ? Math.sqrt(Math.max(0, weights[i]) / hi) : 0;
    rampInto(t, out, i * 4, 255);
    out[i * 4 + 3] = Math.round(255 * alpha * (0.3 + 0.7 * t));
  }
  return out;
}
