// Training features: schedules with warm-up and plateau, the validation
// split, early stopping with the best weights restored, awaited callbacks,
// and checkpoints that resume to a byte-identical model.

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import { createOptimizer } from "../src/model/optimizers.ts";
import { fit } from "../src/train/fit.ts";
import { scheduleFactor } from "../src/train/schedules.ts";
import { loadCheckpoint } from "../src/train/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/model/safetensors.ts";
import { train } from "../src/cli/train.ts";
import { capture } from "./_io.ts";
import type { Dataset } from "../src/data/dataset.ts";
import { backends } from "./_backends.ts";
import { skipRealMnist } from "./_mnist.ts";

/** `count` samples of 8 pixels in 4 learnable classes (noise added by `seed`). */
function toyData(count: number, seed: number): Dataset {
  const images = new Uint8Array(count * 8), labels = new Uint8Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    labels[i] = i % 4;
    for (let p = 0; p < 8; p++) {
      s = (s * 1103515245 + 12345) >>> 0;
      images[i * 8 + p] = (p >> 1 === labels[i] ? 160 : 0) + (s >>> 26);
    }
  }
  return { images, labels, count, rows: 1, cols: 8 };
}

Deno.test("step, exponential, warm-up and plateau set the rate each epoch reports", async () => {
  equal(scheduleFactor("step", 0, 9, { stepSize: 4, gamma: 0.5 }), 0.25);
  equal(scheduleFactor("exponential", 0, 3, { gamma: 0.5 }), 0.125);
  const run = async (options: object): Promise<number[]> => {
    const net = new Network({ sizes: [8, 4], backend: "ts" });
    const h = await fit(net, toyData(40, 1), {
      epochs: 4,
      batchSize: 10,
      learningRate: 0.2,
      ...options,
    });
    return h.epochs.map((m) => Number(m.learningRate.toPrecision(6)));
  };
  deepEqual(await run({ schedule: "step", stepSize: 2, gamma: 0.5 }), [0.2, 0.2, 0.1, 0.1]);
  deepEqual(await run({ schedule: "exponential", gamma: 0.5 }), [0.2, 0.1, 0.05, 0.025]);
  // Warm-up over 2 epochs of 4 batches: the last batch of epoch 1 runs at 4/8 of the rate.
  deepEqual(await run({ warmupEpochs: 2 }), [0.1, 0.2, 0.2, 0.2]);
  // A rate too high to improve the validation loss is cut by 10 after 1 flat epoch.
  const rates = await run({
    learningRate: 50,
    validationData: toyData(12, 2),
    reduceOnPlateau: { patience: 1, factor: 0.1 },
    optimizer: "sgd",
  });
  ok(rates.some((r, i) => i > 0 && r < rates[i - 1]), `plateau lowered the rate: ${rates}`);
});

Deno.test("validationSplit holds out a seeded part; early stopping restores the best epoch", async () => {
  const data = toyData(100, 3);
  const seen: number[] = [];
  const net = new Network({ sizes: [8, 16, 4], seed: 1, backend: "ts" });
  // An absurd rate makes validation worse after the first epoch or two.
  let best: Float32Array | undefined, bestLoss = Infinity;
  const history = await fit(net, data, {
    epochs: 30,
    batchSize: 10,
    learningRate: 3,
    validationSplit: 0.2,
    earlyStopping: { patience: 2 },
    onEpochEnd: async (m) => {
      await new Promise((r) => setTimeout(r, 1)); // an async callback is awaited
      seen.push(m.epoch);
      if (m.validationLoss! < bestLoss) bestLoss = m.validationLoss!, best = net.params.slice();
    },
  });
  equal(history.stopped, true, "stopped early");
  ok(history.epochs.length < 30);
  deepEqual(seen, history.epochs.map((m) => m.epoch), "every onEpochEnd ran, in order");
  ok(history.bestEpoch! <= history.epochs.length - 2);
  deepEqual(net.params, best, "the best epoch's weights are back");
  await rejects(
    fit(net, data, { epochs: 1, earlyStopping: { patience: 2 } }),
    /need validation data/,
  );
  await rejects(fit(net, data, { epochs: 1, validationSplit: 1 }), /validationSplit must leave/);
  await rejects(
    fit(net, data, { epochs: 1, validationSplit: 0.1, earlyStopping: { patience: 0 } }),
    /patience must be an integer >= 1/,
  );
});

