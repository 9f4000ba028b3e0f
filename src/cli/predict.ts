/**
 * `deno task predict`: uses a trained model. Shows a grid of random test
 * digits with predicted and true labels (a PNG file or the terminal),
 * classifies image files (PNG, PGM) after MNIST-style preprocessing, or
 * writes a Kaggle submission for a digit CSV.
 *
 * @module
 */

import { readDigitCsv } from "../data/csv.ts";
import { readDataFile } from "../_read.ts";
import { mnistStyle } from "../data/digit_image.ts";
import { BACKEND_CHOICES } from "../kernels/select.ts";
import { loadNetwork } from "../model/model_file.ts";
import type { Network } from "../model/network.ts";
import { Random } from "../random.ts";
import { writeFileAtomic } from "../_atomic.ts";
import { drawGrid, type GridCell, gridText } from "../view/grid.ts";
import { decodePgm, decodePng, encodePng, type RasterImage } from "../view/png.ts";
import { loadTestData } from "./_data.ts";
import { intOption, type Io, processIo, runWithFlags, UsageError } from "./_io.ts";
import { checkPaths } from "./_output.ts";
import { computeFlags } from "./_model_flags.ts";

const USAGE = `Usage: deno task predict --model FILE [options]

Uses a trained model. Without --image or --csv it shows a grid of random test
digits with predicted/true labels (mistakes in red), in the terminal or as PNG.

Options:
  --model FILE        the model (required; e.g. mnist.safetensors)
  --grid FILE         write the grid as a PNG instead of printing it
  --grid-size N       digits per side, 1..20 (default 5)
  --only-mistakes     fill the grid with misclassified digits only
  --seed N            which random digits, 0..4294967295 (default 1)
  --data DIR          test digits from the IDX files in DIR (default: MNIST)
  --image FILE        classify a PNG (grey, RGB, RGBA) or PGM image of one digit;
                      repeat for several. Prints the top 3 classes.
  --csv FILE          predict every row of a digit CSV ...
  --submission OUT    ... and write the Kaggle file ImageId,Label to OUT
  --backend NAME      ${BACKEND_CHOICES.join(" | ")} (default auto)
  --help              show this help
`;

/**
 * Reads an image file (PNG or PGM, by content).
 *
 * @param path The file.
 * @returns Its pixels.
 */
async function readImage(path: string): Promise<RasterImage> {
  const bytes = await readDataFile(path, 256 * 2 ** 20);
  return bytes[0] === 0x50 ? decodePgm(bytes, path) : await decodePng(bytes, path);
}

function topClasses(network: Network, pixels: Uint8Array): string {
  const p = network.predictProba(pixels);
  const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]).slice(0, 3);
  return order.map((k) => `${k} ${(p[k] * 100).toFixed(1)}%`).join(", ");
}

/**
 * Runs the predict command.
 *
 * @param args Command-line arguments.
 * @param io Output streams.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 */
export function predict(args: string[], io: Io): Promise<number> {
  return runWithFlags(io, USAGE, args, {
    model: { type: "string" },
    grid: { type: "string" },
    "grid-size": { type: "string", default: "5" },
    "only-mistakes": { type: "boolean", default: false },
    seed: { type: "string", default: "1" },
    data: { type: "string" },
    image: { type: "string", multiple: true },
    csv: { type: "string" },
    submission: { type: "string" },
    backend: { type: "string", default: "auto" },
  }, async ({ values }) => {
    if (!values.model) throw new UsageError("--model FILE is required");
    const { backend } = computeFlags(values);
    const side = intOption("grid-size", values["grid-size"], false, 20);
    const seed = intOption("seed", values.seed, true, 0xffffffff);
    if (values.image) {
      const other = (["csv", "submission", "grid", "data"] as const).find((f) =>
        values[f] !== undefined
      );
      if (other) {
        throw new UsageError(
          `--image classifies picture files and prints the classes; --${other} belongs to ` +
            "another use of predict: give one or the other",
        );
      }
    }
    if ((values.csv === undefined) !== (values.submission === undefined)) {
      throw new UsageError("--csv and --submission go together: read one file, write the other");
    }
    await checkPaths({ submission: values.submission, grid: values.grid }, {
      model: values.model,
      csv: values.csv,
      data: values.data,
      image: values.image,
    });
    using network = await loadNetwork(values.model, { backend });

    if (values.image) {
      const [h, w] = network.inputShape.length === 3 ? network.inputShape : [28, 28];
      if (h * w !== network.inputSize) {
        throw new UsageError(
          `--image needs a model of one-channel images; this one takes ${network.inputShape}`,
        );
      }
      for (const path of values.image) {
        const digit = mnistStyle(await readImage(path), {
          size: h,
          box: Math.round((h * 20) / 28),
        });
        io.out(`${path}: ${topClasses(network, digit)}\n`);
      }
      return 0;
    }
    if (values.csv !== undefined) {
      const data = await readDigitCsv(values.csv, 256);
      if (data.count === 0) {
        throw new Error(`"${values.csv}" has a header and no data rows; nothing to predict`);
      }
      if (data.rows * data.cols !== network.inputSize) {
        throw new UsageError(
          `--csv "${values.csv}" has ${
            data.rows * data.cols
          } pixels per image; the model takes ${network.inputSize}`,
        );
      }
      const predicted = network.predict(data.images.subarray(0, data.count * network.inputSize));
      const lines = ["ImageId,Label", ...Array.from(predicted, (p, i) => `${i + 1},${p}`)];
      await writeFileAtomic(values.submission!, new TextEncoder().encode(lines.join("\n") + "\n"));
      io.out(`wrote ${values.submission} (${data.count} predictions)\n`);
      return 0;
    }

    const { test, source } = await loadTestData(values);
    const features = test.rows * test.cols;
    if (features !== network.inputSize) {
      throw new UsageError(
        `the test images have ${features} pixels; the model takes ${network.inputSize}`,
      );
    }
    const order = Int32Array.from({ length: test.count }, (_, i) => i);
    new Random(seed).shuffle(order);
    const predicted = network.predict(test.images.subarray(0, test.count * features));
    const cells: GridCell[] = [];
    for (const i of order) {
      if (cells.length === side * side) break;
      if (values["only-mistakes"] && predicted[i] === test.labels![i]) continue;
      cells.push({
        pixels: test.images.subarray(i * features, (i + 1) * features),
        predicted: predicted[i],
        label: test.labels![i],
      });
    }
    const wrong = cells.filter((c) => c.predicted !== c.label).length;
    const summary = `${cells.length} ${values["only-mistakes"] ? "misclassified " : ""}digits of ` +
      `${source} (seed ${seed}), ${wrong} wrong; labels are predicted/true\n`;
    if (values.grid !== undefined) {
      await writeFileAtomic(
        values.grid,
        await encodePng(drawGrid(cells, test.rows, test.cols, side)),
      );
      io.out(`wrote ${values.grid}: ${summary}`);
    } else {
      io.out(gridText(cells, test.rows, test.cols, side) + summary);
    }
    return 0;
  });
}

if (import.meta.main) Deno.exit(await predict(Deno.args, processIo()));
