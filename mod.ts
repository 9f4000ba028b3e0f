/**
 * mnist-dnn: build, train, evaluate, save and run neural networks (dense,
 * convolutional, batch norm, dropout) on MNIST or any IDX/CSV digit data,
 * from scratch in TypeScript, with an optional native C backend for the hot
 * loops.
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

export { Network } from "./src/model/network.ts";
export type {
  Evaluation,
  Images,
  Labels,
  NetworkOptions,
  NetworkSummary,
} from "./src/model/network.ts";
export { ACTIVATION_NAMES, MAX_PARAMETERS, MNIST_SHAPE } from "./src/model/network.ts";
export type { SummaryRow } from "./src/model/_summary.ts";
export {
  buildLayers,
  type LayerSpec,
  mlpSpec,
  parseSpec,
  SpecError,
} from "./src/model/layers/spec.ts";
export {
  type GradientTarget,
  Layer,
  type LayerTensor,
  type Shape,
} from "./src/model/layers/layer.ts";
export { Dense } from "./src/model/layers/dense.ts";
export { Conv2d, type Conv2dOptions, convGeometry } from "./src/model/layers/conv2d.ts";
export { MaxPool2d } from "./src/model/layers/maxpool2d.ts";
export { BatchNorm } from "./src/model/layers/batchnorm.ts";
export { Dropout } from "./src/model/layers/dropout.ts";
export { Flatten } from "./src/model/layers/flatten.ts";
export { Activation } from "./src/model/layers/activation.ts";
export { type Preset, PRESET_NAMES, presetArchitecture, PRESETS } from "./src/train/presets.ts";
export { INIT_NAMES, type InitName } from "./src/model/initializers.ts";
export {
  createOptimizer,
  type Optimizer,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptimizerOptions,
} from "./src/model/optimizers.ts";
export {
  loadNetwork,
  type LoadOptions,
  MODEL_FORMAT_VERSION,
  networkFromBytes,
  networkToBytes,
  saveNetwork,
} from "./src/model/model_file.ts";
export { ModelFormatError } from "./src/model/safetensors.ts";
export {
  decodePgm,
  decodePng,
  encodePng,
  ImageFormatError,
  type RasterImage,
} from "./src/view/png.ts";
export { digitHandler, MAX_BODY_BYTES } from "./src/web/api.ts";
export { renderReport, type ReportInput, reportTestSet } from "./src/view/report.ts";
export { drawGrid, type GridCell, gridText } from "./src/view/grid.ts";
export { type DigitLayout, mnistStyle, toGrey } from "./src/data/digit_image.ts";
export { networkToOnnx, ONNX_IR_VERSION, ONNX_OPSET, saveOnnx } from "./src/export/onnx.ts";
export { fit, SAMPLE_CHUNK, TrainingDivergedError } from "./src/train/fit.ts";
export type { EarlyStopping, ReduceOnPlateau } from "./src/train/early_stop.ts";
export type {
  BatchProgress,
  EpochMetrics,
  FitOptions,
  History,
  TrainingState,
} from "./src/train/fit.ts";
export {
  type Schedule,
  scheduleFactor,
  SCHEDULES,
  type StepOptions,
} from "./src/train/schedules.ts";
export {
  checkDataset,
  classCount,
  type Dataset,
  splitDataset,
  subset,
} from "./src/data/dataset.ts";
export {
  findIdxFile,
  IDX_SPLIT_FILES,
  type IdxDirectory,
  type IdxSplit,
  loadIdxDir,
} from "./src/data/idx_dir.ts";
export {
  IdxFormatError,
  makeIdxDataset,
  parseIdxImages,
  parseIdxLabels,
  readIdxDataset,
} from "./src/data/idx.ts";
export type { IdxImages } from "./src/data/idx.ts";
export { CsvFormatError, parseDigitCsv, readDigitCsv } from "./src/data/csv.ts";
export {
  loadMnist,
  type LoadMnistOptions,
  loadMnistTest,
  type Mnist,
  MNIST_FILES,
  MNIST_MIRRORS,
  MNIST_SOURCES,
  type MnistFile,
  MnistNotFoundError,
  type MnistSource,
} from "./src/data/mnist.ts";
export {
  AUGMENT_NAMES,
  AUGMENTATIONS,
  type AugmentName,
  type AugmentOptions,
  augmentParams,
} from "./src/data/augment.ts";
export { Batcher, type BatcherOptions } from "./src/data/batcher.ts";
export { pixelStatistics, type Preprocessing } from "./src/data/pixel_transform.ts";
export type { ActivationName, BackendName, Kernels } from "./src/kernels/kernels.ts";
export type { BackendChoice } from "./src/kernels/select.ts";
export { Random } from "./src/random.ts";
