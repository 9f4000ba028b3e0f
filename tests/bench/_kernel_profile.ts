// Where an epoch's time goes: a Kernels wrapper that adds up the wall-clock
// time of each operation, and the direct FLOPs of a network's training step
// (the arithmetic a FLOP floor is measured against).

import type { Kernels } from "../../src/kernels/kernels.ts";
import { Conv2d } from "../../src/model/layers/conv2d.ts";
import { Dense } from "../../src/model/layers/dense.ts";
import type { Network } from "../../src/model/network.ts";

/** `kernels`, timed: every call adds its milliseconds to `times` under its operation's name. */
export function timedKernels(kernels: Kernels): { kernels: Kernels; times: Map<string, number> } {
  const times = new Map<string, number>();
  const timed: Record<string, unknown> = {
    name: kernels.name,
    description: kernels.description,
    threads: kernels.threads,
  };
  for (const [op, run] of Object.entries(kernels)) {
    if (typeof run !== "function") continue;
    timed[op] = (...args: unknown[]): unknown => {
      const start = performance.now();
      const result = run.apply(kernels, args);
      times.set(op, (times.get(op) ?? 0) + performance.now() - start);
      return result;
    };
  }
  return { kernels: timed as unknown as Kernels, times };
}

/**
 * FLOPs of one training sample through `network`'s convolution and dense
 * layers: the forward product, the weight gradient and (but for the first
 * layer) the input gradient, 2 per multiply-add, each as a direct
 * convolution or matrix product.
 */
export function trainingFlops(network: Network): number {
  let total = 0, first = true;
  for (const layer of network.layers) {
    let products = 0;
    if (layer instanceof Conv2d) {
      const [oh, ow] = layer.outputShape;
      products = oh * ow * layer.filters * layer.kernelSize ** 2 * layer.inputShape[2];
    } else if (layer instanceof Dense) {
      products = layer.units * layer.inputSize;
    } else continue;
    total += 2 * products * (first ? 2 : 3);
    first = false;
  }
  return total;
}
