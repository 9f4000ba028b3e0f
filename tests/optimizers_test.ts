// Each optimizer against PyTorch's algorithm written out directly in
// double precision (torch.optim's documented update rules and defaults),
// independent of the kernels it runs on, over a few steps with changing
// gradients; and its state saved and restored continues the same run.

import { ok, throws } from "node:assert/strict";
import { createOptimizer, OPTIMIZER_NAMES, type OptimizerName } from "../src/model/optimizers.ts";
import { backends, maxDiff, randomFloats } from "./_backends.ts";

type Rule = (p: number[], g: number[], t: number, state: number[][]) => void;

const LR = 0.01, WD = 0.02;

/** torch.optim update rules, with weight decay WD, for parameters p and gradients g at step t. */
const RULES: Record<OptimizerName, Rule> = {
  sgd: (p, g) => p.forEach((_, i) => p[i] -= LR * (g[i] + WD * p[i])),
  momentum: (p, g, t, [b]) =>
    p.forEach((_, i) => {
      const d = g[i] + WD * p[i];
      b[i] = t === 1 ? d : 0.9 * b[i] + d;
      p[i] -= LR * b[i];
    }),
  nesterov: (p, g, t, [b]) =>
    p.forEach((_, i) => {
      const d = g[i] + WD * p[i];
      b[i] = t === 1 ? d : 0.9 * b[i] + d;
      p[i] -= LR * (d + 0.9 * b[i]);
    }),
  adam: (p, g, t, [m, v]) =>
    p.forEach((_, i) => {
      const d = g[i] + WD * p[i];
      m[i] = 0.9 * m[i] + 0.1 * d;
      v[i] = 0.999 * v[i] + 0.001 * d * d;
      const mh = m[i] / (1 - 0.9 ** t), vh = v[i] / (1 - 0.999 ** t);
      p[i] -= LR * mh / (Math.sqrt(vh) + 1e-8);
    }),
  adamw: (p, g, t, [m, v]) =>
    p.forEach((_, i) => {
      p[i] *= 1 - LR * WD;
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const mh = m[i] / (1 - 0.9 ** t), vh = v[i] / (1 - 0.999 ** t);
      p[i] -= LR * mh / (Math.sqrt(vh) + 1e-8);
    }),
  rmsprop: (p, g, _t, [s]) =>
    p.forEach((_, i) => {
      const d = g[i] + WD * p[i];
      s[i] = 0.99 * s[i] + 0.01 * d * d;
      p[i] -= LR * d / (Math.sqrt(s[i]) + 1e-8);
    }),
  adagrad: (p, g, _t, [s]) =>
    p.forEach((_, i) => {
      const d = g[i] + WD * p[i];
      s[i] += d * d;
      p[i] -= LR * d / (Math.sqrt(s[i]) + 1e-10);
    }),
};

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name: `${name}: every optimizer follows torch.optim's rule with weight decay`,
    ignore,
    fn(): void {
      const n = 37;
      for (const type of OPTIMIZER_NAMES) {
        const opt = createOptimizer({ type, learningRate: LR, weightDecay: WD });
        const params = kernels!.allocate(n);
        params.set(randomFloats(n, 1));
        const want = Array.from(params);
        const state = [new Array(n).fill(0), new Array(n).fill(0)];
        for (let t = 1; t <= 4; t++) {
          const grads = kernels!.allocate(n);
          grads.set(randomFloats(n, 10 + t));
          opt.step(kernels!, params, grads);
          RULES[type](want, Array.from(grads), t, state);
        }
        const diff = maxDiff(params, want);
        ok(diff < 2e-6, `${type}: ${diff}`);
      }
    },
  });
}

Deno.test("an optimizer's restored state continues the same run; bad settings are RangeErrors", () => {
  const kernels = backends[0].kernels!;
  for (const type of OPTIMIZER_NAMES) {
    const grads = (t: number): Float32Array => randomFloats(16, 20 + t);
    const straight = createOptimizer({ type, learningRate: LR });
    const a = randomFloats(16, 2);
    for (let t = 0; t < 4; t++) straight.step(kernels, a, grads(t));
    const first = createOptimizer({ type, learningRate: LR });
    const b = randomFloats(16, 2);
    for (let t = 0; t < 2; t++) first.step(kernels, b, grads(t));
    const second = createOptimizer({ type, learningRate: LR });
    second.restore(first.state.steps, first.state.arrays);
    for (let t = 2; t < 4; t++) second.step(kernels, b, grads(t));
    ok(maxDiff(a, b) === 0, `${type}: resumed run differs by ${maxDiff(a, b)}`);
  }
  throws(
    () => createOptimizer({ type: "lion" as never, learningRate: 1 }),
    /Unknown optimizer "lion"/,
  );
  throws(() => createOptimizer({ type: "rmsprop", learningRate: 1, alpha: 1 }), /alpha must be in/);
  throws(() => createOptimizer({ type: "sgd", learningRate: -1 }), /Learning rate must be > 0/);
});
