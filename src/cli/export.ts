/**
 * `deno task export`: writes a saved model as an ONNX file that onnxruntime
 * (and any ONNX runtime) runs with our predictions.
 *
 * @module
 */

import { loadNetwork } from "../model/model_file.ts";
import { ONNX_OPSET, saveOnnx } from "../export/onnx.ts";
import { type Io, processIo, runWithFlags, UsageError } from "./_io.ts";
import { checkPaths } from "./_output.ts";

const USAGE = `Usage: deno task export --model FILE --onnx OUT

Writes a saved model as ONNX (opset ${ONNX_OPSET}). The graph takes "pixels", float32
[N, pixels] raw values 0..255 (row-major, channels last, as in MNIST), applies
the model's preprocessing, and outputs "logits" and "probabilities".

Options:
  --model FILE   the model to export (required; e.g. mnist.safetensors)
  --onnx OUT     where to write the ONNX file (required; e.g. mnist.onnx)
  --help         show this help
`;

/**
 * Runs the export command.
 *
 * @param args Command-line arguments.
 * @param io Output streams.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 */
export function exportModel(args: string[], io: Io): Promise<number> {
  return runWithFlags(io, USAGE, args, {
    model: { type: "string" },
    onnx: { type: "string" },
  }, async ({ values }) => {
    if (!values.model) throw new UsageError("--model FILE is required");
    if (values.onnx === undefined) throw new UsageError("--onnx OUT is required");
    await checkPaths({ onnx: values.onnx }, { model: values.model });
    const network = await loadNetwork(values.model, { backend: "ts" });
    await saveOnnx(network, values.onnx);
    const { size } = await Deno.stat(values.onnx);
    io.out(
      `wrote ${values.onnx} (${size} bytes, ONNX opset ${ONNX_OPSET}): ${network.spec}\n` +
        `input "pixels" float32 [N, ${network.inputSize}] (0..255); outputs "logits" and ` +
        `"probabilities" float32 [N, ${network.outputSize}]\n`,
    );
    return 0;
  });
}

if (import.meta.main) Deno.exit(await exportModel(Deno.args, processIo()));
