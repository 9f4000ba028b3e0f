/**
 * The one-line layer spec: the same string on the command line
 * (`--layers`), in the library (`Network.fromSpec`) and in model files.
 *
 * ```
 * conv(32,5,pad=2) relu maxpool(2) conv(64,5,pad=2) relu maxpool(2) flatten dense(128) relu dropout(0.5) dense(10)
 * ```
 *
 * Tokens, separated by spaces: `dense(units)`, `conv(filters,size[,stride=S][,pad=P|same])`,
 * `maxpool(size[,stride=S])`, `dropout(rate)`, `batchnorm`, `flatten`, and the
 * activations `relu`, `sigmoid`, `tanh`, `leaky-relu`. The last layer must be
 * a `dense` layer with one unit per class.
 *
 * @module
 */

import type { Kernels } from "../../kernels/kernels.ts";
import { ACTIVATION_NAMES, type ActivationName } from "../../kernels/activations.ts";
import { Activation } from "./activation.ts";
import { BatchNorm } from "./batchnorm.ts";
import { Conv2d } from "./conv2d.ts";
import { Dense } from "./dense.ts";
import { Dropout } from "./dropout.ts";
import { Flatten } from "./flatten.ts";
import type { Layer, Shape } from "./layer.ts";
import { MaxPool2d } from "./maxpool2d.ts";

/** A bad layer spec: the message names the token and what was expected. */
export class SpecError extends RangeError {
  /**
   * Creates the error.
   *
   * @param message What is wrong, and where.
   */
  constructor(message: string) {
    super(message);
    this.name = "SpecError";
  }
}

/** One parsed token of a layer spec. */
export type LayerSpec =
  | { type: "dense"; units: number }
  | { type: "conv"; filters: number; size: number; stride: number; pad: number }
  | { type: "maxpool"; size: number; stride: number }
  | { type: "dropout"; rate: number }
  | { type: "batchnorm" }
  | { type: "flatten" }
  | { type: "activation"; activation: ActivationName };

const USAGE = "dense(units), conv(filters,size[,stride=S][,pad=P]), maxpool(size[,stride=S]), " +
  "dropout(rate), batchnorm, flatten, relu, sigmoid, tanh, leaky-relu";

/**
 * Parses a layer spec into tokens.
 *
 * @param spec E.g. `"dense(128) relu dense(10)"`.
 * @returns The tokens in order.
 * @throws {SpecError} Naming the first bad token and what was expected.
 * @example
 * ```ts
 * import { parseSpec } from "jsr:@x/mnist-dnn/layers";
 * console.log(parseSpec("dense(64) relu dense(10)").length); // 3
 * ```
 */
export function parseSpec(spec: string): LayerSpec[] {
  if (typeof spec !== "string") {
    throw new SpecError(`Layer spec must be a string, got ${typeof spec}`);
  }
  const tokens = spec.match(/[^\s(]+(\([^)]*\))?|\S+/g) ?? [];
  if (tokens.length === 0) {
    throw new SpecError(`Layer spec is empty (expected tokens such as ${USAGE})`);
  }
  return tokens.map((token, index) => parseToken(token, index + 1));
}

function parseToken(token: string, index: number): LayerSpec {
  const fail = (why: string): never => {
    throw new SpecError(`Layer spec token ${index} "${token}": ${why}`);
  };
  const m = /^([a-z][a-z0-9-]*)(?:\((.*)\))?$/.exec(token);
  if (!m) return fail(`expected one of ${USAGE}`);
  const [, name, argText] = m;
  const args = argText === undefined || argText.trim() === ""
    ? []
    : argText.split(",").map((a) => a.trim());
  const positional: string[] = [];
  const named = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq < 0) {
      if (named.size) fail(`positional argument "${a}" after a named one`);
      positional.push(a);
    } else named.set(a.slice(0, eq).trim(), a.slice(eq + 1).trim());
  }
  const int = (what: string, text: string | undefined, min: number): number => {
    const v = Number(text);
    if (text === undefined || text === "" || !Number.isInteger(v) || v < min || v > 65536) {
      fail(`${what} must be an integer from ${min} to 65536, got ${JSON.stringify(text ?? "")}`);
    }
    return v;
  };
  const expect = (count: [number, number], keys: string[]): void => {
    if (positional.length < count[0] || positional.length > count[1]) {
      fail(
        `expected ${count[0] === count[1] ? count[0] : `${count[0]} to ${count[1]}`} ` +
          `positional argument${count[1] === 1 ? "" : "s"}, got ${positional.length}`,
      );
    }
    for (const k of named.keys()) if (!keys.includes(k)) fail(`unknown argument "${k}"`);
  };
  switch (name) {
    case "dense":
      expect([1, 1], []);
      return { type: "dense", units: int("units", positional[0], 1) };
    case "conv": {
      expect([2, 4], ["stride", "pad"]);
      const size = int("kernel size", positional[1], 1);
      const stride = int("stride", named.get("stride") ?? positional[2] ?? "1", 1);
      const padText = named.get("pad") ?? positional[3] ?? "0";
      if (padText === "same" && size % 2 === 0) fail(`pad=same needs an odd kernel size`);
      const pad = padText === "same" ? (size - 1) / 2 : int("pad", padText, 0);
      if (pad >= size) fail(`pad must be smaller than the kernel size ${size}, got ${pad}`);
      return { type: "conv", filters: int("filters", positional[0], 1), size, stride, pad };
    }
    case "maxpool": {
      expect([1, 2], ["stride"]);
      const size = int("size", positional[0], 1);
      const stride = int("stride", named.get("stride") ?? positional[1] ?? String(size), 1);
      return { type: "maxpool", size, stride };
    }
    case "dropout": {
      expect([1, 1], []);
      const rate = Number(positional[0]);
      if (positional[0] === "" || !(rate >= 0 && rate < 1)) {
        fail(`rate must be a number in [0, 1), got ${JSON.stringify(positional[0])}`);
      }
      return { type: "dropout", rate };
    }
    case "batchnorm":
    case "flatten":
      expect([0, 0], []);
      return { type: name };
    default:
      if ((ACTIVATION_NAMES as readonly string[]).includes(name)) {
        expect([0, 0], []);
        return { type: "activation", activation: name as ActivationName };
      }
      return fail(`unknown layer "${name}" (expected one of ${USAGE})`);
  }
}

