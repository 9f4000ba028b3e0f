/**
 * ONNX export: a network as an ONNX model (opset 17, IR version 8) that
 * onnxruntime and other runtimes run with our predictions.
 *
 * The graph takes `pixels`, float32 `[N, P]`: each image's raw pixel values
 * (0..255, row-major, channels last, as the datasets hold them; N is dynamic),
 * applies the model's preprocessing, and gives two outputs: `logits`
 * `[N, classes]` and `probabilities` (their softmax). Dense layers become
 * `Gemm`, convolutions `Conv` on NCHW (the export reorders the weights and
 * transposes activations where our NHWC layout meets them), max pooling
 * `MaxPool`, batch norm its inference form, activations their operators;
 * dropout disappears.
 *
 * @module
 */

import { Message } from "./_protobuf.ts";
import { affineOf } from "../data/pixel_transform.ts";
import type { Network } from "../model/network.ts";
import { Dense } from "../model/layers/dense.ts";
import { Conv2d } from "../model/layers/conv2d.ts";
import { MaxPool2d } from "../model/layers/maxpool2d.ts";
import { BATCH_NORM_EPS, BatchNorm } from "../model/layers/batchnorm.ts";
import { Activation } from "../model/layers/activation.ts";
import { Dropout } from "../model/layers/dropout.ts";
import { Flatten } from "../model/layers/flatten.ts";
import type { Layer, Shape } from "../model/layers/layer.ts";
import { type ActivationName, LEAKY_RELU_SLOPE } from "../kernels/kernels.ts";
import { writeFileAtomic } from "../_atomic.ts";
import meta from "../../deno.json" with { type: "json" };

/** The ONNX operator set the export targets. */
export const ONNX_OPSET = 17;
/** The ONNX IR version written (the one that goes with opset 17). */
export const ONNX_IR_VERSION = 8;

// Field numbers of onnx.proto and its enums (only those written here).
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7 };
const MODEL_OPSET = 8, MODEL_METADATA = 14;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 };
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 };
const ATTR = { name: 1, f: 2, i: 3, ints: 8, type: 20 };
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS = 7;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 };
const FLOAT = 1, INT64 = 7;

type Attribute = number | number[] | { float: number };

/** Builds the nodes and initializers of one graph. */
class Graph {
  readonly nodes: Message[] = [];
  readonly initializers: Message[] = [];
  #names = new Map<string, number>();

  /** A fresh value name with `stem` as its prefix. */
  name(stem: string): string {
    const n = (this.#names.get(stem) ?? 0) + 1;
    this.#names.set(stem, n);
    return `${stem}_${n}`;
  }

  /** A float32 initializer. */
  floats(stem: string, dims: readonly number[], data: Float32Array): string {
    const bytes = new Uint8Array(data.length * 4);
    const view = new DataView(bytes.buffer);
    data.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.#tensor(stem, dims, FLOAT, bytes);
  }

  /** An int64 initializer. */
  int64s(stem: string, values: readonly number[]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    return this.#tensor(stem, [values.length], INT64, bytes);
  }

  #tensor(stem: string, dims: readonly number[], type: number, raw: Uint8Array): string {
    const name = this.name(stem);
    const tensor = new Message();
    for (const d of dims) tensor.int(TENSOR.dims, d);
    this.initializers.push(
      tensor.int(TENSOR.dataType, type).string(TENSOR.name, name).bytes(TENSOR.rawData, raw),
    );
    return name;
  }

  /** Appends an `op` node; returns its output's name (`output` when given). */
  node(
    op: string,
    inputs: string[],
    attributes: Record<string, Attribute> = {},
    output: string = this.name(op.toLowerCase()),
  ): string {
    const node = new Message();
    for (const input of inputs) node.string(NODE.input, input);
    node.string(NODE.output, output).string(NODE.name, `${output}_node`).string(NODE.opType, op);
    for (const [name, value] of Object.entries(attributes)) {
      const attribute = new Message().string(ATTR.name, name);
      if (typeof value === "number") attribute.int(ATTR.i, value).int(ATTR.type, ATTR_INT);
      else if (Array.isArray(value)) {
        for (const v of value) attribute.int(ATTR.ints, v);
        attribute.int(ATTR.type, ATTR_INTS);
      } else attribute.float(ATTR.f, value.float).int(ATTR.type, ATTR_FLOAT);
      node.message(NODE.attribute, attribute);
    }
    this.nodes.push(node);
    return output;
  }
}

