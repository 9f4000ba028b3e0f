// The native library loader: a file that is present but broken must throw,
// naming the paths tried and the fix, never fall back silently.

import { openNativeLibrary } from "../src/ffi/load.ts";
import { equal, match } from "node:assert/strict";
import { nativeKernels } from "./_backends.ts";

/** Selects kernels (and runs one GEMM) in a subprocess with MNIST_DNN_LIB set. */
async function loadWithLibrary(library: string): Promise<{ code: number; stderr: string }> {
  const script = `import { selectKernels } from "${
    new URL("../src/kernels/select.ts", import.meta.url).href
  }";
    selectKernels("auto").kernels.gemm(false, false, 1, 1, 1, 1,
      new Float32Array(1), new Float32Array(1), 0, new Float32Array(1));`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { MNIST_DNN_LIB: library },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("a broken library at MNIST_DNN_LIB throws with the paths tried and the cause", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fake = `${dir}/libmnist_dnn.so`;
    await Deno.writeTextFile(fake, "not a shared library");
    const { code, stderr } = await loadWithLibrary(fake);
    equal(code, 1);
    match(stderr, new RegExp(`Cannot open the native library "${fake}" \\(tried ${fake}`));
    match(stderr, /rebuild it with `deno task build`/);
    match(stderr, /Caused by/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an MNIST_DNN_LIB naming no file is an error, not a quiet fallback", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = `${dir}/nothing/libmnist_dnn.so`;
    const { code, stderr } = await loadWithLibrary(missing);
    equal(code, 1);
    match(stderr, new RegExp(`MNIST_DNN_LIB is "${missing}", which does not exist`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a truncated library is refused with an error before dlopen, not a SIGBUS",
  ignore: Deno.build.os !== "linux" || !nativeKernels,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      // The library this process loaded: a local build or the prebuilt one.
      const loaded = openNativeLibrary();
      const bytes = await Deno.readFile(loaded.ok ? loaded.path : "");
      const cut = `${dir}/libmnist_dnn.so`;
      await Deno.writeFile(cut, bytes.subarray(0, bytes.length >> 1));
      const { code, stderr } = await loadWithLibrary(cut);
      equal(code, 1, "an error exit, not a signal");
      match(stderr, /is truncated or corrupt: .*past/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
