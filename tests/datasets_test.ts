// Datasets other than MNIST: any IDX directory (other image sizes, other
// class counts, prefixed names) and Kaggle-style CSV, through the library
// and through the train and evaluate commands.

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { loadIdxDir } from "../src/data/idx_dir.ts";
import { train } from "../src/cli/train.ts";
import { evaluate } from "../src/cli/evaluate.ts";
import { capture } from "./_io.ts";
import { loadNetwork } from "../src/model/model_file.ts";

/** An unsigned-byte IDX file: magic `00 00 08 dims`, sizes, data. */
function idx(sizes: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * sizes.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 + sizes.length);
  sizes.forEach((s, i) => view.setUint32(4 + 4 * i, s));
  out.set(data, 4 + 4 * sizes.length);
  return out;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const ROWS = 6, COLS = 5, CLASSES = 13;

/** `count` images of ROWSxCOLS whose class is where their bright pixels are. */
function synthetic(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const pixels = ROWS * COLS;
  const images = new Uint8Array(count * pixels), labels = new Uint8Array(count);
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    const label = i % CLASSES;
    labels[i] = label;
    for (let p = 0; p < pixels; p++) images[i * pixels + p] = Math.floor(next() * 40);
    images[i * pixels + label] = 200 + Math.floor(next() * 55);
    images[i * pixels + label + 15] = 200 + Math.floor(next() * 55);
  }
  return { images, labels };
}

/** Writes a synthetic IDX dataset with a prefix, gzip-compressed, into `dir`. */
async function writeIdxDataset(dir: string, prefix: string): Promise<void> {
  for (const [split, count, seed] of [["train", 390, 1], ["t10k", 130, 2]] as const) {
    const { images, labels } = synthetic(count, seed);
    await Deno.writeFile(
      `${dir}/${prefix}${split}-images-idx3-ubyte.gz`,
      await gzip(idx([count, ROWS, COLS], images)),
    );
    await Deno.writeFile(`${dir}/${prefix}${split}-labels-idx1-ubyte`, idx([count], labels));
  }
}

function csv(count: number, seed: number, labelled: boolean): string {
  const { images, labels } = synthetic(count, seed);
  const pixels = ROWS * COLS;
  const header = [
    ...(labelled ? ["label"] : []),
    ...Array.from({ length: pixels }, (_, i) => `pixel${i}`),
  ];
  const lines = [header.join(",")];
  for (let i = 0; i < count; i++) {
    const row = Array.from(images.subarray(i * pixels, (i + 1) * pixels));
    lines.push((labelled ? [labels[i], ...row] : row).join(","));
  }
  return lines.join("\n") + "\n";
}

