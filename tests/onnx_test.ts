// ONNX export checked by a real runtime: tests/onnx/check.py runs the
// exported model with onnxruntime (and onnx.checker when installed) on the
// same images and compares logits and predictions with ours. Skipped, with
// a message, where Python lacks onnxruntime (CI has it: .ci/run installs it).

import { equal, ok, throws } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import { createOptimizer } from "../src/model/optimizers.ts";
import { networkToOnnx, saveOnnx } from "../src/export/onnx.ts";
import { varint } from "../src/export/_protobuf.ts";
import { loadMnistTest } from "../src/data/mnist.ts";
import { fit } from "../src/train/fit.ts";
import { subset } from "../src/data/dataset.ts";
import { skipRealMnist } from "./_mnist.ts";
import { python, pythonHas } from "./_python.ts";

import { exportModel } from "../src/cli/export.ts";
import { saveNetwork } from "../src/model/model_file.ts";
import { capture } from "./_io.ts";
import { backends } from "./_backends.ts";

const script = new URL("./onnx/check.py", import.meta.url).pathname;
const ready = await pythonHas("onnxruntime", "numpy");
if (!ready) console.log(`onnx_test: runtime checks skipped: ${python} cannot import onnxruntime`);

interface Check {
  samples: number;
  max_logit_diff: number;
  same_predictions: boolean;
  max_probability_diff: number;
  checker: boolean;
}

/** Our logits for `count` images, in chunks. */
function logitsOf(net: Network, pixels: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count * net.outputSize);
  for (let start = 0; start < count; start += 250) {
    const rows = Math.min(250, count - start);
    const chunk = pixels.subarray(start * net.inputSize, (start + rows) * net.inputSize);
    out.set(net.forward(chunk, rows), start * net.outputSize);
  }
  return out;
}

