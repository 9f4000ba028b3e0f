// No output ever replaces an input: every command checks each file it
// writes against every file it reads, and against each other, by real
// path, before any work; a clash is a usage error (exit 2) naming both
// flags, and the file named twice is left as it was.

import { deepEqual, equal, match } from "node:assert/strict";
import { train } from "../src/cli/train.ts";
import { evaluate } from "../src/cli/evaluate.ts";
import { predict } from "../src/cli/predict.ts";
import { exportModel } from "../src/cli/export.ts";
import { Network } from "../src/model/network.ts";
import { saveNetwork } from "../src/model/model_file.ts";
import { capture } from "./_io.ts";

type Command = (args: string[], io: ReturnType<typeof capture>) => Promise<number>;

Deno.test("an output naming an input or another output is refused before any work, naming both flags", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = `${dir}/m.safetensors`, csv = `${dir}/digits.csv`, ckpt = `${dir}/c.ckpt`;
    // A 4-pixel model, and CSV data it takes (one 2x2 image per line).
    await saveNetwork(new Network({ sizes: [4, 3], backend: "ts" }), model);
    await Deno.writeTextFile(csv, "label,p0,p1,p2,p3\n1,0,255,0,255\n2,255,0,255,0\n");
    await Deno.writeTextFile(ckpt, "not really a checkpoint");
    await Deno.symlink(model, `${dir}/link.safetensors`);
    const ts = ["--backend", "ts"];
    const cases: [Command, string[], RegExp][] = [
      [evaluate, ["--model", model, "--report", model], /--report .* would replace --model/],
      [evaluate, ["--model", model, "--csv", csv, "--report", csv], /--report .* --csv/],
      [
        evaluate,
        ["--model", model, "--report", `${dir}/link.safetensors`],
        /would replace --model/,
      ],
      [predict, ["--model", model, "--grid", model], /--grid .* would replace --model/],
      [predict, ["--model", model, "--csv", csv, "--submission", model], /--submission .* --model/],
      [predict, ["--model", model, "--csv", csv, "--submission", csv], /--submission .* --csv/],
      [exportModel, ["--model", model, "--onnx", `${dir}/./m.safetensors`], /--onnx .* --model/],
      [train, ["--train-csv", csv, "--out", csv], /--out .* would replace --train-csv/],
      [train, ["--train-csv", csv, "--report", csv], /--report .* would replace --train-csv/],
      [train, ["--train-csv", csv, "--out", model, "--report", model], /--out .* and --report/],
      [
        train,
        [
          "--train-csv",
          csv,
          "--out",
          model,
          "--checkpoint",
          `${dir}/../${dir.split("/").at(-1)}/m.safetensors`,
        ],
        /--out .* and --checkpoint .* name the same file/,
      ],
      [
        train,
        ["--train-csv", csv, "--checkpoint", ckpt, "--report", ckpt],
        /--checkpoint .* --report/,
      ],
      [train, ["--resume", ckpt, "--out", ckpt], /--out .* would replace --resume/],
    ];
    const before = await Promise.all([model, csv, ckpt].map((f) => Deno.readFile(f)));
    for (const [command, args, message] of cases) {
      const io = capture();
      const flags = command === exportModel ? args : [...args, ...ts];
      equal(await command(flags, io), 2, `${args.join(" ")}: ${io.stderr}`);
      match(io.stderr, message, args.join(" "));
    }
    const after = await Promise.all([model, csv, ckpt].map((f) => Deno.readFile(f)));
    deepEqual(after, before, "every file as it was");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an output named as a dataset file in any spelling the loader accepts is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const name of [
        "t10k-images-idx3-ubyte",
        "t10k-images.idx3-ubyte",
        "train-labels-idx1-ubyte.gz",
        "emnist-digits-t10k-labels.idx1-ubyte.gz",
      ]
    ) {
      const io = capture();
      equal(await train(["--out", `${dir}/${name}`, "--backend", "ts"], io), 2, name);
      match(io.stderr, /that is the name of a dataset file/, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict --image refuses the flags of its other uses instead of ignoring them", async () => {
  for (const flag of ["--csv", "--submission", "--grid"]) {
    const io = capture();
    equal(await predict(["--model", "m", "--image", "a.png", flag, "x"], io), 2, flag);
    match(io.stderr, new RegExp(`--image classifies picture files .*${flag} belongs`));
  }
});
