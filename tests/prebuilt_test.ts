// The prebuilt native libraries: the committed files are the ones the table
// names, each has its platform's format and every symbol of the FFI table;
// the Linux ones load and compute (x86_64 in a fresh Deno process, aarch64
// under qemu-user); a package imported over HTTP fetches the library for
// its platform into the per-user cache, checked against its SHA-256.

import { equal, match } from "node:assert/strict";
import { PREBUILT, sha256Hex } from "../src/ffi/_prebuilt.ts";
import { SYMBOLS } from "../src/ffi/symbols.ts";
import { findZig } from "../src/ffi/build.ts";
import { resultOf, runDeno } from "./_subprocess.ts";

const root = new URL("../", import.meta.url).pathname;
const fileOf = (key: string): string => `${root}native/prebuilt/${PREBUILT[key].path}`;
const isLinuxX64 = Deno.build.os === "linux" && Deno.build.arch === "x86_64";
/** A copy without the libraries (CI's second bare run) skips the tests of them. */
const shipped = (() => {
  try {
    return Deno.statSync(`${root}native/prebuilt`).isDirectory;
  } catch {
    return false;
  }
})();
if (!shipped) console.log("prebuilt_test: skipped: this copy has no native/prebuilt/");

Deno.test({
  name: "the SHA-256 table names every committed prebuilt library and its hash",
  ignore: !shipped,
}, async () => {
  for (const key of Object.keys(PREBUILT)) {
    const hash = await sha256Hex(await Deno.readFile(fileOf(key)));
    equal(hash, PREBUILT[key].sha256, `${key}: rebuild with \`deno task build --prebuilt\``);
  }
  const dirs = [...Deno.readDirSync(`${root}native/prebuilt`)].map((e) => e.name).sort();
  equal(dirs.join(" "), Object.keys(PREBUILT).sort().join(" "), "no unlisted platform");
});

/** The file format and CPU a library's header says, as `<format>-<arch>`. */
function formatOf(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(0) === 0x7f454c46) {
    const machine = view.getUint16(18, true);
    const type = view.getUint16(16, true); // 3: shared object
    return `elf${type === 3 ? "-so" : ""}-${{ 0x3e: "x86_64", 0xb7: "aarch64" }[machine]}`;
  }
  if (view.getUint32(0, true) === 0xfeedfacf) {
    const cpu = view.getUint32(4, true), type = view.getUint32(12, true); // 6: MH_DYLIB
    const arch = { 0x01000007: "x86_64", 0x0100000c: "aarch64" }[cpu];
    return `macho${type === 6 ? "-dylib" : ""}-${arch}`;
  }
  if (view.getUint16(0, true) === 0x5a4d) {
    const pe = view.getUint32(0x3c, true);
    if (view.getUint32(pe) !== 0x50450000) return "mz";
    const characteristics = view.getUint16(pe + 22, true); // 0x2000: a DLL
    const arch = { 0x8664: "x86_64", 0xaa64: "aarch64" }[view.getUint16(pe + 4, true)];
    return `pe${characteristics & 0x2000 ? "-dll" : ""}-${arch}`;
  }
  return "unknown";
}

Deno.test({
  name: "each prebuilt library is its platform's shared library and exports every symbol",
  ignore: !shipped,
}, async () => {
  const want: Record<string, string> = {
    linux: "elf-so",
    darwin: "macho-dylib",
    windows: "pe-dll",
  };
  for (const key of Object.keys(PREBUILT)) {
    const [os, arch] = key.split("-");
    const bytes = await Deno.readFile(fileOf(key));
    equal(formatOf(bytes), `${want[os]}-${arch}`, key);
    // Export names are stored as plain strings (dynamic symbol table, Mach-O
    // export trie's symbol table, PE export name table).
    const text = new TextDecoder("latin1").decode(bytes);
    const missing = Object.keys(SYMBOLS).filter((name) => !text.includes(name));
    equal(missing.join(", "), "", `${key} lacks exports`);
  }
});

const denoEnv = (extra: Record<string, string>): Record<string, string> => {
  const env = Deno.env.toObject();
  delete env.MNIST_DNN_LIB;
  return { ...env, ...extra };
};

