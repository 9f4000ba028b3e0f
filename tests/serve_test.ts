// The draw-a-digit server: the page, the prediction API with JSON and PNG
// bodies, every error status, concurrent requests, and the default address.

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { serve } from "../src/cli/serve.ts";
import { Network } from "../src/model/network.ts";
import { networkFromBytes, saveNetwork } from "../src/model/model_file.ts";
import { encodePng } from "../src/view/png.ts";
import { capture } from "./_io.ts";

/** Starts `deno task serve` on a free port; returns its base URL and a stop function. */
async function start(model: string): Promise<{ base: string; stop: () => Promise<void> }> {
  const io = capture(), abort = new AbortController();
  const done = serve(["--model", model, "--port", "0"], io, abort.signal);
  for (let i = 0; i < 200 && !io.stdout.includes("http://"); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const base = io.stdout.match(/http:\/\/[^/]+\//)![0];
  return { base, stop: async () => (abort.abort(), equal(await done, 0)) };
}

Deno.test("serve: the page, predictions from JSON and PNG, errors as JSON, the server stays up", async () => {
  const dir = await Deno.makeTempDir();
  const net = new Network({ sizes: [784, 16, 10], seed: 3, backend: "ts" });
  await saveNetwork(net, `${dir}/m.safetensors`);
  const { base, stop } = await start(`${dir}/m.safetensors`);
  try {
    match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/, "listens on 127.0.0.1 by default");
    const page = await fetch(base);
    equal(page.status, 200);
    match(await page.text(), /<canvas id="pad"/);
    // What the page needs to predict in the browser: the bundle and the model.
    const app = await fetch(`${base}app.js`);
    equal(app.headers.get("content-type"), "text/javascript; charset=utf-8");
    match(await app.text(), /digitPredictor/);
    const served = new Uint8Array(await (await fetch(`${base}model.safetensors`)).arrayBuffer());
    deepEqual(networkFromBytes(served, "served", { backend: "ts" }).params, net.params);

    const pixels = Array.from({ length: 784 }, (_, i) => (i * 7) % 256);
    const post = (body: BodyInit, type = "application/json"): Promise<Response> =>
      fetch(`${base}api/predict`, { method: "POST", headers: { "content-type": type }, body });
    let response = await post(JSON.stringify({ pixels }));
    equal(response.status, 200);
    const result = await response.json();
    equal(result.label, net.predict(Uint8Array.from(pixels))[0]);
    equal(result.probabilities.length, 10);
    ok(Math.abs(result.probabilities.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-5);

    const stroke = new Uint8Array(100 * 100).fill(255);
    for (let y = 20; y < 80; y++) for (let x = 45; x < 55; x++) stroke[y * 100 + x] = 0;
    const png = await encodePng({ width: 100, height: 100, channels: 1, data: stroke });
    response = await post(png as Uint8Array<ArrayBuffer>, "image/png");
    equal(response.status, 200);
    const fromPng = await response.json();
    equal(fromPng.input.length, 784);
    ok(
      fromPng.input[14 * 28 + 14] > 128,
      "the stroke, inverted and centred, is what the model saw",
    );

    const errors: [BodyInit, string, number, RegExp][] = [
      [JSON.stringify({ pixels: [1, 2] }), "application/json", 400, /array of 784 numbers.*got 2/],
      [
        JSON.stringify({ pixels: [...pixels.slice(1), "x"] }),
        "application/json",
        400,
        /\[783\] is "x"/,
      ],
      [
        JSON.stringify({ pixels: [...pixels.slice(1), 300] }),
        "application/json",
        400,
        /values are 0\.\.255/,
      ],
      ["not json", "text/plain", 400, /neither JSON nor a PNG/],
      [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 1, 2, 3), "image/png", 400, /Cannot read PNG/],
      [new Uint8Array(2 ** 20 + 1), "application/octet-stream", 413, /body over 1048576 bytes/],
    ];
    for (const [body, type, status, message] of errors) {
      response = await post(body, type);
      equal(response.status, status, String(message));
      match((await response.json()).error, message);
    }
    equal((await fetch(`${base}nowhere`)).status, 404);
    await (await fetch(`${base}nowhere`)).body?.cancel();
    equal((await fetch(`${base}api/predict`)).status, 405);

    // Still up, and concurrent requests each get their own answer.
    const many = await Promise.all(
      Array.from({ length: 16 }, (_, k) => {
        const p = pixels.map((v) => (v + k * 16) % 256);
        return post(JSON.stringify({ pixels: p })).then((r) => r.json()).then((r) => [r.label, k]);
      }),
    );
    deepEqual(
      many.map(([label]) => label),
      many.map(([, k]) => net.predict(Uint8Array.from(pixels.map((v) => (v + k * 16) % 256)))[0]),
    );
  } finally {
    await stop();
    await Deno.remove(dir, { recursive: true });
  }
});
