// The page's in-browser predictor (src/web/browser.ts), as bundled into
// src/web/app.js: it runs the model on the WebAssembly kernels and agrees
// with the server's answer for the same drawing.

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import { networkToBytes } from "../src/model/model_file.ts";
import { digitHandler } from "../src/web/api.ts";
import { digitPredictor } from "../src/web/browser.ts";
import { encodePng } from "../src/view/png.ts";

/** A 120x90 RGBA drawing of a slanted stroke, white on black, as the page's canvas holds it. */
function drawing(): { width: number; height: number; channels: 4; data: Uint8Array } {
  const width = 120, height = 90, data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ink = Math.abs(x - 40 - y * 0.4) < 6 || (y > 60 && y < 70 && x > 30 && x < 90);
      data.set([ink ? 255 : 0, ink ? 255 : 0, ink ? 255 : 0, 255], (y * width + x) * 4);
    }
  }
  return { width, height, channels: 4, data };
}

const MODELS: [string, () => Network][] = [
  ["an MLP", () => new Network({ sizes: [784, 32, 10], seed: 5, backend: "ts" })],
  [
    "a CNN",
    () =>
      Network.fromSpec("conv(4,5,pad=2) relu maxpool(2) conv(8,3) relu flatten dense(10)", {
        inputShape: [28, 28, 1],
        seed: 5,
        backend: "ts",
      }),
  ],
];

for (const entry of ["../src/web/browser.ts", "../src/web/app.js"]) {
  for (const [what, model] of MODELS) {
    Deno.test(`web: ${entry.split("/").at(-1)} runs ${what} on wasm as the server does`, async () => {
      const { digitPredictor } = await import(entry) as typeof import("../src/web/browser.ts");
      const net = model();
      const predictor = digitPredictor(networkToBytes(net), "m");
      equal(predictor.backend.split(" ")[0], "wasm");
      equal(predictor.spec, net.spec);
      const here = predictor.predict(drawing());
      const response = await digitHandler(net)(
        new Request("http://x/api/predict", {
          method: "POST",
          body: await encodePng(drawing()) as Uint8Array<ArrayBuffer>,
        }),
      );
      const there = await response.json();
      deepEqual(here.input, there.input, "the same preprocessing");
      equal(here.label, there.label);
      here.probabilities.forEach((p, k) => ok(Math.abs(p - there.probabilities[k]) < 1e-5));
    });
  }
}

Deno.test("web: the predictor refuses a model that does not take 28x28 digits", () => {
  const bytes = networkToBytes(new Network({ sizes: [30, 10], backend: "ts" }));
  throws(() => digitPredictor(bytes, "small.safetensors"), /draws 28x28 digits.*30 values/);
  throws(() => digitPredictor(new Uint8Array(8), "junk"), /model file "junk"/);
});
