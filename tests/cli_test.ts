// The train and evaluate commands: exit codes, messages and output.

import { equal, match, ok } from "node:assert/strict";
import { train } from "../src/cli/train.ts";
import { evaluate } from "../src/cli/evaluate.ts";
import { capture } from "./_io.ts";
import { Network } from "../src/model/network.ts";
import { saveNetwork } from "../src/model/model_file.ts";
import { ProgressBar } from "../src/cli/progress.ts";
import { skipRealMnist } from "./_mnist.ts";
import { backends, wasmKernels } from "./_backends.ts";

Deno.test("train: an unknown flag or a bad value prints one error line and usage, exit 2", async () => {
  for (
    const args of [["--bogus"], ["--epochs", "0"], ["--lr", "fast"], ["--sizes", "784"], [
      "--activation",
      "gelu",
    ], ["--backend", "gpu"]]
  ) {
    const io = capture();
    equal(await train(args, io), 2, args.join(" "));
    match(io.stderr, /^error: .+\n\nUsage: deno task train/);
    ok(!io.stderr.includes("    at "), "no stack trace");
    equal(io.stdout, "");
  }
});

Deno.test("train: a bad --layers spec or --preset is one error line naming the token, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--layers", "conv(32) relu dense(10)"],
      /^error: --layers: Layer spec token 1 "conv\(32\)": expected 2 to 4/,
    ],
    [
      ["--layers", "dense(64) gelu dense(10)"],
      /^error: --layers: Layer spec token 2 "gelu": unknown layer/,
    ],
    [["--layers", "dense(10)", "--sizes", "784,10"], /^error: --layers replaces --sizes/],
    [["--preset", "resnet"], /^error: .*preset.*resnet/],
  ];
  for (const [args, pattern] of cases) {
    const io = capture();
    equal(await train(args, io), 2, args.join(" "));
    match(io.stderr, pattern);
    equal(io.stderr.split("\n")[1], "", "one error line, then the usage");
  }
});

