// The C ABI and its TypeScript mirror agree: every prototype of
// native/kernels.h has a SYMBOLS entry with the same name, parameter kinds
// and result (and each parameter's comment is its C declaration), and the
// constants both languages hold are equal. The compiler checks neither.

import { deepEqual, equal } from "node:assert/strict";
import { ABI_VERSION, SYMBOLS } from "../src/ffi/symbols.ts";
import { ACTIVATION_CODES, LEAKY_RELU_SLOPE } from "../src/kernels/kernels.ts";
import { MAX_THREADS } from "../src/kernels/select.ts";
import { ISA_NAMES } from "../src/kernels/native_kernels.ts";
import { AUGMENT_MAX_NODES, AUGMENT_MAX_WIDTH } from "../src/kernels/ts_augment.ts";
import { MLP_MAX_LAYERS, mlpWorkSize } from "../src/kernels/_mlp.ts";
import { openNativeLibrary } from "../src/ffi/load.ts";

const read = (path: string): string =>
  Deno.readTextFileSync(new URL(`../${path}`, import.meta.url));
const header = read("native/kernels.h");

/** A C declaration as the FFI sees it: `buffer` for any pointer, else the scalar's kind. */
function kindOf(declaration: string): string {
  if (declaration.includes("*")) return "buffer";
  const type = declaration.trim().split(/\s+/).slice(0, -1).join(" ");
  const kinds: Record<string, string> = { int32_t: "i32", float: "f32", double: "f64" };
  if (!(type in kinds)) throw new Error(`no FFI kind for "${declaration}"`);
  return kinds[type];
}

/** `const float *a` and `const float* a` alike. */
const normalize = (declaration: string): string =>
  declaration.replace(/\s*\*\s*/g, " *").replace(/\s+/g, " ").trim();

/** The prototypes of kernels.h: name, C parameter declarations, result type. */
function prototypes(): Map<string, { params: string[]; result: string }> {
  const code = header.replace(/\/\/[^\n]*/g, "");
  const found = new Map<string, { params: string[]; result: string }>();
  for (
    const [, result, name, list] of code.matchAll(/MND_API\s+(\w+)\s+(mnd_\w+)\s*\(([^)]*)\)\s*;/g)
  ) {
    const params = list.trim() === "void" ? [] : list.split(",").map(normalize);
    found.set(name, { params, result });
  }
  return found;
}

/** A `#define NAME value` of native/kernels.h or native/threads.h, as a number. */
function defined(name: string): number {
  const text = header + read("native/threads.h");
  const match = new RegExp(`#define ${name} ([0-9.]+)f?\\b`).exec(text);
  if (!match) throw new Error(`no #define ${name}`);
  return Number(match[1]);
}

Deno.test("every prototype of kernels.h and its SYMBOLS entry agree: name, parameter kinds, result", () => {
  const c = prototypes();
  deepEqual([...c.keys()].sort(), Object.keys(SYMBOLS).sort(), "the same functions");
  for (const [name, { params, result }] of c) {
    const symbol = SYMBOLS[name as keyof typeof SYMBOLS];
    deepEqual([...symbol.parameters], params.map(kindOf), `${name}: parameter kinds`);
    equal(symbol.result, result === "void" ? "void" : kindOf(`${result} r`), `${name}: result`);
  }
});

Deno.test("each SYMBOLS parameter's comment is its C declaration in kernels.h", () => {
  const source = read("src/ffi/symbols.ts");
  for (const [name, { params }] of prototypes()) {
    const start = source.indexOf(`  ${name}: {`);
    const end = source.indexOf("result:", start);
    const block = source.slice(start, source.indexOf("\n", end));
    const comments = [
      ...block.matchAll(
        /"(?:buffer|i32|f32|f64)",?\s*\]?,?\s*(?:result: "\w+" \},)?\s*\/\/ ([^\n]+)/g,
      ),
    ]
      .map((m) => normalize(m[1].replace(/\s*\(nullable\)$/, "")));
    deepEqual(comments, params, `${name}: comments`);
  }
});

Deno.test("the constants C and TypeScript both hold are equal", () => {
  equal(ABI_VERSION, defined("MND_ABI_VERSION"), "ABI version");
  for (const [activation, code] of Object.entries(ACTIVATION_CODES)) {
    equal(code, defined(`MND_ACT_${activation.toUpperCase().replace("-", "_")}`), activation);
  }
  equal(Math.fround(LEAKY_RELU_SLOPE), Math.fround(defined("MND_LEAKY_SLOPE")), "leaky slope");
  const isas = ["GENERIC", "AVX2", "AVX512", "NEON"];
  equal(ISA_NAMES.length, isas.length, "one name per instruction set");
  isas.forEach((isa, i) =>
    equal(defined(`MND_ISA_${isa}`), i, `MND_ISA_${isa} names ${ISA_NAMES[i]}`)
  );
  equal(MAX_THREADS, defined("MND_MAX_THREADS"), "thread pool size");
  equal(MLP_MAX_LAYERS, defined("MND_MLP_MAX_LAYERS"), "layers of the batch-1 fast path");
  equal(AUGMENT_MAX_NODES, defined("MND_AUGMENT_MAX_NODES"), "elastic grid nodes");
  equal(AUGMENT_MAX_WIDTH, defined("MND_AUGMENT_MAX_WIDTH"), "widest elastic image");
});

Deno.test({
  name: "the batch-1 work size is one formula: mnd_mlp_work_size equals mlpWorkSize",
  ignore: !openNativeLibrary().ok,
  fn(): void {
    const library = openNativeLibrary();
    if (!library.ok) return;
    for (const sizes of [[784, 10], [784, 128, 64, 10], [3, 1000, 7, 2], [5, 5, 5, 5, 5, 5]]) {
      const array = Int32Array.from(sizes), layers = sizes.length - 1;
      equal(
        library.symbols.mnd_mlp_work_size(array, layers),
        mlpWorkSize(array, layers),
        `${sizes}`,
      );
    }
  },
});

Deno.test("kernel families share one stem: native/<stem>.c beside src/kernels/ts_<stem>.ts", () => {
  const stems = (dir: string, pattern: RegExp): string[] =>
    [...Deno.readDirSync(new URL(`../${dir}`, import.meta.url))]
      .map((entry) => pattern.exec(entry.name)?.[1])
      .filter((stem): stem is string => stem !== undefined)
      .sort();
  // The C files without a TS twin: the GEMV and batch-1 fast paths (native
  // only), the library's own functions and the thread pool.
  const nativeOnly = ["gemv", "library", "mlp", "threads"];
  const c = stems("native", /^([a-z0-9]+)\.c$/).filter((stem) => !nativeOnly.includes(stem));
  deepEqual(c, stems("src/kernels", /^ts_([a-z0-9]+)\.ts$/).filter((stem) => stem !== "kernels"));
});