/** Exports `net`, runs onnxruntime on `pixels` and returns its comparison. */
async function runtimeCheck(net: Network, pixels: Uint8Array, count: number): Promise<Check> {
  const dir = await Deno.makeTempDir();
  try {
    await saveOnnx(net, `${dir}/model.onnx`);
    await Deno.writeFile(`${dir}/pixels.u8`, pixels.subarray(0, count * net.inputSize));
    const logits = logitsOf(net, pixels, count);
    await Deno.writeFile(`${dir}/logits.f32`, new Uint8Array(logits.buffer));
    const { code, stdout, stderr } = await new Deno.Command(python, {
      args: [script, `${dir}/model.onnx`, `${dir}/pixels.u8`, `${dir}/logits.f32`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(code, 0, new TextDecoder().decode(stderr));
    return JSON.parse(new TextDecoder().decode(stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertMatches(check: Check, what: string, count: number): void {
  equal(check.samples, count);
  ok(check.same_predictions, `${what}: onnxruntime predicts as we do`);
  ok(check.max_logit_diff <= 1e-4, `${what}: logits differ by ${check.max_logit_diff}`);
  ok(check.max_probability_diff <= 1e-5, `${what}: probabilities differ`);
  console.log(
    `  ${what}: max logit difference ${check.max_logit_diff.toExponential(2)}` +
      `, onnx.checker ${check.checker ? "passed" : "not installed"}`,
  );
}

Deno.test("the protobuf writer's varints match the wire format", () => {
  equal(Array.from(varint(1)).join(), "1");
  equal(Array.from(varint(300)).join(), "172,2");
  equal(Array.from(varint(-1)).join(), "255,255,255,255,255,255,255,255,255,1");
  throws(() => varint(2 ** 53), /not a safe integer/);
});

Deno.test("networkToOnnx() names the opset, the producer and both outputs", () => {
  const net = new Network({ sizes: [784, 8, 10], seed: 1, backend: "ts" });
  const text = new TextDecoder("latin1").decode(networkToOnnx(net));
  for (const s of ["mnist-dnn", "pixels", "logits", "probabilities", "Gemm", "Softmax"]) {
    ok(text.includes(s), s);
  }
});

const onlyNative = backends.find((b) => b.name === "native" && !b.ignore) ?? backends[0];

Deno.test({
  name: "onnxruntime runs the exported MLP and CNN on 1,000 MNIST test images as we do",
  ignore: !ready || skipRealMnist,
  async fn(): Promise<void> {
    const { test } = await loadMnistTest({ download: false });
    const train = subset(test, Array.from({ length: 2000 }, (_, i) => 8000 - i));
    const backend = onlyNative.kernels;
    const mlp = new Network({ sizes: [784, 128, 64, 10], seed: 1, backend });
    await fit(mlp, train, { epochs: 2, batchSize: 64, learningRate: 0.1 });
    assertMatches(await runtimeCheck(mlp, test.images, 1000), "MLP", 1000);
    const cnn = Network.fromSpec(
      "conv(8,5,pad=2) relu maxpool(2) conv(16,5,pad=2) relu maxpool(2) flatten " +
        "dense(32) relu dropout(0.5) dense(10)",
      { seed: 1, backend, preprocessing: { mean: 0.1307, std: 0.3081 } },
    );
    await fit(cnn, train, { epochs: 1, batchSize: 32, optimizer: "adam", learningRate: 1e-3 });
    assertMatches(await runtimeCheck(cnn, test.images, 1000), "CNN", 1000);
  },
});

Deno.test({
  name: "onnxruntime runs every layer type and activation as we do (strides, padding, batch norm)",
  ignore: !ready,
  async fn(): Promise<void> {
    const pixels = new Uint8Array(64 * 12 * 10 * 2);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
    const specs = [
      "conv(4,3,stride=2,pad=1) leaky-relu batchnorm conv(5,3) tanh maxpool(2,stride=1) " +
      "dense(7) sigmoid batchnorm dense(3)",
      "batchnorm maxpool(3,stride=2) flatten relu dense(6) tanh dropout(0.2) dense(4)",
    ];
    for (const spec of specs) {
      const net = Network.fromSpec(spec, { inputShape: [12, 10, 2], seed: 5, backend: "ts" });
      // A few training steps move the batch-norm statistics off their defaults.
      const labels = new Uint8Array(64).map((_, i) => i % 3);
      const sgd = createOptimizer({ type: "sgd", learningRate: 0.05 });
      for (let step = 0; step < 3; step++) net.trainBatch(pixels, labels, 64, sgd);
      assertMatches(await runtimeCheck(net, pixels, 64), spec, 64);
    }
  },
});

Deno.test({
  name: "deno task export writes the ONNX file; the README's onnxruntime snippet runs it",
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const model = `${dir}/mnist.safetensors`, onnx = `${dir}/mnist.onnx`;
      const net = new Network({ sizes: [784, 16, 10], seed: 2, backend: "ts" });
      await saveNetwork(net, model);
      let io = capture();
      equal(await exportModel(["--model", model, "--onnx", onnx], io), 0, io.stderr);
      ok(io.stdout.startsWith(`wrote ${onnx} (`), io.stdout);
      ok(io.stdout.includes('input "pixels" float32 [N, 784] (0..255)'));
      for (
        const [args, message] of [
          [["--model", model], /--onnx OUT is required/],
          [["--model", model, "--onnx", model], /would replace --model .* which is read/],
          [["--model", model, "--onnx", `${dir}/no/x.onnx`], /does not exist/],
        ] as const
      ) {
        io = capture();
        equal(await exportModel([...args], io), 2);
        ok(message.test(io.stderr), io.stderr);
      }
      if (!ready) return;
      const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
      const snippet = [...readme.matchAll(/```python\n([\s\S]*?)```/g)]
        .map((b) => b[1]).find((b) => b.includes("onnxruntime"));
      ok(snippet, "the README has an onnxruntime snippet");
      await Deno.writeTextFile(`${dir}/snippet.py`, snippet);
      const { code, stdout, stderr } = await new Deno.Command(python, {
        args: ["snippet.py"],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(code, 0, new TextDecoder().decode(stderr));
      const predicted = Number(new TextDecoder().decode(stdout).match(/\d+/)![0]);
      equal(predicted, net.predict(new Uint8Array(784))[0]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
