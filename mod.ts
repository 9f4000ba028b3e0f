/**
 * mnist-dnn: build, train, evaluate, save and run neural networks (dense,
 * convolutional, batch norm, dropout) on MNIST or any IDX/CSV digit data,
 * from scratch in TypeScript, with an optional native C backend for the hot
 * loops.
 *
 * This entry point is what training and using a network needs. The rest
 * has its own: `./layers` (the layer classes and the spec parser), `./data`
 * (IDX, CSV and MNIST readers, datasets, batching, augmentation), `./view`
 * (PNG, digit grids, HTML reports), `./kernels` (the compute seam and its
 * backends) and `./build` (building the native library).
 *
 * @example Train on MNIST and save the model
 * ```ts ignore
 * import { fit, loadMnist, Network, saveNetwork } from "jsr:@x/mnist-dnn";
 *
 * const { train, test } = await loadMnist();
 * const net = new Network({ sizes: [784, 128, 64, 10], activation: "relu", seed: 1 });
 * await fit(net, train, { epochs: 5, batchSize: 64, learningRate: 0.1, validationData: test });
 * console.log(net.evaluate(test).accuracy);
 * await saveNetwork(net, "mnist.safetensors");
 *
 * const cnn = Network.fromSpec(
 *   "conv(32,5,pad=2) relu maxpool(2) conv(64,5,pad=2) relu maxpool(2) flatten dense(128) relu dropout(0.5) dense(10)",
 * );
 * console.log(cnn.summary().text);
 * await fit(cnn, train, { epochs: 4, optimizer: "adam", learningRate: 1e-3, schedule: "cosine" });
 * ```
 *
 * @module
 */

// The network.
export { ACTIVATION_NAMES, MAX_PARAMETERS, MNIST_SHAPE, Network } from "./src/model/network.ts";
export type {
  Evaluation,
  Images,
  Labels,
  NetworkOptions,
  NetworkSummary,
} from "./src/model/network.ts";
export type { SummaryRow } from "./src/model/_summary.ts";
export { SpecError } from "./src/model/layers/spec.ts";
export { INIT_NAMES, type InitName } from "./src/model/initializers.ts";
export type { ActivationName, BackendName, Kernels } from "./src/kernels/kernels.ts";
export type { BackendChoice } from "./src/kernels/select.ts";

// Training.
export { fit, TrainingDivergedError } from "./src/train/fit.ts";
export type {
  BatchProgress,
  EpochMetrics,
  FitOptions,
  History,
  TrainingState,
} from "./src/train/fit.ts";
export { DEFAULT_SETTINGS, type TrainingSettings, trainingSettings } from "./src/train/settings.ts";
export type { EarlyStopping, ReduceOnPlateau } from "./src/train/early_stop.ts";
export {
  type Schedule,
  scheduleFactor,
  SCHEDULES,
  type StepOptions,
} from "./src/train/schedules.ts";
export {
  createOptimizer,
  DECAY_GROUPS,
  type DecayGroup,
  type Optimizer,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptimizerOptions,
  type ParameterTensor,
  type SgdFold,
} from "./src/model/optimizers.ts";
export { type Preset, PRESET_NAMES, presetArchitecture, PRESETS } from "./src/train/presets.ts";
export {
  type Checkpoint,
  checkpointToBytes,
  loadCheckpoint,
  saveCheckpoint,
} from "./src/train/checkpoint.ts";

// Data the loop trains on (readers for other formats: `./data`).
export { type Dataset } from "./src/data/dataset.ts";
export {
  loadMnist,
  type LoadMnistOptions,
  loadMnistTest,
  type Mnist,
  MnistNotFoundError,
} from "./src/data/mnist.ts";
export type { AugmentName, AugmentOptions } from "./src/data/augment.ts";
export type { Preprocessing } from "./src/data/pixel_transform.ts";

// Saving, exporting and serving a model.
export {
  loadNetwork,
  type LoadOptions,
  networkFromBytes,
  networkToBytes,
  saveNetwork,
} from "./src/model/model_file.ts";
export { ModelFormatError } from "./src/model/safetensors.ts";
export { networkToOnnx, saveOnnx } from "./src/export/onnx.ts";
export { digitHandler } from "./src/web/api.ts";