const run = (args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> =>
  runDeno(args, { env });

/** A script printing `RESULT <json>`: the backend, its reason, and one GEMM. */
const PROBE = (kernels: string): string => `
  import { selectKernels } from "${kernels}";
  const { kernels, fallbackReason } = selectKernels("auto", 1);
  const c = new Float32Array(1);
  kernels.gemm(false, false, 1, 1, 2, 1, Float32Array.of(1, 2), Float32Array.of(3, 4), 0, c);
  console.log("RESULT " + JSON.stringify({ backend: kernels.description, reason: fallbackReason ?? "", c: c[0] }));
`;

const result = (out: string): { backend: string; reason: string; c: number } => resultOf(out);

Deno.test({
  name: "the linux-x86_64 library loads in a fresh process and computes",
  ignore: !isLinuxX64 || !shipped,
  async fn(): Promise<void> {
    const script = await Deno.makeTempFile({ suffix: ".ts" });
    try {
      await Deno.writeTextFile(
        script,
        PROBE(new URL("../src/kernels/mod.ts", import.meta.url).href),
      );
      const env = denoEnv({ MNIST_DNN_LIB: fileOf("linux-x86_64") });
      const { code, out } = await run(["run", "-A", script], env);
      equal(code, 0, out);
      const got = result(out);
      match(got.backend, /^native \((AVX-512|AVX2\+FMA|generic SIMD), 1 thread\)$/);
      equal(got.c, 11);
    } finally {
      await Deno.remove(script);
    }
  },
});

const qemu = (() => {
  try {
    return new Deno.Command("qemu-aarch64", { args: ["--version"], stdout: "null" })
      .outputSync().success && Deno.statSync("/usr/aarch64-linux-gnu/lib/libc.so.6").isFile;
  } catch {
    return false;
  }
})();
const zig = await findZig().catch(() => undefined);

Deno.test({
  name: "the linux-aarch64 library loads and computes under qemu-user",
  // Needs qemu-user, an aarch64 glibc (Debian's libc6-arm64-cross) and Zig
  // to compile the loader; .ci/run installs all three.
  ignore: !isLinuxX64 || !shipped || !qemu || zig === undefined,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const loader = `${dir}/load_library`;
      const cc = await new Deno.Command(zig![0], {
        args: [
          ...zig!.slice(1),
          "cc",
          "-target",
          "aarch64-linux-gnu.2.17",
          "-O1",
          "-o",
          loader,
          `${root}tests/testdata/load_library.c`,
        ],
        cwd: dir,
        stderr: "piped",
      }).output();
      equal(cc.code, 0, new TextDecoder().decode(cc.stderr));
      const { code, stdout, stderr } = await new Deno.Command("qemu-aarch64", {
        args: ["-L", "/usr/aarch64-linux-gnu", loader, fileOf("linux-aarch64")],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
      equal(code, 0, out);
      match(out, /^abi \d+ gemm OK$/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Serves `root` over HTTP on a free loopback port; `tamper` rewrites the library's bytes. */
function servePackage(tamper: { on: boolean }): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen(): void {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 400 });
    try {
      const bytes = await Deno.readFile(`${root}${path.slice(1)}`);
      if (tamper.on && path.startsWith("/native/prebuilt/")) bytes[bytes.length - 1] ^= 1;
      return new Response(bytes);
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

Deno.test({
  name: "imported over HTTP, the package fetches its prebuilt library once, checked by SHA-256",
  ignore: !isLinuxX64 || !shipped,
  async fn(t): Promise<void> {
    const tamper = { on: false };
    const server = servePackage(tamper);
    const dir = await Deno.makeTempDir();
    try {
      const host = `127.0.0.1:${server.addr.port}`;
      const script = `${dir}/probe.ts`;
      await Deno.writeTextFile(script, PROBE(`http://${host}/src/kernels/mod.ts`));
      const env = denoEnv({ MNIST_DNN_CACHE: `${dir}/cache`, DENO_DIR: `${dir}/deno` });
      const perms = [`--allow-import=${host}`, "--allow-env", "--allow-ffi", "--allow-read"];
      const cached = `${dir}/cache/native`;

      await t.step("without --allow-net: wasm, and the notice says what to grant", async () => {
        const { code, out } = await run(["run", ...perms, script], env);
        equal(code, 0, out);
        const got = result(out);
        match(got.backend, /^wasm/);
        match(got.reason, /fetched once into .* when --allow-net \(for 127\.0\.0\.1:\d+\)/);
      });
      await t.step("a file whose SHA-256 differs is refused and not installed", async () => {
        tamper.on = true;
        const all = [...perms, `--allow-net=${host}`, `--allow-write=${dir}/cache`];
        const { code, out } = await run(["run", ...all, script], env);
        tamper.on = false;
        equal(code, 0, out);
        const got = result(out);
        match(got.backend, /^wasm/);
        match(got.reason, /has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64}; it was not installed/);
        const files = await Array.fromAsync(Deno.readDir(cached)).catch(() => []);
        equal(files.length <= 1, true); // the version folder at most, no library
      });
      await t.step("with --allow-net: fetched into the cache, then native", async () => {
        const all = [...perms, `--allow-net=${host}`, `--allow-write=${dir}/cache`];
        const { code, out } = await run(["run", ...all, script], env);
        equal(code, 0, out);
        const got = result(out);
        match(got.backend, /^native/);
        equal(got.c, 11);
        // Later runs need no network: the cached file is found and checked.
        const again = result((await run(["run", ...perms, script], env)).out);
        match(again.backend, /^native/);
      });
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
