/**
 * The training report: one self-contained HTML file (inline SVG and PNG,
 * nothing fetched) with the loss, accuracy and learning-rate curves, the
 * confusion matrix as a heat map, per-class precision and recall, the most
 * confident mistakes as images, and the settings, backend and timings.
 *
 * @module
 */

import type { Dataset } from "../data/dataset.ts";
import type { Evaluation, Network } from "../model/network.ts";
import type { EpochMetrics } from "../train/fit.ts";
import { encodePng } from "./png.ts";

/** What a report shows. */
export interface ReportInput {
  /** Heading, e.g. the model file. */
  title: string;
  /** Name-value pairs: settings, backend, data, timings. */
  settings: Record<string, string>;
  /** Per-epoch metrics, when the report follows training. */
  history?: EpochMetrics[];
  /** The test set's evaluation. */
  evaluation: Evaluation;
  /** The most confident mistakes, most confident first. */
  mistakes: { png: Uint8Array; predicted: number; label: number; confidence: number }[];
}

const escape = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** An SVG line chart of named series over epochs. */
function chart(
  title: string,
  series: [string, string, (number | undefined)[]][],
  log = false,
): string {
  const W = 420, H = 220, L = 50, B = 30, T = 24, R = 12;
  const values = series.flatMap(([, , v]) => v).filter((v): v is number =>
    v !== undefined && Number.isFinite(v) && (!log || v > 0)
  );
  if (values.length === 0) return "";
  const f = (v: number): number => (log ? Math.log10(v) : v);
  let lo = Math.min(...values.map(f)), hi = Math.max(...values.map(f));
  if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
  const n = Math.max(...series.map(([, , v]) => v.length));
  const x = (i: number): number => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number): number => T + (H - T - B) * (1 - (f(v) - lo) / (hi - lo));
  const ticks = [0, 0.5, 1].map((t) => lo + t * (hi - lo));
  const label = (t: number): string => {
    const v = log ? 10 ** t : t;
    return Math.abs(v) >= 0.01 || v === 0 ? v.toPrecision(3) : v.toExponential(1);
  };
  const lines = series.map(([name, color, v], s) => {
    const points = v.map((p, i) =>
      p === undefined || !Number.isFinite(p) || (log && p <= 0)
        ? ""
        : `${x(i).toFixed(1)},${y(p).toFixed(1)}`
    ).filter(Boolean);
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${
      points.join(" ")
    }"/>` +
      points.map((p) =>
        `<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="2.5" fill="${color}"/>`
      ).join("") +
      `<text x="${L + 8 + s * 110}" y="14" fill="${color}" font-size="12">${escape(name)}</text>`;
  });
  return `<figure><figcaption>${
    escape(title)
  }</figcaption><svg width="${W}" height="${H}" role="img" aria-label="${escape(title)}">` +
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${
      H - T - B
    }" fill="#fafafa" stroke="#ccc"/>` +
    ticks.map((t) =>
      `<text x="${L - 4}" y="${y(log ? 10 ** t : t) + 4}" text-anchor="end" font-size="11">${
        label(t)
      }</text>`
    ).join("") +
    Array.from({ length: n }, (_, i) => i).filter((i) =>
      n <= 12 || i % Math.ceil(n / 10) === 0 || i === n - 1
    )
      .map((i) =>
        `<text x="${x(i)}" y="${H - 12}" text-anchor="middle" font-size="11">${i + 1}</text>`
      ).join("") +
    `<text x="${(L + W - R) / 2}" y="${H - 1}" text-anchor="middle" font-size="11">epoch</text>` +
    lines.join("") + `</svg></figure>`;
}

/** The confusion matrix as an SVG heat map (rows true, columns predicted). */
function heatMap(confusion: number[][]): string {
  const n = confusion.length, cell = Math.max(18, Math.min(36, Math.floor(380 / n))), pad = 40;
  const size = pad + n * cell + 4;
  const rowMax = confusion.map((row) => Math.max(1, row.reduce((a, b) => a + b, 0)));
  const cells = confusion.flatMap((row, i) =>
    row.map((count, j) => {
      const share = count / rowMax[i];
      const color = i === j
        ? `rgba(40,140,80,${0.15 + 0.85 * share})`
        : `rgba(220,50,40,${Math.min(1, share * 8)})`;
      return `<rect x="${pad + j * cell}" y="${pad + i * cell}" width="${cell - 1}" height="${
        cell - 1
      }" fill="${
        count ? color : "#f4f4f4"
      }"><title>true ${i}, predicted ${j}: ${count}</title></rect>` +
        (count && cell >= 26
          ? `<text x="${pad + j * cell + cell / 2}" y="${
            pad + i * cell + cell / 2 + 4
          }" text-anchor="middle" font-size="10">${count}</text>`
          : "");
    })
  );
  const axes = Array.from(
    { length: n },
    (_, k) =>
      `<text x="${pad + k * cell + cell / 2}" y="${
        pad - 6
      }" text-anchor="middle" font-size="11">${k}</text>` +
      `<text x="${pad - 6}" y="${
        pad + k * cell + cell / 2 + 4
      }" text-anchor="end" font-size="11">${k}</text>`,
  );
  return `<figure><figcaption>Confusion matrix (rows: true class, columns: predicted; green: right, red: share of the row wrong)</figcaption>` +
    `<svg width="${size}" height="${size}" role="img" aria-label="confusion matrix">${
      axes.join("")
    }${cells.join("")}</svg></figure>`;
}

