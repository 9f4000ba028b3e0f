// Child of the kill-during-save test: saves two different models to one
// path, alternately, until it is killed.

import { Network } from "../src/model/network.ts";
import { saveNetwork } from "../src/model/model_file.ts";

const path = Deno.args[0];
const models = [1, 2].map((seed) => new Network({ sizes: [784, 512, 10], seed, backend: "ts" }));
await saveNetwork(models[0], path);
console.log("ready");
for (let i = 1;; i++) await saveNetwork(models[i % 2], path);
