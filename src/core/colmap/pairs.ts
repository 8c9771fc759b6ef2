/**
 * Which pairs of a folder to match: COLMAP's pairs.txt (`name1 name2` per line, `#` comments, as
 * `colmap matches_importer --match_type pairs` reads it), every pair, or each image with the next
 * N (COLMAP's sequential_matcher overlap, for video frames).
 */

export interface PairList {
  pairs: Array<[string, string]>;
  /** Lines that were not `name1 name2` (1-based line number and text). */
  malformed: Array<{ line: number; text: string }>;
}

/** Parse pairs.txt. Names are relative to the image folder, as COLMAP stores them. */
export function parsePairsTxt(text: string): PairList {
  const pairs: Array<[string, string]> = [];
  const malformed: Array<{ line: number; text: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2 || parts[0] === parts[1]) malformed.push({ line: i + 1, text: raw });
    else pairs.push([parts[0], parts[1]]);
  });
  return { pairs, malformed };
}

/** Every unordered pair of the names, in order (i < j). */
export function exhaustivePairs(names: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) out.push([names[i], names[j]]);
  return out;
}

/** Each name with the next `overlap` names (names in frame order). */
export function sequentialPairs(names: readonly string[], overlap: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j <= Math.min(names.length - 1, i + overlap); j++) out.push([names[i], names[j]]);
  return out;
}

/** Drop repeated pairs (either order), keeping the first. */
export function uniquePairs(pairs: ReadonlyArray<[string, string]>): Array<[string, string]> {
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const [a, b] of pairs) {
    const key = a < b ? `${a}\n${b}` : `${b}\n${a}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([a, b]);
  }
  return out;
}
