/**
 * Argument parsing for the `coam` CLI: node:util parseArgs plus number checks. Every mistake
 * becomes a UsageError, which main prints with the usage text (exit code 2), never a stack trace.
 */
import type { MatchOptions } from '../core/types';
import { SEARCH_MODES, type SearchMode } from '../core/views';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` (or `-h`) among a command's arguments: main prints `usage` (or USAGE) and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string | undefined) {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

const HEADER = `coam — CoAM co-attention image matching (Wiles et al., CVPR 2021) in Node

Usage:
  coam match A B [options]         match two images (JPEG, PNG or PPM)
  coam eval DATA_DIR [options]     evaluate on homography/, epipolar/, pose/ folders
  coam colmap IMAGES_DIR --out DB  match a folder's pairs into a COLMAP database (docs/colmap.md)
  coam serve [DIR] [--port N]      serve the built app (default ./dist, port 8080) with the
                                   isolation headers multi-threaded WASM needs (--host H)
  coam help                        this text
  coam COMMAND --help              that command's usage
`;

const MATCH_OPTIONS_TEXT = `match options:
  --top-k N           keep the best N matches (default 500)
  --long-side N       feed images with this long side (default: the model's, 640)
  --model PATH        ONNX model (default models/coam.onnx; its sidecar is PATH with .json,
                      and the encoder/decoder split it names is used when it lies beside PATH)
  --sidecar PATH      model sidecar, if not next to the model
  --json PATH         write matches (original pixels, scores, timings) as JSON
  --csv PATH          write matches as CSV
  --svg PATH          write a figure: both images side by side, match lines coloured by score
  --self-condition    condition each image on itself (ablation) instead of on the other
  --search MODE       test-time views: 'auto' (default) keeps the upright view when its top
                      matches fit one homography or one epipolar geometry; otherwise it tries
                      either image at half size and B turned by 90/180/270°, most likely first,
                      until one view's matches hold together, and finer views (1.6x the long
                      side, a 4x zoom either way) when none does or its inliers are few;
                      'full': every turn and half size when the upright matches fail a
                      homography check, then the finer views for every pair (about ten times
                      slower); 'always': every view for every pair; 'off': the upright view only
  --candidates N      candidate cells per image, by distinctiveness after NMS (default 512)
  --mutual MODE       'grid' (default): mutual against every cell of the other image;
                      'candidates': mutual within the two candidate lists (faster)
  --ratio R           ratio test: keep a match when its descriptor distance is at most R times
                      the runner-up's (the best cell outside 5 x 5 cells around it), both ways
                      (default 0.85; 1 keeps every mutual nearest neighbour)
  --threads N         WASM threads (default min(4, cores))
  --baseline NAME     also run a classic matcher on the same pair at the same fed size, from
                      OpenCV's WebAssembly build: 'sift' (AKAZE where the build has no SIFT,
                      as the npm build does not), 'akaze' or 'orb'; the same ratio test (--ratio),
                      mutual check and top-K, and prints both counts and RANSAC inliers
  --ransac KIND       the comparison's RANSAC: 'homography' (default) or 'fundamental'
  --compare PATH      write the comparison (counts side by side) as JSON
  --compare-svg PATH  write both matchers' lines and counts as one 16:9 SVG (1920×1080)
  --baseline-json PATH  write the baseline's matches as --json does (for eval --matches)
`;

const EVAL_OPTIONS_TEXT = `eval options:
  --top-k N           matches scored per pair (default 1000)
  --long-side N       as for match (default 640)
  --model PATH, --sidecar PATH, --self-condition, --search MODE, --threads N,
  --candidates N, --mutual MODE, --ratio R                      as for match
  --matches DIR       score precomputed matches instead of running the model:
                      DIR/<group>/<name>/1_<k>.json in the format 'match --json' writes
                      (a missing file counts as a failed pair with 0 matches)
  --save-matches DIR  write each pair's matches there, in that same layout
  --json PATH         write the full report (per pair and per group) as JSON
  --limit N           at most N pairs per group
  --verbose           print one row per pair
