// Argument checks shared by every backend, one per Kernels operation: a
// wrong element type is a TypeError and a wrong size a RangeError, raised
// before any memory is touched, so no kernel can read or write out of
// bounds or reinterpret bytes (a Uint8Array passed as Int32Array labels).

type ArrayType =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor;

/** Throws unless `n` is a non-negative 32-bit integer. */
export function checkDim(op: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new RangeError(`${op}: ${name} must be a non-negative 32-bit integer, got ${n}`);
  }
}

/**
 * The intrinsic `length` getter of typed arrays: a subclass (Node's
 * `Buffer` is one) may shadow `length`, but not the memory FFI passes on.
 */
const typedLength = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  "length",
)!.get!;

/** Throws unless `array` is a `type` holding at least `need` elements. */
export function checkArray(
  op: string,
  name: string,
  array: unknown,
  type: ArrayType,
  need: number,
): void {
  if (!(array instanceof type)) {
    const got = array === null ? "null" : (array as object)?.constructor?.name ?? typeof array;
    throw new TypeError(`${op}: ${name} must be a ${type.name}, got ${got}`);
  }
  const length = typedLength.call(array) as number;
  if (length < need) {
    throw new RangeError(`${op}: ${name} has ${length} elements but the shape needs ${need}`);
  }
}

/** Throws unless `array` is a Float32Array of at least `need` elements. */
export function checkLength(op: string, name: string, array: unknown, need: number): void {
  checkArray(op, name, array, Float32Array, need);
}

/** Throws unless `code` names a known activation. */
export function checkActivation(op: string, code: number): void {
  if (!Number.isInteger(code) || code < 0 || code > 4) {
    throw new RangeError(`${op}: unknown activation code ${code} (expected 0..4)`);
  }
}

/** Throws unless `value` is a finite number. */
export function checkFinite(op: string, name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(`${op}: ${name} must be a finite number, got ${value}`);
  }
}

/** Checks the arrays of an elementwise or optimizer step all hold `n` floats. */
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
  checkDim(op, "rows * cols", rows * cols);
  checkLength(op, name, x, rows * cols);
}

/**
 * Checks a convolution/pooling geometry (see `ConvGeometry`) and returns
 * the element counts of its input (B*H*W*C) and output positions
 * (B*OH*OW).
 */
export function checkGeometry(op: string, geom: Int32Array): { input: number; positions: number } {
  checkArray(op, "geom", geom, Int32Array, 9);
  const [b, h, w, c, k, s, p, oh, ow] = geom;
  if (!(b >= 0 && h >= 1 && w >= 1 && c >= 1 && k >= 1 && s >= 1 && p >= 0 && p < k)) {
    throw new RangeError(
      `${op}: geometry [${[...geom.subarray(0, 9)]}] needs batch >= 0, sizes >= 1 and ` +
        `0 <= padding < window`,
    );
  }
  if (
    oh !== Math.floor((h + 2 * p - k) / s) + 1 || ow !== Math.floor((w + 2 * p - k) / s) + 1 ||
    oh < 1 || ow < 1
  ) {
    throw new RangeError(
      `${op}: geometry [${[...geom.subarray(0, 9)]}] has output ${oh}x${ow}, ` +
        `expected (size + 2 * padding - window) / stride + 1 >= 1`,
    );
  }
  const input = b * h * w * c, positions = b * oh * ow;
  checkDim(op, "input size", input);
  checkDim(op, "im2col size", positions * k * k * c);
  return { input, positions };
}

/** Throws unless `value` is a 32-bit integer (signed or unsigned). */
export function checkInt32(op: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
    throw new RangeError(`${op}: ${name} must be a 32-bit integer, got ${value}`);
  }
}
