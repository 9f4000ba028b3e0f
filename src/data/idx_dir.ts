/**
 * Loads any MNIST-style IDX dataset from a directory: the four standard file
 * names (raw or `.gz`), also with a dataset prefix such as EMNIST's
 * `emnist-balanced-train-images-idx3-ubyte.gz`. Image size and class count
 * come from the files; nothing is checked against MNIST's hashes (that is
 * `loadMnist`'s job).
 *
 * @module
 */

import { classCount, type Dataset } from "./dataset.ts";
import { readIdxDataset } from "./idx.ts";

/** A split of an IDX dataset. */
export type IdxSplit = "train" | "test";

/** The image and label file names of each split, as MNIST spells them. */
export const IDX_SPLIT_FILES: Readonly<Record<IdxSplit, readonly [string, string]>> = Object
  .freeze({
    train: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
    test: ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
  });

/** The splits read from a directory, the class count and the directory. */
export interface IdxDirectory {
  /** The training set, when asked for. */
  train?: Dataset;
  /** The test set, when asked for. */
  test?: Dataset;
  /** Largest label in the splits read, plus one. */
  classes: number;
  /** The directory, for messages. */
  source: string;
  /** Paths of the files read. */
  files: string[];
}

/**
 * Finds the file holding `name` in `dir`: `name`, `name.gz`, the dotted
 * spelling (`train-images.idx3-ubyte`), or exactly one prefixed file such
 * as `emnist-digits-train-images-idx3-ubyte.gz`.
 *
 * @param dir The directory to look in.
 * @param name A standard IDX file name, e.g. `"t10k-labels-idx1-ubyte"`.
 * @returns The path of the file.
 * @throws {Deno.errors.NotFound} If no file matches.
 * @throws {Error} If several prefixed files match (naming them).
 * @example
 * ```ts ignore
 * import { findIdxFile } from "jsr:@x/mnist-dnn/data";
 * console.log(await findIdxFile("data/emnist", "t10k-images-idx3-ubyte"));
 * ```
 */
export async function findIdxFile(dir: string, name: string): Promise<string> {
  const dotted = name.replace(/-(idx\d)-/, ".$1-");
  const spellings = [name, `${name}.gz`, dotted, `${dotted}.gz`];
  const prefixed: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (spellings.includes(entry.name)) return `${dir}/${entry.name}`;
      if (spellings.some((s) => entry.name.endsWith(`-${s}`))) prefixed.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `"${dir}" does not exist; name the directory that holds the IDX files`,
      );
    }
    throw error;
  }
  if (prefixed.length === 1) return `${dir}/${prefixed[0]}`;
  if (prefixed.length > 1) {
    throw new Error(
      `"${dir}" holds several ${name} files (${prefixed.sort().join(", ")}); ` +
        "put one dataset per directory",
    );
  }
  throw new Deno.errors.NotFound(`no ${name}[.gz] in "${dir}"`);
}

/**
 * Reads the image and label files of `splits` from `dir` into datasets.
 *
 * @param dir A directory holding IDX files under the standard names.
 * @param splits Which splits to read (default both). `evaluate` reads only `["test"]`.
 * @returns The datasets and the number of classes their labels use.
 * @throws {Deno.errors.NotFound} If a file is missing.
 * @throws {IdxFormatError} If a file is malformed, or the splits' image sizes differ.
 * @example Read KMNIST, Fashion-MNIST or EMNIST
 * ```ts ignore
 * import { loadIdxDir } from "jsr:@x/mnist-dnn/data";
 * const { train, test, classes } = await loadIdxDir("data/kmnist");
 * console.log(train!.count, test!.count, classes); // 60000 10000 10
 * ```
 */
export async function loadIdxDir(
  dir: string,
  splits: readonly IdxSplit[] = ["train", "test"],
): Promise<IdxDirectory> {
  const out: IdxDirectory = { classes: 0, source: `directory "${dir}"`, files: [] };
  for (const split of splits) {
    const [images, labels] = await Promise.all(
      IDX_SPLIT_FILES[split].map((name) => findIdxFile(dir, name)),
    );
    out[split] = await readIdxDataset(images, labels, 256);
    out.files.push(images, labels);
  }
  const [first, second] = splits.map((s) => out[s]!);
  if (second && (first.rows !== second.rows || first.cols !== second.cols)) {
    throw new Error(
      `"${dir}": the ${splits[0]} images are ${first.rows}x${first.cols} but the ${
        splits[1]
      } images are ${second.rows}x${second.cols}; use files from one dataset`,
    );
  }
  out.classes = classCount(...splits.map((s) => out[s]!));
  return out;
}
