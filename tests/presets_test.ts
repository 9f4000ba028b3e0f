// Every preset runs from `deno task train --preset NAME` (here for one short
// epoch on 64 samples) with its recipe's settings, and resizes to other data.

import { equal, match, ok } from "node:assert/strict";
import { train } from "../src/cli/train.ts";
import { PRESET_NAMES, presetArchitecture, PRESETS } from "../src/train/presets.ts";
import { parseSpec } from "../src/model/layers/spec.ts";
import { capture } from "./_io.ts";
import { skipRealMnist } from "./_mnist.ts";

Deno.test({
  name: "every preset trains from the command line with its own settings",
  ignore: skipRealMnist,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      for (const name of PRESET_NAMES) {
        const preset = PRESETS[name];
        const io = capture();
        // Native where built: scoring 10,000 test images through a CNN takes a minute on TS.
        const args = ["--preset", name, "--epochs", "1", "--limit", "64", "--backend", "auto"];
        equal(await train([...args, "--out", `${dir}/${name}.safetensors`], io), 0, io.stderr);
        match(io.stdout, new RegExp(`training: ${preset.optimizer} lr ${preset.learningRate}`));
        match(io.stdout, new RegExp(`batch ${preset.batchSize}, 1 epochs`));
        if (preset.validationSplit) match(io.stdout, /held out for validation/);
        if (preset.augment) match(io.stdout, new RegExp(`${preset.augment} augmentation`));
        match(io.stdout, /test accuracy \d+\.\d\d% after 1 epochs/);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("every preset's architecture parses and resizes to 47 classes", () => {
  for (const name of PRESET_NAMES) {
    const { sizes, layers } = presetArchitecture(PRESETS[name], 784, 47);
    if (sizes) equal(sizes.at(-1), 47, name);
    else {
      const last = parseSpec(layers!).at(-1)!;
      ok(last.type === "dense" && last.units === 47, name);
    }
  }
});
