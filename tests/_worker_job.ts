// The job workers_test.ts runs both on the main thread and in Workers: a
// small CNN and an MLP trained on the native backend for a few steps.

import { loadNativeKernels } from "../src/kernels/native_kernels.ts";
import { Network } from "../src/model/network.ts";
import { createOptimizer } from "../src/model/optimizers.ts";
import { randomFloats } from "./_backends.ts";

/** Trains on the native backend and returns a copy of the parameters. */
export function trainReference(seed: number, threads: number): Float32Array {
  const kernels = loadNativeKernels(threads).kernels!;
  const cnn = Network.fromSpec("conv(8,3,pad=1) relu maxpool(2) flatten dense(64) relu dense(10)", {
    inputShape: [12, 12, 1],
    seed,
    backend: kernels,
  });
  const mlp = new Network({ sizes: [144, 256, 10], seed, backend: kernels });
  const sgd = createOptimizer({ type: "sgd", learningRate: 0.05 });
  const adam = createOptimizer({ type: "adam", learningRate: 1e-3 });
  for (let step = 0; step < 40; step++) {
    const x = randomFloats(64 * 144, seed * 1000 + step).map(Math.abs);
    const y = Int32Array.from({ length: 64 }, (_, i) => (i * 3 + step + seed) % 10);
    cnn.trainBatch(x, y, 64, adam);
    mlp.trainBatch(x, y, 64, sgd);
  }
  const out = new Float32Array(cnn.params.length + mlp.params.length);
  out.set(cnn.params);
  out.set(mlp.params, cnn.params.length);
  return out;
}