for (const { name, ignore } of backends) {
  Deno.test({
    name: `${name}: train --layers trains a CNN that evaluate reloads with the same accuracy`,
    ignore: ignore || skipRealMnist,
    async fn(): Promise<void> {
      const dir = await Deno.makeTempDir();
      try {
        const out = `${dir}/cnn.safetensors`;
        const spec = "conv(4,3,pad=1) relu maxpool(2) batchnorm flatten dropout(0.2) dense(10)";
        const io = capture();
        const args = ["--layers", spec, "--optimizer", "adam", "--lr", "0.003", "--epochs", "1"];
        equal(await train([...args, "--limit", "1000", "--out", out, "--backend", name], io), 0);
        const escaped = spec.replace(/[()]/g, "\\$&");
        match(io.stdout, new RegExp(`model: ${escaped}, 7898 parameters`));
        const accuracy = io.stdout.match(/test accuracy (\d+\.\d\d)%/)![1];
        ok(Number(accuracy) > 60, `accuracy ${accuracy}% after 1000 samples`);
        const io2 = capture();
        equal(await evaluate(["--model", out, "--backend", name], io2), 0);
        match(io2.stdout, new RegExp(`test accuracy ${accuracy.replace(".", "\\.")}%`));
        match(io2.stdout, new RegExp(`model: .*\\(${escaped}\\)`));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test("train: out-of-range numbers name the flag and its range, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--seed", "4294967297"], /--seed must be an integer from 0 to 4294967295, got "4294967297"/],
    [["--threads", "4294967297"], /--threads must be an integer from 1 to 256/],
    [["--batch-size", "100000000"], /--batch-size must be an integer from 1 to 65536/],
  ];
  for (const [args, pattern] of cases) {
    const io = capture();
    equal(await train(args, io), 2, args.join(" "));
    match(io.stderr, pattern);
  }
});

Deno.test({
  name: "train: --sizes too big names the flag; a diverging run exits 1 and writes no model",
  ignore: skipRealMnist,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      let io = capture();
      equal(await train(["--sizes", "784,60000,60000,10", "--backend", "ts"], io), 2);
      match(
        io.stderr,
        /^error: --sizes: The network .* has \d+ parameters, more than the 268435456/,
      );
      io = capture();
      const out = `${dir}/m.safetensors`;
      const args = ["--lr", "1e30", "--epochs", "2", "--limit", "640", "--sizes", "784,16,10"];
      equal(await train([...args, "--backend", "ts", "--out", out], io), 1);
      match(
        io.stderr,
        /^error: Training diverged at epoch 1, batch \d+: .*lower the learning rate/,
      );
      equal(await Deno.stat(out).then(() => true, () => false), false, "no model written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("train: --out is checked before any training and never replaces what was not named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = `${dir}/train-labels-idx1-ubyte`;
    await Deno.writeTextFile(data, "labels");
    const cases: [string, RegExp][] = [
      ["", /--out "": name the file to write/],
      [`${dir}/missing/m.safetensors`, /directory ".*missing" does not exist/],
      [dir, /exists and is not a regular file/],
      ["/dev/null", /is a device or system file, not a file to save into/],
      [data, /that is the name of a dataset file/],
      [`${dir}/t10k-images-idx3-ubyte.gz`, /that is the name of a dataset file/],
    ];
    for (const [out, pattern] of cases) {
      const io = capture();
      equal(await train(["--out", out, "--backend", "ts"], io), 2, out);
      match(io.stderr, pattern);
    }
    equal(await Deno.readTextFile(data), "labels", "the data file is untouched");
    equal([...Deno.readDirSync(dir)].length, 1, "no probe file left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train and evaluate --help print usage and exit 0", async () => {
  for (const [command, name] of [[train, "train"], [evaluate, "evaluate"]] as const) {
    const io = capture();
    equal(await command(["--help"], io), 0);
    match(io.stdout, new RegExp(`Usage: deno task ${name}`));
  }
});

Deno.test("evaluate: a missing --model is a usage error; a missing file is exit 1", async () => {
  let io = capture();
  equal(await evaluate([], io), 2);
  match(io.stderr, /--model FILE is required/);
  io = capture();
  equal(await evaluate(["--model", "/nonexistent/model.safetensors", "--backend", "ts"], io), 1);
  match(io.stderr, /^error: .*nonexistent\/model\.safetensors/);
});

Deno.test("evaluate --csv prints ImageId,Label predictions for an unlabelled file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveNetwork(new Network({ sizes: [4, 3, 10], backend: "ts" }), `${dir}/m.safetensors`);
    const io = capture();
    const csv = new URL("./testdata/digits-unlabelled.csv", import.meta.url).pathname;
    equal(
      await evaluate(["--model", `${dir}/m.safetensors`, "--csv", csv, "--backend", "ts"], io),
      0,
    );
    match(io.stdout, /^ImageId,Label\n1,\d\n2,\d\n$/);
    const labelled = new URL("./testdata/digits.csv", import.meta.url).pathname;
    const io2 = capture();
    equal(
      await evaluate(
        ["--model", `${dir}/m.safetensors`, "--csv", labelled, "--backend", "ts"],
        io2,
      ),
      0,
    );
    match(io2.stdout, /test accuracy \d+\.\d\d%/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "train saves a model that evaluate reloads with the same accuracy (subprocess, piped)",
  ignore: skipRealMnist,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const out = `${dir}/small.safetensors`;
      const run = async (
        script: string,
        args: string[],
      ): Promise<{ code: number; stdout: string }> => {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", new URL(`../src/cli/${script}`, import.meta.url).pathname, ...args],
          stdout: "piped",
          stderr: "piped",
        });
        const { code, stdout } = await child.output();
        return { code, stdout: new TextDecoder().decode(stdout) };
      };
      const trained = await run("train.ts", [
        "--epochs",
        "2",
        "--limit",
        "2000",
        "--sizes",
        "784,32,10",
        "--out",
        out,
        "--backend",
        "ts",
        "--test-every-epoch",
      ]);
      equal(trained.code, 0);
      ok(!trained.stdout.includes("\r"), "no progress bar when piped");
      match(
        trained.stdout,
        /epoch {3}1\/2 +\d+\.\d\ds {2}lr 0\.100 {2}loss \d\.\d{4} {2}train \d+\.\d\d% {2}test \d+\.\d\d%\n/,
      );
      match(trained.stdout, /epoch {3}2\/2/);
      const accuracy = trained.stdout.match(/test accuracy (\d+\.\d\d)%/)![1];
      match(trained.stdout, new RegExp(`saved ${out}`));
      const evaluated = await run("evaluate.ts", ["--model", out, "--backend", "ts"]);
      equal(evaluated.code, 0);
      match(evaluated.stdout, new RegExp(`test accuracy ${accuracy.replace(".", "\\.")}%`));
      match(evaluated.stdout, /true\\pred/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "without --allow-ffi, auto falls back to wasm or TS with one notice; native is a clear error",
  ignore: skipRealMnist,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const script = new URL("../src/cli/train.ts", import.meta.url).pathname;
      const run = async (
        backend: string,
      ): Promise<{ code: number; stdout: string; stderr: string }> => {
        const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--allow-read",
            "--allow-write",
            "--allow-env",
            script,
            "--backend",
            backend,
            "--epochs",
            "1",
            "--limit",
            "200",
            "--sizes",
            "784,8,10",
            "--out",
            `${dir}/m.safetensors`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder();
        return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
      };
      const auto = await run("auto");
      equal(auto.code, 0);
      // Without FFI, the WebAssembly build of the kernels when it is built (CI), else TS.
      const fallback = wasmKernels ? "WebAssembly" : "TS";
      match(auto.stdout, wasmKernels ? /backend: wasm/ : /backend: ts/);
      const notes =
        auto.stderr.match(new RegExp(`note: using the ${fallback} backend; [^\\n]+`, "g")) ?? [];
      equal(notes.length, 1, auto.stderr);
      match(notes[0], /--allow-ffi|deno task build/);
      const native = await run("native");
      equal(native.code, 1);
      match(
        native.stderr,
        /^error: The native backend is unavailable: .*(--allow-ffi|deno task build)/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("build: a $ZIG that does not run is an error, not ignored", async () => {
  const script = new URL("../src/cli/build.ts", import.meta.url).pathname;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-run", script],
    env: { ZIG: "/nonexistent/zig" },
    stdout: "null",
    stderr: "piped",
  }).output();
  equal(code, 1);
  match(
    new TextDecoder().decode(stderr),
    /^error: ZIG is "\/nonexistent\/zig", but .* does not run/,
  );
});

Deno.test("the progress bar fits the terminal's width, narrow or wide", () => {
  for (const columns of [30, 50, 80, 200]) {
    let drawn = "";
    const bar = new ProgressBar((t) => void (drawn = t), () => columns);
    bar.update({
      epoch: 3,
      batch: 469,
      batches: 938,
      samples: 30016,
      loss: 0.1,
      runningLoss: 0.12345,
      runningAccuracy: 0.9,
      seconds: 1.5,
    });
    const line = drawn.replace("\r\x1b[2K", "");
    ok(line.length < columns, `${line.length} >= ${columns}: ${line}`);
    match(line, /^epoch 3/);
    if (columns >= 80) match(line, /\[#+-+\] 469\/938 loss 0\.1235 /);
  }
});