/**
 * Renders a report as one self-contained HTML page.
 *
 * @param input What to show.
 * @returns The HTML text.
 * @example
 * ```ts
 * import { renderReport } from "jsr:@x/mnist-dnn/view";
 * const html = renderReport({ title: "t", settings: { backend: "ts" }, mistakes: [],
 *   evaluation: { accuracy: 0.5, loss: 1, confusion: [[1, 1], [0, 2]] } });
 * console.log(html.startsWith("<!doctype html>"), html.includes("<svg")); // true true
 * ```
 */
export function renderReport(input: ReportInput): string {
  const { evaluation, history = [] } = input;
  const n = evaluation.confusion.length;
  const perClass = Array.from({ length: n }, (_, k) => {
    const tp = evaluation.confusion[k][k];
    const actual = evaluation.confusion[k].reduce((a, b) => a + b, 0);
    const predicted = evaluation.confusion.reduce((a, row) => a + row[k], 0);
    return `<tr><td>${k}</td><td>${predicted ? ((100 * tp) / predicted).toFixed(2) : "-"}%</td>` +
      `<td>${actual ? ((100 * tp) / actual).toFixed(2) : "-"}%</td><td>${actual}</td></tr>`;
  });
  const epochs = (pick: (m: EpochMetrics) => number | undefined): (number | undefined)[] =>
    history.map(pick);
  const curves = history.length === 0 ? "" : [
    chart("Loss", [
      ["train", "#2a6fdb", epochs((m) => m.trainLoss)],
      ["validation", "#e07b00", epochs((m) => m.validationLoss)],
      ["test", "#7a3fb0", epochs((m) => m.testLoss)],
    ]),
    chart("Accuracy (%)", [
      ["train", "#2a6fdb", epochs((m) => m.trainAccuracy * 100)],
      ["validation", "#e07b00", epochs((m) => m.validationAccuracy && m.validationAccuracy * 100)],
      ["test", "#7a3fb0", epochs((m) => m.testAccuracy && m.testAccuracy * 100)],
    ]),
    chart("Learning rate (log scale)", [["rate", "#333", epochs((m) => m.learningRate)]], true),
  ].join("");
  const mistakes = input.mistakes.map((m) =>
    `<figure class="digit"><img alt="predicted ${m.predicted}, true ${m.label}" src="data:image/png;base64,${
      base64(m.png)
    }">` +
    `<figcaption>${m.predicted} (true ${m.label})<br>${
      (m.confidence * 100).toFixed(1)
    }%</figcaption></figure>`
  ).join("");
  const settings = Object.entries(input.settings).map(([k, v]) =>
    `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`
  ).join("");
  const timings = history.length
    ? `<p>${history.length} epochs, ${
      history.reduce((s, m) => s + m.seconds, 0).toFixed(1)
    } s of training (${history.map((m) => m.seconds.toFixed(2)).join(", ")} s per epoch).</p>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1000px; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
figure { display: inline-block; margin: 0 1rem 1rem 0; vertical-align: top; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
table { border-collapse: collapse; } td, th { padding: .15rem .6rem; border-bottom: 1px solid #eee; text-align: left; }
.digit { margin: 0 .4rem .6rem 0; text-align: center; font-size: 12px; }
.digit img { width: 84px; height: 84px; image-rendering: pixelated; border: 2px solid #d33; display: block; }
.digit figcaption { font-weight: 400; }
.big { font-size: 1.6rem; font-weight: 700; }
</style></head><body>
<h1>${escape(input.title)}</h1>
<p class="big">Test accuracy ${(evaluation.accuracy * 100).toFixed(2)}%, loss ${
    evaluation.loss.toFixed(4)
  }</p>
${timings}
${curves ? `<h2>Training curves</h2>${curves}` : ""}
<h2>Test set</h2>
${heatMap(evaluation.confusion)}
<figure><figcaption>Per class</figcaption><table><tr><th>class</th><th>precision</th><th>recall</th><th>samples</th></tr>${
    perClass.join("")
  }</table></figure>
<h2>Most confident mistakes</h2>
<div>${mistakes || "<p>None.</p>"}</div>
<h2>Settings</h2>
<table>${settings}</table>
</body></html>
`;
}

/**
 * Evaluates `network` on `test` and gathers what a report shows about it:
 * the evaluation and the `count` most confident mistakes as PNG images.
 *
 * @param network The model.
 * @param test A labelled test set.
 * @param count How many mistakes to keep. Default 24.
 * @returns The evaluation and the mistakes, most confident first.
 * @example
 * ```ts ignore
 * import { reportTestSet, renderReport } from "jsr:@x/mnist-dnn/view";
 * const { evaluation, mistakes } = await reportTestSet(net, test);
 * ```
 */
export async function reportTestSet(
  network: Network,
  test: Dataset,
  count = 24,
): Promise<Pick<ReportInput, "evaluation" | "mistakes">> {
  const evaluation = network.evaluate(test);
  const classes = network.outputSize, features = test.rows * test.cols;
  const p = network.predictProba(test.images.subarray(0, test.count * features));
  const wrong: { i: number; predicted: number; confidence: number }[] = [];
  for (let i = 0; i < test.count; i++) {
    const row = p.subarray(i * classes, (i + 1) * classes);
    const predicted = row.indexOf(Math.max(...row));
    if (predicted !== test.labels![i]) wrong.push({ i, predicted, confidence: row[predicted] });
  }
  wrong.sort((a, b) => b.confidence - a.confidence);
  const mistakes = await Promise.all(
    wrong.slice(0, count).map(async ({ i, predicted, confidence }) => ({
      png: await encodePng({
        width: test.cols,
        height: test.rows,
        channels: 1,
        data: test.images.slice(i * features, (i + 1) * features),
      }),
      predicted,
      label: test.labels![i],
      confidence,
    })),
  );
  return { evaluation, mistakes };
}
