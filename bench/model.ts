/**
 * Model speed: one whole pair (A|B and B|A) at 640x480 in onnxruntime-web's wasm backend,
 * the runtime the browser falls back to.
 *
 *   npm run bench:model -- [--threads 2] [--runs 5] [--model models/coam.onnx] [--size 640x480]
 *
 * Prints the median and the best wall time of a pair over the runs, after one warm-up pair.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
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

const session = await ort.InferenceSession.create(readFileSync(values.model!), { executionProviders: ['wasm'] });
const random = (n: number) => Float32Array.from({ length: n }, () => Math.random());
const a = new ort.Tensor('float32', random(3 * width * height), [1, 3, height, width]);
const b = new ort.Tensor('float32', random(3 * width * height), [1, 3, height, width]);

async function pair(): Promise<number> {
  const t0 = performance.now();
  await session.run({ image: a, condition: b });
  await session.run({ image: b, condition: a });
  return performance.now() - t0;
}

await pair();
const times: number[] = [];
for (let i = 0; i < runs; i++) times.push(await pair());
times.sort((x, y) => x - y);
const median = times[Math.floor(times.length / 2)];
console.log(
  `pair (A|B + B|A) at ${width}x${height}, onnxruntime-web ${ort.env.versions.web} wasm, ${values.threads} threads, ` +
    `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}: median ${median.toFixed(0)} ms, best ${times[0].toFixed(0)} ms over ${runs} runs`,
);
await session.release();
