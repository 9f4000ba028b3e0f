// Argument checks shared by every backend: a wrong size is a RangeError
// before any memory is touched, so no kernel can read or write out of bounds.

/** Throws unless `n` is a non-negative integer. */
export function checkDim(op: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${n}`);
  }
}

/** Throws unless `array` holds at least `need` elements. */
export function checkLength(
  op: string,
  name: string,
  array: ArrayLike<number>,
  need: number,
): void {
  if (array.length < need) {
    throw new RangeError(
      `${op}: ${name} has ${array.length} elements but the shape needs ${need}`,
    );
  }
}

/** Throws unless `code` names a known activation. */
export function checkActivation(op: string, code: number): void {
  if (!Number.isInteger(code) || code < 0 || code > 4) {
    throw new RangeError(`${op}: unknown activation code ${code} (expected 0..4)`);
  }
}

/** Checks every GEMM argument (see `Kernels.gemm`). */
export function checkGemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  checkDim("gemm", "m", m);
  checkDim("gemm", "n", n);
  checkDim("gemm", "k", k);
  checkLength("gemm", "A", a, m * k);
  checkLength("gemm", "B", b, k * n);
  checkLength("gemm", "C", c, m * n);
}

/** Checks the arrays of an optimizer step all hold `n` values. */
export function checkStep(op: string, n: number, arrays: Record<string, Float32Array>): void {
  checkDim(op, "n", n);
  for (const [name, array] of Object.entries(arrays)) checkLength(op, name, array, n);
}

/** Checks labels of a softmax/cross-entropy call are valid class indices. */
export function checkLabels(labels: Int32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < cols)) {
      throw new RangeError(
        `softmaxCrossEntropy: label ${y} at row ${i} is outside the ${cols} classes`,
      );
    }
  }
}

/** Checks batch-gather indices address whole samples inside `pixels`. */
export function checkGather(
  out: Float32Array,
  outLabels: Int32Array | null,
  pixels: Uint8Array,
  labels: Uint8Array | null,
  indices: Int32Array,
  count: number,
  features: number,
): void {
  checkDim("gatherBatch", "count", count);
  checkDim("gatherBatch", "features", features);
  checkLength("gatherBatch", "indices", indices, count);
  checkLength("gatherBatch", "out", out, count * features);
  if (outLabels) checkLength("gatherBatch", "outLabels", outLabels, count);
  const samples = features === 0 ? 0 : Math.floor(pixels.length / features);
  const limit = labels && outLabels ? Math.min(samples, labels.length) : samples;
  for (let i = 0; i < count; i++) {
    const s = indices[i];
    if (!(s >= 0 && s < limit)) {
      throw new RangeError(
        `gatherBatch: index ${s} at position ${i} is outside the ${limit} samples`,
      );
    }
  }
}

// ---- one check per Kernels operation, shared by every backend ----------------

/** Checks `biasActivationForward` arguments. */
export function checkBiasActivation(
  x: Float32Array,
  bias: Float32Array,
  rows: number,
  cols: number,
  activation: number,
): void {
  checkMatrix("biasActivationForward", "x", x, rows, cols);
  checkLength("biasActivationForward", "bias", bias, cols);
  checkActivation("biasActivationForward", activation);
}

/** Checks `activationBackward` arguments. */
export function checkActivationBackward(
  grad: Float32Array,
  out: Float32Array,
  n: number,
  activation: number,
): void {
  checkStep("activationBackward", n, { grad, out });
  checkActivation("activationBackward", activation);
}

/** Checks `softmaxCrossEntropy` arguments, labels included. */
export function checkSoftmaxCrossEntropy(
  logits: Float32Array,
  labels: Int32Array,
  grad: Float32Array,
  rows: number,
  cols: number,
  stats: Float64Array,
): void {
  const op = "softmaxCrossEntropy";
  checkMatrix(op, "logits", logits, rows, cols);
  checkLength(op, "grad", grad, rows * cols);
  checkLength(op, "labels", labels, rows);
  checkLength(op, "stats", stats, 2);
  checkLabels(labels, rows, cols);
}

/** Checks that `x` holds a (rows, cols) matrix with valid dimensions. */
export function checkMatrix(
  op: string,
  name: string,
  x: Float32Array,
  rows: number,
  cols: number,
): void {
  checkDim(op, "rows", rows);
  checkDim(op, "cols", cols);
  checkLength(op, name, x, rows * cols);
}
