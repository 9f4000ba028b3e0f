// Network behaviour on every backend: gradients, learning, determinism, and
// the model file (round trip, corruption, version and shape checks).

import { deepEqual, equal, match, notDeepEqual, ok, rejects, throws } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import type { Dense } from "../src/model/layers/dense.ts";
import { createOptimizer } from "../src/model/optimizers.ts";
import {
  loadNetwork,
  networkFromBytes,
  networkToBytes,
  saveNetwork,
} from "../src/model/model_file.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  ModelFormatError,
} from "../src/model/safetensors.ts";
import { fit } from "../src/train/fit.ts";
import { ACTIVATION_NAMES } from "../src/model/network.ts";
import { backends, maxDiff, randomFloats, worstGradientError } from "./_backends.ts";

/** A small separable problem: the class is the index of the brightest of 4 pixel pairs. */
function toyData(
  count: number,
  seed: number,
): { images: Uint8Array; labels: Uint8Array; count: number; rows: number; cols: number } {
  const noise = randomFloats(count * 8, seed);
  const images = new Uint8Array(count * 8);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const y = i % 4;
    labels[i] = y;
    for (let j = 0; j < 8; j++) {
      images[i * 8 + j] = Math.round(60 + 50 * noise[i * 8 + j] + (j >> 1 === y ? 120 : 0));
    }
  }
  return { images, labels, count, rows: 2, cols: 4 };
}

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name: `${name}: backward pass matches finite differences for every activation`,
    ignore,
    fn(): void {
      for (const activation of ACTIVATION_NAMES) {
        const net = new Network({
          sizes: [5, 7, 6, 3],
          activation,
          init: "xavier",
          seed: 3,
          backend: kernels,
        });
        (net.layers[0] as Dense).bias.set(randomFloats(7, 11).map((v) => v * 0.3));
        const rows = 4;
        const x = randomFloats(rows * 5, 21);
        const y = new Int32Array([0, 2, 1, 2]);
        net.computeGradients(x, y, rows);
        const analytic = net.grads.slice();
        const loss = (): number => net.computeGradients(x, y, rows).loss / rows;
        const worst = worstGradientError(net.params, analytic, loss, 3);
        ok(worst < 2e-2, `${activation}: worst relative gradient error ${worst}`);
      }
    },
  });

  Deno.test({
    name: `${name}: training lowers the loss and learns a toy problem (batch 1 and 16)`,
    ignore,
    async fn(): Promise<void> {
      const data = toyData(200, 5);
      for (
        const [batchSize, optimizer] of [[1, "sgd"], [1, "momentum"], [16, "momentum"]] as const
      ) {
        const net = new Network({ sizes: [8, 16, 4], seed: 2, backend: kernels });
        const before = net.evaluate(data);
        const history = await fit(net, data, {
          epochs: 8,
          batchSize,
          optimizer,
          learningRate: batchSize === 1 ? 0.02 : 0.05,
        });
        const after = net.evaluate(data);
        ok(after.loss < before.loss / 2, `loss ${before.loss} -> ${after.loss}`);
        ok(after.accuracy > 0.95, `accuracy ${after.accuracy}`);
        ok(history.epochs[7].trainLoss < history.epochs[0].trainLoss);
        equal(after.confusion.flat().reduce((a, b) => a + b), 200);
      }
    },
  });

  Deno.test({
    name: `${name}: the same seed gives the same weights and the same loss curve`,
    ignore,
    async fn(): Promise<void> {
      const run = async (seed: number): Promise<number[]> => {
        const net = new Network({ sizes: [8, 12, 4], seed, backend: kernels });
        const h = await fit(net, toyData(64, 1), {
          epochs: 3,
          batchSize: 8,
          seed,
          learningRate: 0.1,
        });
        return [...net.params.subarray(0, 20), ...h.epochs.map((e) => e.trainLoss)];
      };
      deepEqual(await run(7), await run(7));
      notDeepEqual(await run(7), await run(8));
    },
  });

  Deno.test({
    name: `${name}: save then load gives identical predictions and probabilities`,
    ignore,
    async fn(): Promise<void> {
      const net = new Network({
        sizes: [8, 5, 4],
        activation: "tanh",
        seed: 4,
        backend: kernels,
        preprocessing: { mean: 0.2, std: 0.4 },
      });
      const data = toyData(30, 2);
      await fit(net, data, { epochs: 2, batchSize: 4 });
      const path = await Deno.makeTempFile({ suffix: ".safetensors" });
      try {
        await saveNetwork(net, path);
        const copy = await loadNetwork(path, { backend: kernels });
        equal(copy.spec, "dense(5) tanh dense(4)");
        const meta = decodeSafetensors(await Deno.readFile(path), path).metadata;
        equal(meta.output, "logits (4 classes); softmax gives probabilities");
        equal(Number(meta.pixel_scale), 1 / 255);
        equal(meta.leaky_relu_slope, "0.01");
        equal(copy.spec, net.spec);
        deepEqual(copy.preprocessing, net.preprocessing);
        deepEqual(copy.params, net.params);
        deepEqual(copy.predict(data.images), net.predict(data.images));
        deepEqual(copy.predictProba(data.images), net.predictProba(data.images));
      } finally {
        await Deno.remove(path);
      }
    },
  });
}

