/**
 * Model speed: one whole pair (A|B and B|A) at 640x480 in onnxruntime-web's wasm backend,
 * the runtime the browser falls back to, two ways in the same run:
 *  - contract: models/coam.onnx twice (each pass encodes both images: 4 encoder passes a pair);
 *  - split: the sidecar's encoder graph once per image, then the conditioned decoder twice.
 *
 *   npm run bench:model -- [--threads 2] [--runs 5] [--model models/coam.onnx] [--size 640x480]
 *
 * Prints the median and the best wall time of a pair over the runs for each, after one warm-up pair
 * each; the two are interleaved run by run so a change in machine load hits both alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '5' },
    model: { type: 'string', default: 'models/coam.onnx' },
    size: { type: 'string', default: '640x480' },
  },
});
const [width, height] = values.size!.split('x').map(Number);
const runs = Number(values.runs);
ort.env.wasm.numThreads = Number(values.threads);
const modelPath = values.model!;
const options = { executionProviders: ['wasm'] };

const session = await ort.InferenceSession.create(readFileSync(modelPath), options);
const random = (n: number) => Float32Array.from({ length: n }, () => Math.random());
const a = new ort.Tensor('float32', random(3 * width * height), [1, 3, height, width]);
const b = new ort.Tensor('float32', random(3 * width * height), [1, 3, height, width]);

async function contractPair(): Promise<number> {
  const t0 = performance.now();
  await session.run({ image: a, condition: b });
  await session.run({ image: b, condition: a });
  return performance.now() - t0;
}

// The split graphs, when the sidecar next to the model names them.
interface Split {
  encoder: string;
  decoder: string;
  featureNames: string[];
  conditionFeatureNames: string[];
}
const sidecarPath = modelPath.replace(/\.onnx$/, '.json');
const split = existsSync(sidecarPath) ? ((JSON.parse(readFileSync(sidecarPath, 'utf8')) as { split?: Split }).split ?? null) : null;
let splitPair: (() => Promise<number>) | null = null;
let splitSessions: ort.InferenceSession[] = [];
if (split) {
  const encoder = await ort.InferenceSession.create(readFileSync(join(dirname(modelPath), split.encoder)), options);
  const decoder = await ort.InferenceSession.create(readFileSync(join(dirname(modelPath), split.decoder)), options);
  splitSessions = [encoder, decoder];
  const decode = (image: ort.InferenceSession.ReturnType, condition: ort.InferenceSession.ReturnType) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const n of split.featureNames) feeds[n] = image[n] as ort.Tensor;
    for (const n of split.conditionFeatureNames) feeds[`condition_${n}`] = condition[n] as ort.Tensor;
    return decoder.run(feeds);
  };
  splitPair = async () => {
    const t0 = performance.now();
    const fa = await encoder.run({ image: a });
    const fb = await encoder.run({ image: b });
    await decode(fa, fb);
    await decode(fb, fa);
    return performance.now() - t0;
  };
}

await contractPair();
if (splitPair) await splitPair();
const contractTimes: number[] = [];
const splitTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  contractTimes.push(await contractPair());
  if (splitPair) splitTimes.push(await splitPair());
}
const summary = (times: number[]) => {
  const sorted = [...times].sort((x, y) => x - y);
  return { median: sorted[Math.floor(sorted.length / 2)], best: sorted[0] };
};
const c = summary(contractTimes);
const where =
  `at ${width}x${height}, onnxruntime-web ${ort.env.versions.web} wasm, ${values.threads} threads, ` +
  `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, load average ${loadavg()[0].toFixed(2)}`;
console.log(`pair (A|B + B|A) ${where}`);
console.log(`  contract graph (coam.onnx x2):        median ${c.median.toFixed(0)} ms, best ${c.best.toFixed(0)} ms over ${runs} runs`);
if (splitPair) {
  const s = summary(splitTimes);
  console.log(
    `  split (encoder x2 + decoder x2):       median ${s.median.toFixed(0)} ms, best ${s.best.toFixed(0)} ms over ${runs} runs` +
      ` (${(c.median / s.median).toFixed(2)}x the contract graph's speed, by medians)`,
  );
} else {
  console.log(`  split: none (${sidecarPath} names no encoder/decoder split)`);
}
await session.release();
for (const s of splitSessions) await s.release();
