// The native library loader: a file that is present but broken must throw,
// naming the paths tried and the fix, never fall back silently.

import { equal, match } from "node:assert/strict";
import { nativeKernels } from "./_backends.ts";

Deno.test("a broken library at MNIST_DNN_LIB throws with the paths tried and the cause", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fake = `${dir}/libmnist_dnn.so`;
    await Deno.writeTextFile(fake, "not a shared library");
    const script = `import { selectKernels } from "${
      new URL("../src/kernels/select.ts", import.meta.url).href
    }";
      selectKernels("auto");`;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env: { MNIST_DNN_LIB: fake },
      stdout: "null",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stderr);
    equal(code, 1);
    match(text, new RegExp(`Cannot open the native library "${fake}" \\(tried ${fake}`));
    match(text, /rebuild it with `deno task build`/);
    match(text, /Caused by/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an MNIST_DNN_LIB naming no file is an error, not a quiet fallback", async () => {
  const missing = `${await Deno.makeTempDir()}/nothing/libmnist_dnn.so`;
  const script = `import { selectKernels } from "${
    new URL("../src/kernels/select.ts", import.meta.url).href
  }";
    selectKernels("auto");`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { MNIST_DNN_LIB: missing },
    stdout: "null",
    stderr: "piped",
  }).output();
  equal(code, 1);
  match(
    new TextDecoder().decode(stderr),
    new RegExp(`MNIST_DNN_LIB is "${missing}", which does not exist`),
  );
});

Deno.test({
  name: "a truncated library is refused with an error before dlopen, not a SIGBUS",
  ignore: Deno.build.os !== "linux" || !nativeKernels,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const built = new URL("../zig-out/lib/libmnist_dnn.so", import.meta.url).pathname;
      const bytes = await Deno.readFile(built);
      const cut = `${dir}/libmnist_dnn.so`;
      await Deno.writeFile(cut, bytes.subarray(0, bytes.length >> 1));
      const script = `import { selectKernels } from "${
        new URL("../src/kernels/select.ts", import.meta.url).href
      }";
        selectKernels("auto").kernels.gemm(false, false, 1, 1, 1, 1,
          new Float32Array(1), new Float32Array(1), 0, new Float32Array(1));`;
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["eval", script],
        env: { MNIST_DNN_LIB: cut },
        stdout: "null",
        stderr: "piped",
      }).output();
      equal(code, 1, "an error exit, not a signal");
      match(new TextDecoder().decode(stderr), /is truncated or corrupt: .*past/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
