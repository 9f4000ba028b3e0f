// Native networks in concurrent Web Workers: every result must equal the
// one computed alone on the main thread (the library serializes its shared
// GEMM state, and its results do not depend on the thread count).

import { deepEqual } from "node:assert/strict";
import { nativeKernels } from "./_backends.ts";
import { trainReference } from "./_worker_job.ts";

Deno.test({
  name: "two Workers training native networks at once get the single-threaded results",
  ignore: !nativeKernels,
  async fn(): Promise<void> {
    const seeds = [3, 4];
    const expected = seeds.map((seed) => trainReference(seed, 1));
    const run = (seed: number, threads: number): Promise<Float32Array> => {
      const worker = new Worker(new URL("./_worker_train.ts", import.meta.url), { type: "module" });
      return new Promise<Float32Array>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<Float32Array>): void => resolve(e.data);
        worker.onerror = (e): void => reject(new Error(e.message));
        worker.postMessage({ seed, threads });
      }).finally(() => worker.terminate());
    };
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(seeds.map((seed, i) => run(seed, 1 + ((i + round) % 2))));
      results.forEach((r, i) => deepEqual(r, expected[i], `worker with seed ${seeds[i]}`));
    }
    nativeKernels!.threads; // the shared pool still answers
  },
});
