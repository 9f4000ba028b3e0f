// The README's Python snippet, run as written: numpy and `safetensors`
// read a saved model and must reproduce Network.predict exactly. Skipped,
// with a message, where Python lacks those packages (CI has them: .ci/run
// makes a venv and sets MNIST_DNN_PYTHON).

import { deepEqual, equal } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import { saveNetwork } from "../src/model/model_file.ts";
import { python, pythonHas } from "./_python.ts";

const ready = await pythonHas("numpy", "safetensors");
if (!ready) console.log(`python_test: skipped: ${python} cannot import numpy and safetensors`);

Deno.test({
  name: "the README's Python snippet reproduces our predictions from a saved model",
  ignore: !ready,
  async fn(): Promise<void> {
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const blocks = [...readme.matchAll(/```python\n([\s\S]*?)```/g)]
      .filter((b) => b[1].includes("safe_open"));
    equal(blocks.length, 1, "one safetensors snippet in the README");
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/snippet.py`, blocks[0][1]);
      const pixels = new Uint8Array(500 * 784);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
      for (const activation of ["leaky-relu", "sigmoid"] as const) {
        const net = new Network({
          sizes: [784, 32, 16, 10],
          activation,
          seed: 3,
          backend: "ts",
          preprocessing: { mean: 0.3, std: 0.4 },
        });
        const path = `${dir}/${activation}.safetensors`;
        await saveNetwork(net, path);
        const child = new Deno.Command(python, {
          args: [`${dir}/snippet.py`, path],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = child.stdin.getWriter();
        await writer.write(pixels);
        await writer.close();
        const { code, stdout, stderr } = await child.output();
        equal(code, 0, new TextDecoder().decode(stderr));
        const theirs = new TextDecoder().decode(stdout).trim().split(" ").map(Number);
        deepEqual(theirs, Array.from(net.predict(pixels)), activation);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
