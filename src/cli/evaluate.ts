/**
 * `deno task evaluate`: reloads a saved model and reports its test accuracy
 * and confusion matrix on MNIST, or on a digit CSV file; an unlabelled CSV
 * gets predictions printed as `ImageId,Label` lines instead.
 *
 * @module
 */

import { readDigitCsv } from "../data/csv.ts";
import type { Dataset } from "../data/dataset.ts";
import { BACKEND_CHOICES } from "../kernels/select.ts";
import { loadNetwork } from "../model/model_file.ts";
import { loadTestData } from "./_data.ts";
import { checkPaths } from "./_output.ts";
import { computeFlags } from "./_model_flags.ts";
import { renderReport, reportTestSet } from "../view/report.ts";
import { writeFileAtomic } from "../_atomic.ts";
import { type Io, processIo, runWithFlags, UsageError } from "./_io.ts";

const USAGE = `Usage: deno task evaluate --model FILE [options]

Reports a saved model's accuracy and confusion matrix on the MNIST test set
(or another dataset's). Only the test files are read.

Options:
  --model FILE     the model to evaluate (required; e.g. mnist.safetensors)
  --data DIR       use the test IDX files in DIR (any dataset; t10k-images-idx3-ubyte
                   and t10k-labels-idx1-ubyte, raw or .gz; default: MNIST, verified)
  --csv FILE       evaluate on a digit CSV instead; without a label column,
                   print predictions as ImageId,Label lines
  --report FILE    also write an HTML report (confusion matrix, per-class
                   precision and recall, most confident mistakes)
  --backend NAME   ${BACKEND_CHOICES.join(" | ")} (default auto)
  --threads N      native backend threads (default: all cores)
  --help           show this help
`;

/**
 * Formats a confusion matrix with row (true label) and column (predicted) headers.
 *
 * @param confusion `confusion[label][predicted]` counts.
 * @returns The table as text.
 */
export function formatConfusion(confusion: number[][]): string {
  const width = Math.max(5, ...confusion.flat().map((n) => String(n).length + 1));
  const cell = (s: string | number): string => String(s).padStart(width);
  const lines = ["true\\pred " + confusion.map((_, j) => cell(j)).join("")];
  confusion.forEach((row, i) => lines.push(cell(i).padStart(10) + " " + row.map(cell).join("")));
  return lines.join("\n") + "\n";
}

/**
 * Runs the evaluate command.
 *
 * @param args Command-line arguments.
 * @param io Output streams.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 */
export function evaluate(args: string[], io: Io): Promise<number> {
  return runWithFlags(io, USAGE, args, {
    model: { type: "string" },
    data: { type: "string" },
    csv: { type: "string" },
    report: { type: "string" },
    backend: { type: "string", default: "auto" },
    threads: { type: "string" },
  }, async ({ values }) => {
    if (!values.model) throw new UsageError("--model FILE is required");
    await checkPaths({ report: values.report }, {
      model: values.model,
      csv: values.csv,
      data: values.data,
    });
    using network = await loadNetwork(values.model, computeFlags(values));
    let data: Dataset;
    let source: string;
    if (values.csv) {
      if (values.data !== undefined) {
        throw new UsageError("--csv and --data both name test data; give one of them");
      }
      data = await readDigitCsv(values.csv, 256);
      if (data.count === 0) {
        throw new Error(`"${values.csv}" has a header and no data rows; nothing to predict`);
      }
      source = values.csv;
    } else {
      ({ test: data, source } = await loadTestData(values));
    }
    if (data.rows * data.cols !== network.inputSize) {
      throw new Error(
        `"${source}" has ${
          data.rows * data.cols
        } pixels per image, but the model expects ${network.inputSize}`,
      );
    }
    if (!data.labels) {
      const predicted = network.predict(data.images);
      io.out(
        "ImageId,Label\n" + Array.from(predicted, (p, i) => `${i + 1},${p}`).join("\n") + "\n",
      );
      return 0;
    }
    const classes = network.outputSize;
    const bad = data.labels.subarray(0, data.count).findIndex((label) => label >= classes);
    if (bad >= 0) {
      // A CSV's first sample is on line 2, under the header.
      const where = values.csv ? `"${values.csv}" line ${bad + 2}` : `${source}, sample ${bad}`;
      throw new Error(
        `${where}: label ${data.labels[bad]} is not one of the model's ${classes} classes ` +
          `(0..${classes - 1}); this data does not fit this model`,
      );
    }
    const result = network.evaluate(data);
    io.out(`model: ${values.model} (${network.spec})\n`);
    io.out(`backend: ${network.backend}\n`);
    io.out(`data: ${source} (${data.count} samples)\n`);
    io.out(
      `test accuracy ${(result.accuracy * 100).toFixed(2)}%  loss ${result.loss.toFixed(4)}\n\n`,
    );
    io.out(formatConfusion(result.confusion));
    if (values.report !== undefined) {
      const html = renderReport({
        title: `mnist-dnn evaluation report: ${values.model}`,
        settings: {
          model: `${network.spec}, ${network.summary().trainableParams} parameters`,
          backend: network.backend,
          data: `${source} (${data.count} samples)`,
          "written at": new Date().toISOString(),
        },
        ...await reportTestSet(network, data),
      });
      await writeFileAtomic(values.report, new TextEncoder().encode(html));
      io.out(`wrote ${values.report}\n`);
    }
    return 0;
  });
}

if (import.meta.main) Deno.exit(await evaluate(Deno.args, processIo()));
