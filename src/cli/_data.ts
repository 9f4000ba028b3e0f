// Where the CLI's data comes from: `--train-csv`/`--test-csv` (Kaggle-style
// CSV), `--data DIR` (any IDX dataset: KMNIST, Fashion-MNIST, EMNIST, ...),
// or MNIST found and verified by loadMnist. Image size and class count
// follow from the data.

import { readDigitCsv } from "../data/csv.ts";
import { classCount, type Dataset } from "../data/dataset.ts";
import { loadIdxDir } from "../data/idx_dir.ts";
import { loadMnist, loadMnistTest } from "../data/mnist.ts";
import { UsageError } from "./_io.ts";

/** The data flags the train and evaluate commands share. */
export interface DataFlags {
  data?: string;
  "train-csv"?: string;
  "test-csv"?: string;
}

/** A training set, the test set (if any), and what they are. */
export interface TrainingData {
  train: Dataset;
  /** Absent when the test CSV has no label column (Kaggle's test.csv). */
  test?: Dataset;
  /** Largest label in the data plus one. */
  classes: number;
  /** Where the data came from, for the log. */
  source: string;
  /** Paths of the files read (that `--out` must not replace). */
  files: string[];
}

/** Loads the training and test sets the flags name. */
export async function loadTrainingData(flags: DataFlags): Promise<TrainingData> {
  const csv = flags["train-csv"];
  if (csv !== undefined && flags.data !== undefined) {
    throw new UsageError("--data and --train-csv both name training data; give one of them");
  }
  if (flags["test-csv"] !== undefined && csv === undefined) {
    throw new UsageError("--test-csv needs --train-csv (IDX and MNIST data bring their test set)");
  }
  if (csv !== undefined) {
    const train = await readDigitCsv(csv, 256);
    if (!train.labels) {
      throw new UsageError(`--train-csv "${csv}": the header has no "label" column`);
    }
    const testPath = flags["test-csv"];
    let test = testPath === undefined ? undefined : await readDigitCsv(testPath, 256);
    if (test && (test.rows * test.cols !== train.rows * train.cols)) {
      throw new UsageError(
        `--test-csv "${testPath}" has ${test.rows * test.cols} pixels per image, but ` +
          `--train-csv "${csv}" has ${train.rows * train.cols}`,
      );
    }
    if (test && !test.labels) test = undefined;
    const files = testPath === undefined ? [csv] : [csv, testPath];
    return {
      train,
      test,
      classes: classCount(train, ...(test ? [test] : [])),
      source: files.map((f) => `"${f}"`).join(" and "),
      files,
    };
  }
  if (flags.data !== undefined) {
    const { train, test, classes, source, files } = await loadIdxDir(flags.data);
    return { train: train!, test, classes, source, files };
  }
  const mnist = await loadMnist();
  return { train: mnist.train, test: mnist.test, classes: 10, source: mnist.source, files: [] };
}

/** Loads only the test set the flags name (`--data DIR` or MNIST). */
export async function loadTestData(flags: DataFlags): Promise<{ test: Dataset; source: string }> {
  if (flags.data !== undefined) {
    const { test, source } = await loadIdxDir(flags.data, ["test"]);
    return { test: test!, source: `test set of ${source}` };
  }
  const { test, source } = await loadMnistTest();
  return { test, source: `MNIST test set from ${source}` };
}