/** Where a value stands: flat `[N, features]` in NHWC order, or `[N, C, H, W]`. */
type Layout = "flat" | "nchw";

/** A value of the graph and its layout. */
interface Value {
  name: string;
  layout: Layout;
}

function toNchw(g: Graph, x: Value, shape: Shape): Value {
  if (x.layout === "nchw") return x;
  const [h, w, c] = shape;
  const nhwc = g.node("Reshape", [x.name, g.int64s("shape", [-1, h, w, c])]);
  return { name: g.node("Transpose", [nhwc], { perm: [0, 3, 1, 2] }), layout: "nchw" };
}

function toFlat(g: Graph, x: Value): Value {
  if (x.layout === "flat") return x;
  const nhwc = g.node("Transpose", [x.name], { perm: [0, 2, 3, 1] });
  return { name: g.node("Flatten", [nhwc], { axis: 1 }), layout: "flat" };
}

function activate(g: Graph, x: Value, activation: ActivationName): Value {
  switch (activation) {
    case "identity":
      return x;
    case "relu":
      return { ...x, name: g.node("Relu", [x.name]) };
    case "sigmoid":
      return { ...x, name: g.node("Sigmoid", [x.name]) };
    case "tanh":
      return { ...x, name: g.node("Tanh", [x.name]) };
    case "leaky-relu":
      return { ...x, name: g.node("LeakyRelu", [x.name], { alpha: { float: LEAKY_RELU_SLOPE } }) };
  }
}

/** Conv weights from ours, `(F, k, k, C)`, to ONNX's `(F, C, k, k)`. */
function nchwWeights(w: Float32Array, f: number, k: number, c: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < f; o++) {
    for (let y = 0; y < k; y++) {
      for (let x = 0; x < k; x++) {
        for (let ch = 0; ch < c; ch++) {
          out[((o * c + ch) * k + y) * k + x] = w[((o * k + y) * k + x) * c + ch];
        }
      }
    }
  }
  return out;
}

/** Adds one layer's nodes after `x`. */
function addLayer(g: Graph, layer: Layer, x: Value): Value {
  const tensor = (name: string): Float32Array => layer.tensors().find((t) => t.name === name)!.data;
  if (layer instanceof Dense) {
    const flat = toFlat(g, x);
    const w = g.floats("weight", [layer.units, layer.inputSize], tensor("weight"));
    const b = g.floats("bias", [layer.units], tensor("bias"));
    return activate(
      g,
      { name: g.node("Gemm", [flat.name, w, b], { transB: 1 }), layout: "flat" },
      layer.activation,
    );
  }
  if (layer instanceof Conv2d) {
    const input = toNchw(g, x, layer.inputShape);
    const [k, c, f] = [layer.kernelSize, layer.inputShape[2], layer.filters];
    const w = g.floats("weight", [f, c, k, k], nchwWeights(tensor("weight"), f, k, c));
    const b = g.floats("bias", [f], tensor("bias"));
    const p = layer.padding, s = layer.stride;
    const y = g.node("Conv", [input.name, w, b], {
      kernel_shape: [k, k],
      strides: [s, s],
      pads: [p, p, p, p],
    });
    return activate(g, { name: y, layout: "nchw" }, layer.activation);
  }
  if (layer instanceof MaxPool2d) {
    const input = toNchw(g, x, layer.inputShape);
    const attributes = {
      kernel_shape: [layer.size, layer.size],
      strides: [layer.stride, layer.stride],
    };
    return { name: g.node("MaxPool", [input.name], attributes), layout: "nchw" };
  }
  if (layer instanceof BatchNorm) {
    const input = layer.inputShape.length === 3 ? toNchw(g, x, layer.inputShape) : toFlat(g, x);
    const n = layer.features;
    const params = ["weight", "bias", "running_mean", "running_var"].map((name) =>
      g.floats(name, [n], tensor(name))
    );
    const y = g.node("BatchNormalization", [input.name, ...params], {
      epsilon: { float: BATCH_NORM_EPS },
    });
    return { name: y, layout: input.layout };
  }
  if (layer instanceof Activation) return activate(g, x, layer.activation);
  if (layer instanceof Flatten) return toFlat(g, x);
  if (layer instanceof Dropout) return x; // the identity at inference
  throw new TypeError(`ONNX export: no mapping for layer kind "${layer.kind}"`);
}