Deno.test("predictProba() rows sum to 1 and agree with predict() on floats and bytes", () => {
  const net = new Network({ sizes: [8, 6, 4], seed: 9, backend: "ts" });
  const data = toyData(1203, 3); // more than one inference chunk
  const p = net.predictProba(data.images);
  const labels = net.predict(data.images);
  for (let i = 0; i < data.count; i++) {
    const row = p.subarray(i * 4, i * 4 + 4);
    ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
    equal(labels[i], row.indexOf(Math.max(...row)));
  }
  const floats = Float32Array.from(data.images, (v) => v / 255);
  deepEqual(net.predict(floats), labels);
  throws(() => net.predict(new Float32Array(7)), /not a whole number of 8-feature samples/);
});

Deno.test("Network rejects bad options and short buffers with clear errors", async () => {
  throws(() => new Network({ sizes: [784] }), /at least two positive integers/);
  throws(() => new Network({ sizes: [4, 0, 2] }), RangeError);
  throws(
    () => new Network({ sizes: [4, 2], activation: "gelu" as "relu" }),
    /Unknown activation "gelu"/,
  );
  throws(() => new Network({ sizes: [4, 2], init: "zero" as "he" }), /Unknown initializer/);
  throws(() => new Network({ sizes: [4, 2], backend: "gpu" as "ts" }), /Unknown backend "gpu"/);
  throws(() => new Network({ sizes: [4, 2], threads: 0 }), /Thread count/);
  const net = new Network({ sizes: [4, 2], backend: "ts" });
  throws(() => net.forward(new Float32Array(7), 2), /Input holds 7 values, but 2 rows of 4 need 8/);
  throws(
    () =>
      net.trainBatch(
        new Float32Array(8),
        new Int32Array(1),
        2,
        createOptimizer({ type: "sgd", learningRate: 1 }),
      ),
    RangeError,
  );
  throws(
    () =>
      net.trainBatch(
        new Float32Array(4),
        new Int32Array([5]),
        1,
        createOptimizer({ type: "sgd", learningRate: 1 }),
      ),
    /label 5/,
  );
  throws(() => createOptimizer({ type: "sgd", learningRate: -1 }), RangeError);
  throws(() => createOptimizer({ type: "momentum", learningRate: 1, momentum: 1 }), RangeError);
  await rejects(
    fit(net, { images: new Uint8Array(4), labels: null, count: 1, rows: 2, cols: 2 }, {
      epochs: 1,
    }),
    TypeError,
  );
  await rejects(
    fit(
      net,
      { images: new Uint8Array(9), labels: new Uint8Array(1), count: 1, rows: 3, cols: 3 },
      { epochs: 1 },
    ),
    /9 features/,
  );
});

Deno.test("fit() callbacks receive metrics and can stop training", async () => {
  const net = new Network({ sizes: [8, 4], backend: "ts" });
  const seen: number[] = [];
  const history = await fit(net, toyData(40, 1), {
    epochs: 5,
    batchSize: 10,
    validationData: toyData(12, 2),
    onBatchEnd: (p) => seen.push(p.batch),
    onEpochEnd: (m, stop) => {
      ok(m.validationAccuracy! >= 0 && m.seconds >= 0 && Number.isFinite(m.trainLoss));
      if (m.epoch === 2) stop();
    },
  });
  equal(history.epochs.length, 2);
  equal(history.stopped, true);
  deepEqual(seen, [1, 2, 3, 4, 1, 2, 3, 4]);
});

Deno.test("fit() schedules decay the learning rate over the whole run", async () => {
  for (const [schedule, midway] of [["linear", 0.5], ["cosine", 0.5], ["constant", 1]] as const) {
    const net = new Network({ sizes: [8, 4], backend: "ts" });
    const opt = createOptimizer({ type: "sgd", learningRate: 0.2 });
    const rates: number[] = [];
    await fit(net, toyData(100, 1), {
      epochs: 2,
      batchSize: 10,
      optimizer: opt,
      schedule,
      onBatchEnd: () => rates.push(opt.learningRate),
    });
    equal(rates.length, 20);
    ok(Math.abs(rates[0] - 0.2) < 1e-12, `${schedule} starts at the base rate`);
    ok(Math.abs(rates[10] - 0.2 * midway) < 1e-12, `${schedule} at half-way: ${rates[10]}`);
    ok(rates.every((r, i) => i === 0 || r <= rates[i - 1]), `${schedule} never increases`);
  }
  await rejects(
    fit(new Network({ sizes: [8, 4], backend: "ts" }), toyData(10, 1), {
      epochs: 1,
      schedule: "weekly" as "linear",
    }),
    /Unknown schedule "weekly"/,
  );
});

