// Worker side of workers_test.ts: trains a native network and posts its
// parameters back.

import { trainReference } from "./_worker_job.ts";

/** The worker's global scope, as far as this file uses it. */
const scope = self as unknown as {
  onmessage: (e: MessageEvent<{ seed: number; threads: number }>) => void;
  postMessage: (message: Float32Array) => void;
};

scope.onmessage = (e): void => scope.postMessage(trainReference(e.data.seed, e.data.threads));