/**
 * Builds the layers of a spec for a per-sample input shape, inferring every
 * shape and fusing an activation into the dense or conv layer before it.
 *
 * @param tokens Parsed spec.
 * @param inputShape Per-sample input, `[features]` or `[height, width, channels]`.
 * @param kernels Backend.
 * @param seed Seed of the dropout masks.
 * @returns The layers (not yet bound to arenas).
 * @throws {SpecError} If a layer does not fit its input.
 * @example
 * ```ts
 * import { buildLayers, parseSpec } from "jsr:@x/mnist-dnn/layers";
 * import { createTsKernels } from "jsr:@x/mnist-dnn/kernels";
 * const layers = buildLayers(parseSpec("conv(8,3) relu maxpool(2) flatten dense(10)"), [28, 28, 1], createTsKernels(), 1);
 * console.log(layers.map((l) => l.outputShape.join("x")).join(" ")); // 26x26x8 13x13x8 1352 10
 * ```
 */
export function buildLayers(
  tokens: readonly LayerSpec[],
  inputShape: Shape,
  kernels: Kernels,
  seed: number,
): Layer[] {
  const layers: Layer[] = [];
  let shape = inputShape;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const next = tokens[i + 1];
    const fused = next?.type === "activation" && (t.type === "dense" || t.type === "conv")
      ? next.activation
      : undefined;
    let layer: Layer;
    try {
      switch (t.type) {
        case "dense":
          layer = new Dense(kernels, shape, t.units, fused);
          break;
        case "conv":
          layer = new Conv2d(kernels, shape, {
            filters: t.filters,
            kernelSize: t.size,
            stride: t.stride,
            padding: t.pad,
            activation: fused,
          });
          break;
        case "maxpool":
          layer = new MaxPool2d(kernels, shape, t.size, t.stride);
          break;
        case "dropout":
          layer = new Dropout(kernels, shape, t.rate, (seed * 31 + i) | 0);
          break;
        case "batchnorm":
          layer = new BatchNorm(kernels, shape);
          break;
        case "flatten":
          layer = new Flatten(kernels, shape);
          break;
        case "activation":
          layer = new Activation(kernels, shape, t.activation);
          break;
      }
    } catch (e) {
      throw new SpecError(
        `Layer spec token ${i + 1} "${specToken(t)}" does not fit its input [${shape}]: ` +
          (e as Error).message,
      );
    }
    if (fused) i++;
    layers.push(layer);
    shape = layer.outputShape;
  }
  const last = layers[layers.length - 1];
  if (!(last instanceof Dense) || last.activation !== "identity") {
    throw new SpecError(
      `Layer spec must end with a dense layer giving one logit per class (e.g. "dense(10)"), ` +
        `got "${tokens.map(specToken).join(" ")}"`,
    );
  }
  return layers;
}

/** The canonical text of one token. */
export function specToken(t: LayerSpec): string {
  switch (t.type) {
    case "dense":
      return `dense(${t.units})`;
    case "conv":
      return `conv(${t.filters},${t.size}${t.stride !== 1 ? `,stride=${t.stride}` : ""}${
        t.pad ? `,pad=${t.pad}` : ""
      })`;
    case "maxpool":
      return `maxpool(${t.size}${t.stride !== t.size ? `,stride=${t.stride}` : ""})`;
    case "dropout":
      return `dropout(${t.rate})`;
    case "activation":
      return t.activation;
    default:
      return t.type;
  }
}

/**
 * The spec of a dense stack (the `sizes` shorthand): `dense(h) act ... dense(out)`.
 *
 * @param sizes Widths, input first.
 * @param activation Hidden activation.
 * @returns The spec string.
 * @example
 * ```ts
 * import { mlpSpec } from "jsr:@x/mnist-dnn/layers";
 * console.log(mlpSpec([784, 128, 10], "relu")); // dense(128) relu dense(10)
 * ```
 */
export function mlpSpec(sizes: readonly number[], activation: ActivationName): string {
  return sizes.slice(1).map((s, i) =>
    i < sizes.length - 2 ? `dense(${s}) ${activation}` : `dense(${s})`
  )
    .join(" ");
}