function valueInfo(name: string, dims: (number | string)[]): Message {
  const shape = new Message();
  for (const d of dims) {
    shape.message(1, typeof d === "number" ? new Message().int(1, d) : new Message().string(2, d));
  }
  const tensorType = new Message().int(1, FLOAT).message(2, shape);
  return new Message().string(1, name).message(2, new Message().message(1, tensorType));
}

/**
 * Encodes a network as an ONNX model.
 *
 * @param network The network (any layer spec).
 * @returns The `.onnx` file's bytes.
 * @throws {TypeError} If a layer has no ONNX mapping (every built-in layer has one).
 * @example Export a small network and look at the bytes
 * ```ts
 * import { Network, networkToOnnx } from "jsr:@x/mnist-dnn";
 * const net = new Network({ sizes: [784, 16, 10], seed: 1, backend: "ts" });
 * const onnx = networkToOnnx(net);
 * console.log(onnx.length > 784 * 16 * 4); // true
 * ```
 */
export function networkToOnnx(network: Network): Uint8Array {
  const g = new Graph();
  const [scale, shift] = affineOf(network.preprocessing);
  const pixels = network.inputSize;
  const scaled = g.node("Mul", ["pixels", g.floats("pixel_scale", [], Float32Array.of(scale))]);
  let x: Value = {
    name: g.node("Add", [scaled, g.floats("pixel_shift", [], Float32Array.of(shift))]),
    layout: "flat",
  };
  for (const layer of network.layers) x = addLayer(g, layer, x);
  const logits = g.node("Identity", [toFlat(g, x).name], {}, "logits");
  g.node("Softmax", [logits], { axis: 1 }, "probabilities");

  const graph = new Message();
  for (const node of g.nodes) graph.message(GRAPH.node, node);
  graph.string(GRAPH.name, "mnist_dnn");
  for (const init of g.initializers) graph.message(GRAPH.initializer, init);
  graph.message(GRAPH.input, valueInfo("pixels", ["N", pixels]));
  graph.message(GRAPH.output, valueInfo("logits", ["N", network.outputSize]));
  graph.message(GRAPH.output, valueInfo("probabilities", ["N", network.outputSize]));

  const model = new Message()
    .int(MODEL.irVersion, ONNX_IR_VERSION)
    .string(MODEL.producerName, "mnist-dnn")
    .string(MODEL.producerVersion, meta.version)
    .string(
      MODEL.docString,
      `${network.spec}; input: raw pixels 0..255, [N, ${pixels}] ` +
        `(${network.inputShape.join("x")}, row-major, channels last)`,
    )
    .message(MODEL.graph, graph)
    .message(MODEL_OPSET, new Message().string(1, "").int(2, ONNX_OPSET));
  const metadata: Record<string, string> = {
    spec: network.spec,
    input_shape: network.inputShape.join(","),
    preprocessing: JSON.stringify(network.preprocessing),
    input: `pixels: float32 [N, ${pixels}], raw values 0..255 (row-major, channels last); the ` +
      `graph computes pixel * ${scale} + ${shift}`,
    output: `logits and probabilities: float32 [N, ${network.outputSize}]`,
  };
  for (const [key, value] of Object.entries(metadata)) {
    model.message(MODEL_METADATA, new Message().string(1, key).string(2, value));
  }
  return model.encode();
}

/**
 * Writes a network as an ONNX file, atomically.
 *
 * @param network The network.
 * @param path Where to write (e.g. `mnist.onnx`).
 * @returns Resolves when the file is in place.
 * @throws {TypeError} As {@link networkToOnnx}; file system errors as thrown by Deno.
 * @example
 * ```ts ignore
 * import { loadNetwork, saveOnnx } from "jsr:@x/mnist-dnn";
 * await saveOnnx(await loadNetwork("mnist.safetensors"), "mnist.onnx");
 * ```
 */
export async function saveOnnx(network: Network, path: string): Promise<void> {
  await writeFileAtomic(path, networkToOnnx(network));
}
