// Memory comes back: networks, optimizers, batchers and inference give
// their arrays back to the backend (the wasm heap is invisible to the
// garbage collector), so that creating, using and dropping networks in a
// loop holds memory flat on every backend.

import { equal, match, ok, throws } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import { createOptimizer } from "../src/model/optimizers.ts";
import { fit } from "../src/train/fit.ts";
import { loadWasmKernels, wasmHeapUsage } from "../src/kernels/wasm_kernels.ts";
import { backends } from "./_backends.ts";
import { runForResult } from "./_subprocess.ts";

const CNN = "conv(8,3,pad=1) relu maxpool(2) flatten dense(10)";
const MLP = "dense(64) relu dense(10)";
const ROWS = 16;
const images = new Uint8Array(ROWS * 784).map((_, i) => (i * 37) % 256);
const labels = new Uint8Array(ROWS).map((_, i) => i % 10);

/** Creates, trains one step, predicts and disposes `count` networks; returns RSS (MB) after each 100. */
function churn(backend: "ts" | "native" | "wasm", spec: string, count: number): number[] {
  const rss: number[] = [];
  for (let i = 0; i < count; i++) {
    const optimizer = createOptimizer({ type: "adam", learningRate: 1e-3 });
    using net = Network.fromSpec(spec, { backend, inputShape: [28, 28, 1], seed: i + 1 });
    net.trainBatch(images, labels, ROWS, optimizer);
    equal(net.predict(images).length, ROWS);
    optimizer.dispose();
    if (i % 100 === 99) rss.push(Deno.memoryUsage().rss / 2 ** 20);
  }
  return rss;
}

for (const { name, ignore } of backends) {
  const backend = name as "ts" | "native" | "wasm";
  Deno.test({
    name: `${name}: 1,000 CNNs and 1,000 MLPs created, used and disposed hold memory flat`,
    ignore,
    fn(): void {
      const heap = wasmHeapUsage();
      for (const spec of [CNN, MLP]) {
        const rss = churn(backend, spec, 1000);
        // The wasm heap is back where it was, to the byte.
        equal(wasmHeapUsage().bytes, heap.bytes, `${spec}: wasm heap`);
        equal(wasmHeapUsage().networks, heap.networks, `${spec}: live networks`);
        // RSS: the JS heap grows and shrinks with the collector, but one
        // leaked CNN (its work buffers, ~1 MB) per loop would add 1,000 MB.
        const growth = Math.max(...rss.slice(1)) - rss[0];
        ok(growth < 192, `${spec}: RSS grew ${growth.toFixed(1)} MB (${rss.map(Math.round)})`);
      }
    },
  });
}

Deno.test({
  name:
    "wasm: a disposed network, its optimizer, fit's batches and inference give every block back",
  ignore: !loadWasmKernels().kernels,
  async fn(): Promise<void> {
    const before = wasmHeapUsage();
    const net = Network.fromSpec(CNN, { backend: "wasm", inputShape: [28, 28, 1] });
    equal(wasmHeapUsage().networks, before.networks + 1);
    const optimizer = createOptimizer({ type: "momentum", learningRate: 0.01 });
    const data = { images, labels, count: ROWS, rows: 28, cols: 28 };
    await fit(net, data, { optimizer, epochs: 1, batchSize: 5, augment: "light" });
    net.evaluate(data);
    net.predictProba(images);
    net.trainSamples(images, labels, 2, optimizer);
    const held = wasmHeapUsage();
    ok(held.bytes > before.bytes && held.arrays > before.arrays);
    optimizer.dispose();
    net.dispose();
    net.dispose(); // again: nothing
    const after = wasmHeapUsage();
    equal(after.bytes, before.bytes, "bytes in use");
    equal(after.arrays, before.arrays, "arrays in use");
    equal(after.networks, before.networks, "live networks");
  },
});

Deno.test("using a disposed network is a clear error, on every backend", () => {
  for (const { name, ignore } of backends) {
    if (ignore) continue;
    const net = new Network({ sizes: [4, 3], backend: name as "ts" });
    net.dispose();
    equal(net.disposed, true);
    for (
      const use of [
        () => net.predict(new Float32Array(4)),
        () => net.forward(new Float32Array(4), 1),
        () =>
          net.trainBatch(
            new Float32Array(4),
            new Int32Array(1),
            1,
            createOptimizer({ type: "sgd", learningRate: 0.1 }),
          ),
        () =>
          net.evaluate({
            images: new Uint8Array(4),
            labels: new Uint8Array(1),
            count: 1,
            rows: 2,
            cols: 2,
          }),
      ]
    ) {
      throws(use, (e: Error) => e instanceof TypeError && /was disposed/.test(e.message), name);
    }
  }
});

Deno.test({
  name: "wasm: the allocator reuses freed blocks, and out of memory says what holds it",
  ignore: !loadWasmKernels().kernels,
  fn(): void {
    const kernels = loadWasmKernels().kernels!;
    const a = kernels.allocate(1 << 20);
    kernels.free(a);
    kernels.free(a); // twice: nothing
    kernels.free(new Float32Array(4)); // not from allocate: nothing
    const b = kernels.allocate(1 << 20);
    equal(b.byteOffset, a.byteOffset, "the freed block is reused");
    kernels.free(b);
    const nets = [1, 2].map(() => new Network({ sizes: [784, 512, 10], backend: "wasm" }));
    try {
      throws(
        () => kernels.allocate(2 ** 26), // 256 MiB: more than the heap holds
        (e: Error) => {
          match(e.message, /out of memory for 268435456 bytes: \d+\.\d MiB of its 256 MiB/);
          match(e.message, /in use by \d+ arrays of [2-9]\d* live network\(s\)/);
          match(e.message, /call dispose\(\) on the networks you no longer use/);
          return e instanceof RangeError;
        },
      );
    } finally {
      for (const net of nets) net.dispose();
    }
  },
});

Deno.test({
  name: "wasm: networks dropped without dispose() are freed by the finalizer",
  ignore: !loadWasmKernels().kernels,
  async fn(): Promise<void> {
    // A child process with the collector exposed, so that collection (and
    // with it the finalizers) happens when the test says, not by chance.
    const script = `
      import { Network } from "${new URL("../mod.ts", import.meta.url).href}";
      import { wasmHeapUsage } from "${new URL("../src/kernels/mod.ts", import.meta.url).href}";
      const drop = () => {
        const net = Network.fromSpec("${CNN}", { backend: "wasm", inputShape: [28, 28, 1] });
        net.predict(new Uint8Array(64 * 784));
        return net;
      };
      const settle = async () => {
        for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      };
      const base = wasmHeapUsage().bytes;
      const one = drop();
      const each = wasmHeapUsage().bytes - base;
      one.dispose();
      let peak = 0;
      for (let i = 0; i < 300; i++) {
        drop();
        peak = Math.max(peak, wasmHeapUsage().bytes);
        if (i % 10 === 9) await settle();
      }
      await settle();
      console.log("RESULT " + JSON.stringify({ base, each, peak, ...wasmHeapUsage() }));
    `;
    const result = await runForResult<Record<string, number>>(script, ["--v8-flags=--expose-gc"]);
    equal(result.bytes, result.base, "every block of 300 dropped networks came back");
    equal(result.networks, 0);
    // Ten networks at most were ever alive at once (dropped between collections).
    ok(result.peak - result.base <= 10 * result.each, `peak ${result.peak}, each ${result.each}`);
  },
});