Deno.test("fit() with batch size 1 trains in chunks and reports once per chunk", async () => {
  const net = new Network({ sizes: [8, 4], backend: "ts" });
  const seen: [number, number][] = [];
  const history = await fit(net, toyData(150, 1), {
    epochs: 1,
    batchSize: 1,
    onBatchEnd: (p) => seen.push([p.batch, p.batches]),
  });
  deepEqual(seen, [[64, 150], [128, 150], [150, 150]]);
  ok(Number.isFinite(history.epochs[0].trainLoss));
});

Deno.test("model files that are truncated, corrupted, of another version or shape are rejected", () => {
  const net = new Network({ sizes: [4, 3, 2], backend: "ts" });
  const good = networkToBytes(net);
  const rejectsWith = (bytes: Uint8Array, pattern: RegExp): void => {
    throws(() => networkFromBytes(bytes, "m.safetensors", { backend: "ts" }), (e: Error) => {
      equal(e instanceof ModelFormatError, true, e.message);
      match(e.message, /"m\.safetensors"/);
      match(e.message, pattern);
      return true;
    });
  };
  rejectsWith(good.subarray(0, 5), /fewer than the 8-byte header length/);
  rejectsWith(good.subarray(0, 40), /exceeds the file's 40 bytes/);
  rejectsWith(good.subarray(0, good.length - 4), /truncated/);
  const garbled = good.slice();
  garbled[8] = 0x78; // "x" where the JSON object opens
  rejectsWith(garbled, /JSON header is corrupt/);
  const rewrite = (
    edit: (
      meta: Record<string, string>,
      t: Map<string, { shape: number[]; data: Float32Array }>,
    ) => void,
  ): Uint8Array => {
    const file = decodeSafetensors(good, "m");
    edit(file.metadata, file.tensors);
    return encodeSafetensors(file);
  };
  rejectsWith(rewrite((m) => (m.format_version = "3")), /format_version "3" is not supported/);
  rejectsWith(rewrite((m) => (m.format = "other")), /metadata "format"/);
  rejectsWith(rewrite((m) => (m.spec = "dense(3) relu dens(2)")), /token 3 "dens\(2\)"/);
  rejectsWith(rewrite((m) => (m.input_shape = "4,x")), /input_shape/);
  rejectsWith(
    rewrite((m) => (m.spec = "dense(5) relu dense(2)")),
    /shape \[3,4\], but spec "dense\(5\) relu dense\(2\)" needs \[5,4\]/,
  );
  rejectsWith(rewrite((_, t) => t.delete("layers.1.bias")), /holds 3 tensors/);
  const v1 = (edit: (m: Record<string, string>) => void): Uint8Array =>
    rewrite((m) => {
      m.format_version = "1";
      m.sizes = "4,3,2";
      m.activation = "relu";
      delete m.spec;
      edit(m);
    });
  rejectsWith(v1((m) => (m.sizes = "4,x")), /metadata "sizes"/);
  rejectsWith(v1((m) => (m.activation = "softplus")), /metadata "activation"/);
  deepEqual(networkFromBytes(v1(() => {}), "m", { backend: "ts" }).params, net.params);
  deepEqual(networkFromBytes(good, "m", { backend: "ts" }).params, net.params);
});

Deno.test("model files with non-finite weights or too big for their tensors are rejected", () => {
  const net = new Network({ sizes: [4, 3, 2], backend: "ts" });
  const file = decodeSafetensors(networkToBytes(net), "m");
  file.tensors.get("layers.1.weight")!.data[2] = NaN;
  throws(
    () => networkFromBytes(encodeSafetensors(file), "m.safetensors", { backend: "ts" }),
    /tensor "layers.1.weight" holds NaN at index 2; weights must be finite/,
  );
  // A few hundred bytes declaring 60,000 hidden units: rejected by shape,
  // before any arena is allocated.
  const big = decodeSafetensors(networkToBytes(net), "m");
  big.metadata.spec = "dense(60000) relu dense(2)";
  throws(
    () => networkFromBytes(encodeSafetensors(big), "m.safetensors", { backend: "ts" }),
    /tensor "layers.0.weight" has shape \[3,4\], but spec .* needs \[60000,4\]/,
  );
});

Deno.test("fit() rejects empty or inconsistent data and bad validation data before any step", async () => {
  const net = new Network({ sizes: [8, 5, 4], seed: 2, backend: "ts" });
  const before = net.params.slice();
  const data = toyData(16, 1);
  await rejects(fit(net, { ...data, count: 0 }, { epochs: 1 }), /empty dataset/);
  await rejects(
    fit(net, { ...data, count: 17 }, { epochs: 1 }),
    /count is 17, but its images hold 16/,
  );
  await rejects(
    fit(net, { ...data, labels: data.labels.subarray(0, 3) }, { epochs: 1 }),
    /count is 16, but it has 3 labels/,
  );
  await rejects(
    fit(net, data, { epochs: 1, validationData: { ...data, rows: 1, cols: 4, count: 4 } }),
    /Cannot validate on the dataset: its samples have 1x4 = 4 features; the network expects 8/,
  );
  throws(() => net.evaluate({ ...data, count: 0 }), /Cannot evaluate on an empty dataset/);
  const three = new Network({ sizes: [8, 5, 3], seed: 2, backend: "ts" });
  await rejects(
    fit(three, data, { epochs: 1 }),
    /labels go up to 3, but the network has 3 outputs; give the last layer at least 4 units/,
  );
  deepEqual(net.params, before, "no weight changed");
});

Deno.test("fit() stops with TrainingDivergedError when the loss is not finite", async () => {
  const net = new Network({ sizes: [8, 5, 4], seed: 2, backend: "ts" });
  await rejects(
    fit(net, toyData(64, 1), { epochs: 3, batchSize: 8, learningRate: 1e30 }),
    (e: Error) => {
      equal(e.name, "TrainingDivergedError");
      match(
        e.message,
        /Training diverged at epoch 1, batch \d+: the loss is (NaN|Infinity).*lower the learning rate/,
      );
      return true;
    },
  );
});

Deno.test("a version-1 model file written by mnist-dnn 0.1.0 still loads and predicts the same", async () => {
  const path = new URL("./testdata/v1-8-5-4-tanh.safetensors", import.meta.url);
  const net = await loadNetwork(path.pathname, { backend: "ts" });
  equal(net.spec, "dense(5) tanh dense(4)");
  deepEqual(net.preprocessing, { mean: 0.1, std: 0.3 });
  // Probabilities printed by 0.1.0 when it wrote the file, for these pixels.
  const x = new Uint8Array(16).map((_, i) => (i * 37) % 256);
  const then = [
    0.006693834904581308,
    0.3598654270172119,
    0.44424745440483093,
    0.18919329345226288,
    0.082253597676754,
    0.5132636427879333,
    0.2188568413257599,
    0.18562594056129456,
  ];
  const now = net.predictProba(x);
  ok(then.every((p, i) => Math.abs(p - now[i]) < 1e-6), `${now} != ${then}`);
});

Deno.test("saveNetwork() writes atomically and leaves no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const net = new Network({ sizes: [4, 2], backend: "ts" });
    await saveNetwork(net, `${dir}/model.safetensors`);
    await saveNetwork(net, `${dir}/model.safetensors`);
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["model.safetensors"]);
    await rejects(saveNetwork(net, `${dir}/missing/model.safetensors`), Deno.errors.NotFound);
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["model.safetensors"]);
    // What a killed save leaves behind: removed by the next save once stale;
    // a recent one (perhaps a save still running) and other files are kept.
    const stale = `${dir}/.tmp-model.safetensors-dead0000`;
    const recent = `${dir}/.tmp-model.safetensors-live0000`;
    const other = `${dir}/.tmp-other.safetensors-dead0000`;
    for (const f of [stale, recent, other]) await Deno.writeFile(f, new Uint8Array(8));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await Deno.utime(stale, twoHoursAgo, twoHoursAgo);
    await Deno.utime(other, twoHoursAgo, twoHoursAgo);
    await saveNetwork(net, `${dir}/model.safetensors`);
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      ".tmp-model.safetensors-live0000",
      ".tmp-other.safetensors-dead0000",
      "model.safetensors",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a save killed at any moment leaves the old or the new complete model",
  ignore: Deno.build.os === "windows",
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/model.safetensors`;
      const expected = [1, 2].map((seed) =>
        new Network({ sizes: [784, 512, 10], seed, backend: "ts" }).params
      );
      for (let round = 0; round < 6; round++) {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", new URL("./_save_loop.ts", import.meta.url).pathname, path],
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const reader = child.stdout.getReader();
        await reader.read(); // "ready": the first save is complete
        await new Promise((resolve) => setTimeout(resolve, 20 + round * 37));
        child.kill("SIGKILL");
        await child.status;
        await reader.cancel();
        const params = (await loadNetwork(path, { backend: "ts" })).params;
        ok(
          expected.some((p) => maxDiff(p, params) === 0),
          `round ${round}: the file is neither model`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
