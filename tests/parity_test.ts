// Native and TS backends train the same network to the same losses.

import { ok } from "node:assert/strict";
import { Batcher } from "../src/data/batcher.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { Network } from "../src/model/network.ts";
import { createOptimizer, type OptimizerName } from "../src/model/optimizers.ts";
import { createTsKernels } from "../src/kernels/ts_kernels.ts";
import { nativeKernels } from "./_backends.ts";
import { skipRealMnist } from "./_mnist.ts";

/**
 * Steps compared, and the relative difference allowed between the two
 * backends' batch losses. Both compute in float32 but sum in different
 * orders (blocked SIMD vs scalar). Measured worst cases: SGD 4e-7 and
 * momentum 1e-6 over 200 steps; Adam 5.6e-6 over its first 80, after which
 * its per-parameter normalization amplifies rounding into a chaotic
 * divergence (1.7e-3 by step 100), so Adam is compared over 50 steps.
 */
const CASES: [OptimizerName, number, number][] = [
  ["sgd", 200, 1e-5],
  ["momentum", 200, 1e-5],
  ["adam", 50, 1e-4],
  ["nesterov", 100, 1e-5],
  ["adamw", 50, 1e-4],
  ["rmsprop", 50, 1e-4],
  ["adagrad", 50, 1e-4],
];

const RATES: Partial<Record<OptimizerName, number>> = { adam: 1e-3, adamw: 1e-3, rmsprop: 1e-3 };

for (const [optimizer, steps, tolerance] of CASES) {
  Deno.test({
    name: `native and TS give matching losses over ${steps} ${optimizer} steps (batch 32, MNIST)`,
    ignore: !nativeKernels || skipRealMnist,
    async fn(): Promise<void> {
      const { train } = await loadMnist({ download: false });
      const losses: number[][] = [];
      for (const kernels of [createTsKernels(), nativeKernels!]) {
        const net = new Network({ sizes: [784, 64, 32, 10], seed: 5, backend: kernels });
        const opt = createOptimizer({
          type: optimizer,
          learningRate: RATES[optimizer] ?? 0.05,
        });
        const batcher = new Batcher(train, kernels, { batchSize: 32, seed: 9 });
        batcher.startEpoch();
        const run: number[] = [];
        for (let step = 0; step < steps; step++) {
          const rows = batcher.next();
          run.push(net.trainBatch(batcher.input, batcher.labels, rows, opt).loss / rows);
        }
        losses.push(run);
      }
      let worst = 0;
      for (let i = 0; i < steps; i++) {
        worst = Math.max(worst, Math.abs(losses[0][i] - losses[1][i]) / Math.abs(losses[0][i]));
      }
      ok(losses[0][steps - 1] < losses[0][0] / 2, "training made progress");
      ok(worst <= tolerance, `worst relative loss difference ${worst} > ${tolerance}`);
    },
  });
}