for (const { name, ignore } of backends) {
  Deno.test({
    name:
      `${name}: --checkpoint after 1 epoch, then --resume to 3, writes the model of a plain 3-epoch run`,
    ignore: ignore || skipRealMnist,
    async fn(): Promise<void> {
      const dir = await Deno.makeTempDir();
      try {
        const common = [
          ...["--layers", "dense(32) relu dropout(0.2) dense(10)", "--optimizer", "adam"],
          ...["--lr", "0.003", "--limit", "1500", "--validation-split", "0.1", "--early-stop", "5"],
          ...["--seed", "3", "--augment", "elastic"],
        ];
        const run = async (...args: string[]): Promise<string> => {
          const io = capture();
          const code = await train([...args, "--backend", name], io);
          equal(code, 0, io.stderr);
          return io.stdout;
        };
        await run(...common, "--epochs", "3", "--out", `${dir}/plain.safetensors`);
        await run(
          ...common,
          ...[
            "--epochs",
            "1",
            "--checkpoint",
            `${dir}/run.ckpt`,
            "--out",
            `${dir}/one.safetensors`,
          ],
        );
        const { state, extra } = await loadCheckpoint(`${dir}/run.ckpt`, { backend: "ts" });
        equal(state.epoch, 1);
        equal(state.optimizer.type, "adam");
        equal(state.optimizer.arrays.length, 2);
        ok(state.dropoutCounters[0] > 0, "the dropout counter moved");
        equal(state.settings?.seed, 3);
        equal(state.settings?.learningRate, 0.003);
        deepEqual(state.settings?.earlyStopping, { patience: 5, monitor: "loss" });
        deepEqual(extra, { limit: "1500" });
        // A checkpoint from before the settings were stored typed: the command
        // line's flat record under "settings", no "training".
        const file = decodeSafetensors(await Deno.readFile(`${dir}/run.ckpt`), "run.ckpt");
        delete file.metadata.training;
        file.metadata.settings = JSON.stringify({
          optimizer: "adam",
          learningRate: 0.003,
          momentum: 0.9,
          schedule: "constant",
          warmupEpochs: 0,
          batchSize: 64,
          seed: 3,
          validationSplit: 0.1,
          earlyStop: 5,
          monitor: "loss",
          testEveryEpoch: false,
          augment: "elastic",
          limit: 1500,
          epochs: 1,
        });
        await Deno.writeFile(`${dir}/legacy.ckpt`, encodeSafetensors(file));
        const resumed = await run(
          ...[
            "--resume",
            `${dir}/run.ckpt`,
            "--epochs",
            "3",
            "--out",
            `${dir}/resumed.safetensors`,
          ],
        );
        match(resumed, /resuming after epoch 1 from/);
        match(resumed, /epoch {3}2\/3.*\n.*epoch {3}3\/3/);
        const plain = await Deno.readFile(`${dir}/plain.safetensors`);
        await run("--resume", `${dir}/legacy.ckpt`, "--epochs", "3", "--out", `${dir}/legacy.st`);
        for (const resumedFile of ["resumed.safetensors", "legacy.st"]) {
          const again = await Deno.readFile(`${dir}/${resumedFile}`);
          ok(
            plain.length === again.length && plain.every((b, i) => b === again[i]),
            `${resumedFile}: byte-identical`,
          );
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test("train: training flags are checked and name the flag, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--optimizer", "lion"], /--optimizer must be one of sgd, momentum, nesterov, adam, adamw/],
    [["--lr=-1"], /--lr must be a number/],
    [["--early-stop", "0", "--validation-split", "0.1"], /--early-stop must be a positive integer/],
    [["--early-stop", "3"], /--early-stop watches the validation loss; give --validation-split/],
    [["--validation-split", "1.5"], /--validation-split must be a number in/],
    [["--gamma", "0.5"], /--step-size and --gamma apply to --schedule step or exponential/],
    [["--schedule", "weekly"], /--schedule must be one of constant, linear, cosine, step/],
    [["--layers", "dense(8) dropout(1) dense(10)"], /dropout/],
    [["--resume", "x.ckpt", "--lr", "0.1"], /--lr cannot change them/],
    [["--checkpoint", "m.safetensors", "--out", "m.safetensors"], /name the same file/],
  ];
  for (const [args, pattern] of cases) {
    const io = capture();
    equal(await train([...args, "--backend", "ts"], io), 2, args.join(" "));
    match(io.stderr.split("\n")[0], pattern);
  }
});

Deno.test("an optimizer passed as an object keeps its own state across fit calls", async () => {
  const net = new Network({ sizes: [8, 4], backend: "ts" });
  const opt = createOptimizer({ type: "rmsprop", learningRate: 0.01 });
  await fit(net, toyData(20, 1), { epochs: 1, batchSize: 10, optimizer: opt });
  equal(opt.state.steps, 2);
  await fit(net, toyData(20, 1), { epochs: 1, batchSize: 10, optimizer: opt });
  equal(opt.state.steps, 4);
});
