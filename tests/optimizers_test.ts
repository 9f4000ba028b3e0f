// Each optimizer against PyTorch's algorithm written out directly in
// double precision (torch.optim's documented update rules and defaults),
// independent of the kernels it runs on, over a few steps with changing
// gradients; and its state saved and restored continues the same run.

import { ok, throws } from "node:assert/strict";
import { deepEqual, equal } from "node:assert/strict";
import {
  createOptimizer,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type ParameterTensor,
} from "../src/model/optimizers.ts";
import { Network } from "../src/model/network.ts";
import { backends, maxDiff, randomFloats } from "./_backends.ts";

type Rule = (p: number[], g: number[], t: number, state: number[][]) => void;

const LR = 0.01;

/** torch.optim update rules, with weight decay WD, for parameters p and gradients g at step t. */
const rules = (WD: number): Record<OptimizerName, Rule> => ({
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
  // LAMB (You et al., 2019; as torch-optimizer's Lamb, eps 1e-6): Adam's
  // bias-corrected direction plus decoupled decay, scaled per tensor by the
  // trust ratio |p| / |r|.
  lamb(p, g, t, [m, v]): void {
    const r = p.map((_, i) => {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      const mh = m[i] / (1 - 0.9 ** t), vh = v[i] / (1 - 0.999 ** t);
      return mh / (Math.sqrt(vh) + 1e-6) + WD * p[i];
    });
    const norm = (x: number[]): number => Math.sqrt(x.reduce((s, y) => s + y * y, 0));
    const trust = norm(p) > 0 && norm(r) > 0 ? norm(p) / norm(r) : 1;
    p.forEach((_, i) => p[i] -= LR * trust * r[i]);
  },
});
const WD = 0.02, RULES = rules(WD);

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

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name:
      `${name}: decay "weights" skips the tensors that do not decay; LAMB's trust ratio is per tensor`,
    ignore,
    fn(): void {
      // A weight, a bias and another weight: [0, 20), [20, 25), [25, 37).
      const tensors: ParameterTensor[] = [
        { name: "w1", offset: 0, length: 20, decays: true },
        { name: "b1", offset: 20, length: 5, decays: false },
        { name: "w2", offset: 25, length: 12, decays: true },
      ];
      const n = 37, decayed = rules(WD), plain = rules(0);
      for (const type of OPTIMIZER_NAMES) {
        const opt = createOptimizer({ type, learningRate: LR, weightDecay: WD, decay: "weights" });
        const params = kernels!.allocate(n);
        params.set(randomFloats(n, 3));
        const want = tensors.map((t) => Array.from(params.subarray(t.offset, t.offset + t.length)));
        const states = tensors.map((t) => [0, 1].map(() => new Array(t.length).fill(0)));
        for (let step = 1; step <= 4; step++) {
          const grads = kernels!.allocate(n);
          grads.set(randomFloats(n, 30 + step));
          opt.step(kernels!, params, grads, tensors);
          tensors.forEach((t, i) => {
            const g = Array.from(grads.subarray(t.offset, t.offset + t.length));
            (t.decays ? decayed : plain)[type](want[i], g, step, states[i]);
          });
        }
        const diff = maxDiff(params, want.flat());
        ok(diff < 2e-6, `${type}: ${diff}`);
      }
    },
  });
}

Deno.test("plain SGD folds into the gradient kernels only when one decay covers every parameter", () => {
  deepEqual(createOptimizer({ type: "sgd", learningRate: 0.5, weightDecay: 0.1 }).fold(), {
    alpha: -0.5,
    beta: 1 - 0.5 * 0.1,
  });
  const weightsOnly = { type: "sgd", learningRate: 0.5, decay: "weights" } as const;
  equal(createOptimizer({ ...weightsOnly, weightDecay: 0.1 }).fold(), undefined);
  deepEqual(createOptimizer({ ...weightsOnly, weightDecay: 0 }).fold(), { alpha: -0.5, beta: 1 });
  for (const type of OPTIMIZER_NAMES.filter((t) => t !== "sgd")) {
    equal(createOptimizer({ type, learningRate: 0.5 }).fold(), undefined, type);
  }
  throws(
    () => createOptimizer({ type: "sgd", learningRate: 1, decay: "biases" as never }),
    /Unknown decay group "biases"/,
  );
  throws(
    () =>
      createOptimizer({ type: "sgd", learningRate: 1 }).step(
        backends[0].kernels!,
        new Float32Array(4),
        new Float32Array(4),
        [{ name: "w", offset: 0, length: 3, decays: true }],
      ),
    /cover 3 floats, but the arena has 4/,
  );
});

Deno.test("a network's parameter tensors cover its arena; only dense and conv weights decay", () => {
  using net = new Network({
    layers: "conv(2,3) batchnorm relu flatten dense(4) relu dense(10)",
    inputShape: [5, 5, 1],
    backend: "ts",
  });
  deepEqual(
    net.parameterTensors.map((t) => [t.name, t.length, t.decays]),
    [
      ["layers.0.weight", 18, true],
      ["layers.0.bias", 2, false],
      ["layers.1.weight", 2, false],
      ["layers.1.bias", 2, false],
      ["layers.4.weight", 72, true],
      ["layers.4.bias", 4, false],
      ["layers.5.weight", 40, true],
      ["layers.5.bias", 10, false],
    ],
  );
  let at = 0;
  for (const t of net.parameterTensors) equal(t.offset, (at += t.length) - t.length);
  equal(at, net.params.length);
});
