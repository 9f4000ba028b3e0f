// `deno bench`: GEMM at the first-layer shape and one training step, on the
// TS backend and (when built) the native one. `deno task bench` also prints
// the report with GFLOP/s, OpenBLAS ratios and epoch times (report.ts).

import { Network } from "../../src/model/network.ts";
import { createOptimizer } from "../../src/model/optimizers.ts";
import { backends, randomFloats } from "../_backends.ts";

const [m, n, k] = [64, 128, 784];
const a = randomFloats(m * k, 1), b = randomFloats(n * k, 2), c = new Float32Array(m * n);
const x = randomFloats(64 * 784, 3).map(Math.abs);
const labels = Int32Array.from({ length: 64 }, (_, i) => i % 10);

for (const { name, kernels, ignore } of backends) {
  if (ignore) continue;
  Deno.bench({
    name: `${name}: gemm 64x784 * (128x784)^T`,
    group: "gemm",
    baseline: name === "ts",
    fn(): void {
      kernels!.gemm(false, true, m, n, k, 1, a, b, 0, c);
    },
  });
  const net = new Network({ sizes: [784, 128, 64, 10], seed: 1, backend: kernels });
  const sgd = createOptimizer({ type: "sgd", learningRate: 1e-3 });
  Deno.bench({
    name: `${name}: SGD step, 784-128-64-10, batch 64`,
    group: "step",
    baseline: name === "ts",
    fn(): void {
      net.trainBatch(x, labels, 64, sgd);
    },
  });
}