Deno.test("loadIdxDir() reads any IDX dataset: prefixed names, gzip, size and classes from the files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeIdxDataset(dir, "emnist-bytes-");
    const all = await loadIdxDir(dir);
    equal(all.train!.count, 390);
    equal(all.test!.count, 130);
    deepEqual([all.train!.rows, all.train!.cols, all.classes], [ROWS, COLS, CLASSES]);
    equal(all.files.length, 4);
    const testOnly = await loadIdxDir(dir, ["test"]);
    equal(testOnly.train, undefined);
    deepEqual(testOnly.test, all.test);

    // A second dataset in the same directory is ambiguous: say so, name both.
    await Deno.copyFile(
      `${dir}/emnist-bytes-t10k-labels-idx1-ubyte`,
      `${dir}/kmnist-t10k-labels-idx1-ubyte`,
    );
    await rejects(
      loadIdxDir(dir, ["test"]),
      /several t10k-labels-idx1-ubyte files \(emnist-bytes-t10k-labels-idx1-ubyte, kmnist-t10k-labels-idx1-ubyte\); put one dataset per directory/,
    );
    await Deno.remove(`${dir}/kmnist-t10k-labels-idx1-ubyte`);

    // Train and test images of different sizes cannot be one dataset.
    const { images } = synthetic(130, 3);
    await Deno.writeFile(
      `${dir}/emnist-bytes-t10k-images-idx3-ubyte.gz`,
      await gzip(idx([130, COLS, ROWS], images)),
    );
    await rejects(loadIdxDir(dir), /train images are 6x5 but the test images are 5x6/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --data takes any IDX dataset (6x5 pixels, 13 classes); evaluate reads only its test files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeIdxDataset(dir, "");
    const out = `${dir}/model.safetensors`;
    let io = capture();
    const args = ["--data", dir, "--epochs", "8", "--lr", "0.3", "--backend", "ts"];
    equal(await train([...args, "--out", out], io), 0, io.stderr);
    match(io.stdout, /data: directory ".*" \(390 train, 130 test; 6x5 pixels, 13 classes\)/);
    match(io.stdout, /model: 30-128-64-13 relu/);
    const accuracy = Number(io.stdout.match(/test accuracy (\d+\.\d\d)%/)![1]);
    ok(accuracy > 90, `the synthetic classes are learnable: ${accuracy}%`);
    const network = await loadNetwork(out, { backend: "ts" });
    deepEqual([network.inputSize, network.outputSize], [30, 13]);

    // The CNN preset is resized to the data too.
    io = capture();
    const cnn = [
      "--preset",
      "cnn",
      "--epochs",
      "1",
      "--limit",
      "26",
      "--out",
      `${dir}/cnn.safetensors`,
    ];
    equal(await train(["--data", dir, "--backend", "ts", ...cnn], io), 0, io.stderr);
    match(io.stdout, /dropout\(0\.5\) dense\(13\)/);

    // An explicit architecture must have room for every class.
    io = capture();
    equal(await train([...args, "--sizes", "30,8,10", "--out", out], io), 2);
    match(
      io.stderr,
      /^error: --sizes: the network has 10 outputs, but the labels go up to 12; end with 13/,
    );
    io = capture();
    equal(await train([...args, "--sizes", "784,8,13", "--out", out], io), 2);
    match(io.stderr, /^error: --sizes starts with 784, but the images have 30 pixels \(6x5\)/);

    // evaluate needs only the two test files.
    for (const name of ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte"]) {
      await Deno.remove(`${dir}/${name}`);
    }
    io = capture();
    equal(await evaluate(["--model", out, "--data", dir, "--backend", "ts"], io), 0, io.stderr);
    match(io.stdout, /data: test set of directory ".*" \(130 samples\)/);
    match(io.stdout, new RegExp(`test accuracy ${accuracy.toFixed(2).replace(".", "\\.")}%`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --train-csv/--test-csv trains on Kaggle-style CSV; --out may not replace an input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trainCsv = `${dir}/train.csv`, testCsv = `${dir}/test.csv`;
    await Deno.writeTextFile(trainCsv, csv(260, 4, true));
    await Deno.writeTextFile(testCsv, csv(52, 5, true));
    const out = `${dir}/csv.safetensors`;
    const args = ["--train-csv", trainCsv, "--epochs", "6", "--lr", "0.3", "--backend", "ts"];
    let io = capture();
    equal(await train([...args, "--test-csv", testCsv, "--out", out], io), 0, io.stderr);
    match(
      io.stdout,
      /data: ".*train\.csv" and ".*test\.csv" \(260 train, 52 test; 1x30 pixels, 13 classes\)/,
    );
    match(io.stdout, /test accuracy \d+\.\d\d% after 6 epochs/);

    // Kaggle's test.csv has no labels: train, but do not pretend to score it.
    await Deno.writeTextFile(testCsv, csv(52, 5, false));
    io = capture();
    equal(await train([...args, "--test-csv", testCsv, "--out", out], io), 0, io.stderr);
    match(io.stdout, /260 train, no labelled test set/);
    match(io.stdout, /no labelled test set; after 6 epochs/);

    const refused: [string[], RegExp][] = [
      [[...args, "--out", trainCsv], /--out ".*train\.csv" would replace --train-csv/],
      [[...args, "--data", dir, "--out", out], /--data and --train-csv both name training data/],
      [["--test-csv", testCsv, "--out", out], /--test-csv needs --train-csv/],
      [
        ["--train-csv", testCsv, "--out", out],
        /--train-csv ".*test\.csv": the header has no "label" column/,
      ],
    ];
    for (const [argv, pattern] of refused) {
      io = capture();
      equal(await train(argv, io), 2, argv.join(" "));
      match(io.stderr, pattern);
    }
    equal(await Deno.readTextFile(trainCsv), csv(260, 4, true), "the data file is untouched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
