// The draw-a-digit page in real headless Chromium (playwright-core): the
// strokes of a real MNIST test digit are drawn on the canvas with the mouse,
// and the label the page shows must be the digit's, predicted in the page by
// the WebAssembly kernels (no request to the API) and, with ?server, by the
// server. A screenshot is saved
// to $MNIST_DNN_ARTIFACTS when set. Skipped, with a message, where Chromium
// is absent; CI installs it (.ci/run).

import { deepEqual, equal, ok } from "node:assert/strict";
import type { Page } from "npm:playwright-core@1.49.1";
import { serve } from "../src/cli/serve.ts";
import { Network } from "../src/model/network.ts";
import { saveNetwork } from "../src/model/model_file.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { fit } from "../src/train/fit.ts";
import { capture } from "./_io.ts";
import { skipRealMnist } from "./_mnist.ts";

function exists(path: string | undefined): path is string {
  try {
    return !!path && Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** `name` in a directory of the PATH (so that a bare PATH hides Chromium). */
const onPath = (name: string): string[] =>
  (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((dir) => `${dir}/${name}`);
const executable = [
  Deno.env.get("CHROMIUM_PATH"),
  ...onPath("chromium"),
  ...onPath("chromium-browser"),
].find(exists);
if (!executable) {
  console.log("browser_test: skipped: no Chromium (set CHROMIUM_PATH or install chromium)");
}

/** Test digits drawn on the page: the first of each of these classes. */
const DIGITS = [0, 3, 7];

Deno.test({
  name: "the page, driven in headless Chromium, shows the right label for drawn MNIST digits",
  ignore: !executable || skipRealMnist,
  async fn(): Promise<void> {
    const { chromium } = await import("npm:playwright-core@1.49.1");
    const { train, test } = await loadMnist({ download: false });
    const net = new Network({ sizes: [784, 128, 64, 10], seed: 1 });
    await fit(net, train, { epochs: 3, batchSize: 64, learningRate: 0.1 });
    const dir = await Deno.makeTempDir();
    await saveNetwork(net, `${dir}/m.safetensors`);
    const io = capture(), abort = new AbortController();
    const done = serve(["--model", `${dir}/m.safetensors`, "--port", "0"], io, abort.signal);
    const browser = await chromium.launch({ executablePath: executable, args: ["--no-sandbox"] });
    try {
      for (let i = 0; i < 200 && !io.stdout.includes("http://"); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const base = io.stdout.match(/http:\/\/[^/]+\//)![0];
      const page = await browser.newPage({ viewport: { width: 900, height: 520 } });
      const posts: string[] = [], errors: string[] = [];
      page.on("request", (r) => r.method() === "POST" && posts.push(r.url()));
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(base);
      await page.waitForSelector("#where[data-where=browser]", { timeout: 20_000 });
      ok((await page.textContent("#where"))!.includes("wasm"), "the page names its backend");
      const seen: string[] = [];
      for (const digit of DIGITS) {
        const index = Array.from(test.labels!).indexOf(digit);
        const label = await drawAndRead(page, test.images.subarray(index * 784, (index + 1) * 784));
        equal(label, String(digit), `the page labels the drawn ${digit}`);
        equal(await page.locator(".bar").count(), 10, "ten probabilities are shown");
        seen.push(await page.innerText("#bars"));
      }
      deepEqual(posts, [], "the browser predicted without asking the server");
      deepEqual(errors, []);

      // The same drawing, predicted by the server: the same label and percentages.
      const onServer = await browser.newPage({ viewport: { width: 900, height: 520 } });
      await onServer.goto(`${base}?server`);
      await onServer.waitForSelector("#where[data-where=server]");
      const index = Array.from(test.labels!).indexOf(DIGITS.at(-1)!);
      const label = await drawAndRead(
        onServer,
        test.images.subarray(index * 784, (index + 1) * 784),
      );
      equal(label, String(DIGITS.at(-1)));
      equal(await onServer.innerText("#bars"), seen.at(-1), "server and browser agree");
      const artifacts = Deno.env.get("MNIST_DNN_ARTIFACTS");
      const shot = `${artifacts ?? dir}/page.png`;
      if (artifacts) await Deno.mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: shot });
      ok((await Deno.stat(shot)).size > 1000);
      console.log(`  screenshot: ${shot}`);
    } finally {
      await browser.close();
      abort.abort();
      await done;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Draws an MNIST digit with the mouse and returns the label the page settles on. */
async function drawAndRead(page: Page, pixels: Uint8Array): Promise<string> {
  const box = (await page.locator("#pad").boundingBox())!;
  await page.click("#clear");
  // Each row's runs of ink become one mouse stroke, 10 canvas pixels per MNIST pixel.
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (pixels[y * 28 + x] < 128 || (x > 0 && pixels[y * 28 + x - 1] >= 128)) continue;
      let end = x;
      while (end + 1 < 28 && pixels[y * 28 + end + 1] >= 128) end++;
      await page.mouse.move(box.x + x * 10 + 5, box.y + y * 10 + 5);
      await page.mouse.down();
      await page.mouse.move(box.x + end * 10 + 5, box.y + y * 10 + 5, { steps: 2 });
      await page.mouse.up();
    }
  }
  // The page predicts after every stroke; wait until the answer settles.
  let shown = "", stable = 0;
  for (let k = 0; k < 100 && stable < 5; k++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await page.getAttribute("#label", "data-label") ?? "";
    stable = now !== "" && now === shown ? stable + 1 : 0;
    shown = now;
  }
  return shown;
}
