// Network.summary(): the table Keras users expect (layer, output shape,
// parameters) with totals.

import type { Layer, Shape } from "./layers/layer.ts";

/** One row of a {@link NetworkSummary}. */
export interface SummaryRow {
  /** E.g. `"conv2d_1 (relu)"`. */
  name: string;
  /** Spec token, e.g. `"conv(32,5,pad=2)"`. */
  token: string;
  /** Per-sample output shape. */
  outputShape: Shape;
  /** Trainable parameters. */
  params: number;
}

/** What `Network.summary()` returns. */
export interface NetworkSummary {
  /** Per-sample input shape. */
  inputShape: Shape;
  /** One row per layer. */
  rows: SummaryRow[];
  /** Trainable plus non-trainable. */
  totalParams: number;
  /** Weights, biases, batch-norm scales and shifts. */
  trainableParams: number;
  /** Batch-norm running statistics. */
  nonTrainableParams: number;
  /** The table as text, e.g. for printing. */
  text: string;
}

/** Builds the summary of a list of layers. */
export function summarize(layers: readonly Layer[], inputShape: Shape): NetworkSummary {
  const counts = new Map<string, number>();
  const rows = layers.map((layer): SummaryRow => {
    const n = (counts.get(layer.kind) ?? 0) + 1;
    counts.set(layer.kind, n);
    const fused = "activation" in layer && layer.kind !== "activation" &&
        layer.activation !== "identity"
      ? ` (${layer.activation})`
      : "";
    return {
      name: `${layer.kind}_${n}${fused}`,
      token: layer.token,
      outputShape: layer.outputShape,
      params: layer.paramCount,
    };
  });
  const trainable = layers.reduce((a, l) => a + l.paramCount, 0);
  const state = layers.reduce((a, l) => a + l.stateCount, 0);
  const header = ["Layer (type)", "Output shape", "Param #"];
  const cells = rows.map((r) => [
    r.name,
    `(None, ${r.outputShape.join(", ")})`,
    r.params.toLocaleString("en-US"),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string =>
    `${c[0].padEnd(widths[0])}  ${c[1].padEnd(widths[1])}  ${c[2].padStart(widths[2])}`;
  const rule = "-".repeat(widths[0] + widths[1] + widths[2] + 4);
  const text = [
    `Input: (None, ${inputShape.join(", ")})`,
    rule,
    line(header),
    rule.replaceAll("-", "="),
    ...cells.map(line),
    rule.replaceAll("-", "="),
    `Total params: ${(trainable + state).toLocaleString("en-US")}`,
    `Trainable params: ${trainable.toLocaleString("en-US")}`,
    `Non-trainable params: ${state.toLocaleString("en-US")}`,
  ].join("\n");
  return {
    inputShape,
    rows,
    totalParams: trainable + state,
    trainableParams: trainable,
    nonTrainableParams: state,
    text,
  };
}