`;

const COLMAP_OPTIONS_TEXT = `colmap options (IMAGES_DIR --out DB, and one of --pairs, --exhaustive, --sequential):
  --out DB            the COLMAP database to write (COLMAP 3.8 schema; read by 'colmap mapper')
  --pairs FILE        pairs to match, COLMAP's pairs.txt: 'name1 name2' per line, names relative
                      to IMAGES_DIR, '#' comments
  --exhaustive        every pair of the folder's images
  --sequential N      each image with the next N, in name order (video frames)
  --resume            DB exists: continue it (its matched pairs are skipped, new pairs add to its
                      keypoints); without DB, start it
  --force             DB exists: delete it and start over
  --top-k N           matches kept per pair (default 1000; the matcher yields at most --candidates)
  --long-side N       feed images with this long side (default: the model's, 640)
  --search MODE       test-time views as for match (default 'off' here: 'auto' costs more on
                      the pairs whose upright matches do not hold together)
  --merge-radius PX   points of one image from different pairs within PX fed pixels merge into
                      one keypoint (default: half the model's stride, 2 for the bundled model);
                      scaled to each image's own pixels
  --max-error PX      RANSAC inlier threshold for two_view_geometries, Sampson distance in fed
                      pixels (default 4), scaled to the images' own pixels
  --single-camera     one camera for every image (same size required); default one per image
  --model PATH, --sidecar PATH, --threads N, --candidates N, --mutual MODE, --ratio R   as for match
`;

const DATA_LAYOUT = `Data layout (as ../shared/data/val):
  homography/<seq>/1.jpg … n.jpg + H_1_k      MMA, RANSAC homography corner error
  epipolar/<pair>/1.jpg 2.jpg corr.txt        RANSAC F, symmetric epipolar distance of corr.txt
  pose/<pair>/1.jpg 2.jpg K1 K2 R t           essential matrix, pose error AUC (x2 = R x1 + t)
`;

/** Every command and option: `coam help`, and after a usage mistake. */
export const USAGE = `${HEADER}\n${MATCH_OPTIONS_TEXT}\n${EVAL_OPTIONS_TEXT}\n${DATA_LAYOUT}\n${COLMAP_OPTIONS_TEXT}`;

/** `coam match --help`. */
export const MATCH_USAGE = `Usage: coam match A B [options]     match two images (JPEG, PNG or PPM)\n\n${MATCH_OPTIONS_TEXT}`;

/** `coam colmap --help`. */
export const COLMAP_USAGE = `Usage: coam colmap IMAGES_DIR --out DB (--pairs pairs.txt | --exhaustive | --sequential N) [options]\n\n${COLMAP_OPTIONS_TEXT}`;

/** `coam eval --help`. */
export const EVAL_USAGE = `Usage: coam eval DATA_DIR [options]  evaluate on homography/, epipolar/, pose/ folders\n\n${EVAL_OPTIONS_TEXT}\n${DATA_LAYOUT}`;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments. `--help` or `-h` anywhere before a `--` asks for the command's
 * `usage` instead, whatever else the arguments hold.
 */
export function parse(args: string[], options: Options, positionals: { min: number; max: number; names: string; usage?: string }) {
  const end = args.indexOf('--');
  if ((end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h')) throw new HelpRequested(positionals.usage);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
  const n = parsed.positionals.length;
  if (n < positionals.min || n > positionals.max) {
    throw new UsageError(`expected ${positionals.names}, got ${n === 0 ? 'nothing' : parsed.positionals.map((p) => `'${p}'`).join(' ')}`);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** A positive integer option, or the default when absent. */
export function intOption(values: Record<string, unknown>, name: string, fallback: number | undefined, min = 1): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(v) || v < min) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${String(raw)}'`);
  }
  return v;
}

export function strOption(values: Record<string, unknown>, name: string): string | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') throw new UsageError(`--${name} needs a value`);
  return raw;
}

/** --candidates N, --mutual grid|candidates and --ratio R, shared by `match` and `eval`. */
export function matchOptionsFrom(values: Record<string, unknown>): Partial<MatchOptions> {
  const out: Partial<MatchOptions> = {};
  const candidates = intOption(values, 'candidates', undefined);
  if (candidates !== undefined) out.maxCandidates = candidates;
  const mutual = strOption(values, 'mutual');
  if (mutual !== undefined) {
    if (mutual !== 'grid' && mutual !== 'candidates') throw new UsageError(`--mutual must be 'grid' or 'candidates', got '${mutual}'`);
    out.mutualCheck = mutual;
  }
  const ratio = values.ratio;
  if (ratio !== undefined) {
    const v = Number(ratio);
    if (typeof ratio !== 'string' || ratio.trim() === '' || !(v > 0 && v <= 1)) {
      throw new UsageError(`--ratio must be a number in (0, 1], got '${String(ratio)}'`);
    }
    out.maxRatio = v;
  }
  return out;
}

/** --search off|auto|full|always, shared by `match` and `eval` (default 'auto'). */
export function searchOption(values: Record<string, unknown>): SearchMode {
  const raw = strOption(values, 'search') ?? 'auto';
  if (!(SEARCH_MODES as readonly string[]).includes(raw)) throw new UsageError(`--search must be one of ${SEARCH_MODES.join(', ')}, got '${raw}'`);
  return raw as SearchMode;
}
