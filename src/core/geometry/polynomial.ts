/**
 * Univariate polynomials, coefficients in ascending powers: products, sums, evaluation and real
 * roots, for the five-point solver's degree-10 polynomial.
 */

export function upolyMul(p: readonly number[], q: readonly number[]): number[] {
  const out = new Array<number>(p.length + q.length - 1).fill(0);
  for (let i = 0; i < p.length; i++) for (let j = 0; j < q.length; j++) out[i + j] += p[i] * q[j];
  return out;
}

export function upolyAdd(p: readonly number[], q: readonly number[], s = 1): number[] {
  const out = new Array<number>(Math.max(p.length, q.length)).fill(0);
  for (let i = 0; i < p.length; i++) out[i] += p[i];
  for (let i = 0; i < q.length; i++) out[i] += s * q[i];
  return out;
}

export function upolyEval(p: readonly number[], x: number): number {
  let v = 0;
  for (let i = p.length - 1; i >= 0; i--) v = v * x + p[i];
  return v;
}

/**
 * Real roots of a polynomial (ascending coefficients): the real roots of its derivative split
 * the line (within the Cauchy bound) into monotone pieces, each bisected where the sign changes.
 * Simple and robust for the degree 10 needed here; a double root may be missed, which RANSAC
 * tolerates.
 */
export function realRoots(coeffs: readonly number[]): number[] {
  const p = coeffs.slice();
  let scale = 0;
  for (const c of p) scale = Math.max(scale, Math.abs(c));
  if (!(scale > 0) || !Number.isFinite(scale)) return [];
  while (p.length > 1 && Math.abs(p[p.length - 1]) <= 1e-14 * scale) p.pop();
  const deg = p.length - 1;
  if (deg < 1) return [];
  if (deg === 1) return [-p[0] / p[1]];
  let bound = 0;
  for (let i = 0; i < deg; i++) bound = Math.max(bound, Math.abs(p[i] / p[deg]));
  bound += 1;
  const derivative = p.slice(1).map((c, i) => c * (i + 1));
  const stops = [-bound];
  for (const r of realRoots(derivative).sort((a, b) => a - b)) if (r > -bound && r < bound) stops.push(r);
  stops.push(bound);
  const roots: number[] = [];
  let fa = upolyEval(p, stops[0]);
  for (let k = 0; k + 1 < stops.length; k++) {
    let a = stops[k];
    let b = stops[k + 1];
    const fb = upolyEval(p, b);
    const fNext = fb;
    if (fa === 0) roots.push(a);
    else if (fa * fb < 0) {
      let fl = fa;
      // Bisection to a tight bracket, then Newton steps that stay inside it.
      for (let it = 0; it < 100 && b - a > 1e-7 * Math.max(1, Math.abs(a)); it++) {
        const m = 0.5 * (a + b);
        const fm = upolyEval(p, m);
        if (fm === 0) {
          a = b = m;
          break;
        }
        if (fl * fm < 0) b = m;
        else {
          a = m;
          fl = fm;
        }
      }
      let r = 0.5 * (a + b);
      for (let it = 0; it < 4; it++) {
        const step = upolyEval(p, r) / upolyEval(derivative, r);
        const next = r - step;
        if (!(next >= a && next <= b)) break;
        r = next;
        if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(r))) break;
      }
      roots.push(r);
    }
    fa = fNext;
  }
  return roots;
}
