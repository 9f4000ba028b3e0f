/**
 * `deno task serve`: serves the draw-a-digit page and the prediction API
 * for a trained model, on 127.0.0.1 unless `--host` says otherwise.
 *
 * @module
 */

import { loadNetwork } from "../model/model_file.ts";
import { digitHandler } from "../web/api.ts";
import { intOption, type Io, processIo, runWithFlags, UsageError } from "./_io.ts";

const USAGE = `Usage: deno task serve --model FILE [--port N] [--host ADDRESS]

Serves a page where you draw a digit and watch the model's ten class
probabilities. The page downloads the model (GET /model.safetensors) and
predicts in the browser with WebAssembly; add ?server to its address to ask
the server instead. Serve only models you would hand out.

POST /api/predict: JSON {"pixels": [784 values 0..255]} (row-major, white
ink on black) or a PNG body; answers
{"label": n, "probabilities": [...], "input": [784 values the model saw]}.

Options:
  --model FILE     the model (required; 28x28 inputs)
  --port N         port, 0..65535 (default 8000; 0 picks a free one)
  --host ADDRESS   interface to listen on (default 127.0.0.1; 0.0.0.0 exposes
                   it to the network)
  --help           show this help
`;

/**
 * Runs the serve command until the process is stopped (or `signal` aborts).
 *
 * @param args Command-line arguments.
 * @param io Output streams.
 * @param signal Stops the server (tests).
 * @returns The exit code: 0 after a stop, 1 failure, 2 usage error.
 */
export function serve(args: string[], io: Io, signal?: AbortSignal): Promise<number> {
  return runWithFlags(io, USAGE, args, {
    model: { type: "string" },
    port: { type: "string", default: "8000" },
    host: { type: "string", default: "127.0.0.1" },
  }, async ({ values }) => {
    if (!values.model) throw new UsageError("--model FILE is required");
    const port = intOption("port", values.port, true, 65535);
    const network = await loadNetwork(values.model);
    let handler: (request: Request) => Promise<Response>;
    try {
      handler = digitHandler(network);
    } catch (e) {
      throw new UsageError(`--model ${values.model}: ${(e as Error).message}`);
    }
    let server: Deno.HttpServer;
    try {
      server = Deno.serve({
        hostname: values.host,
        port,
        signal,
        onListen: ({ hostname, port }) =>
          io.out(`serving ${values.model} (${network.backend}) on http://${hostname}:${port}/\n`),
      }, handler);
    } catch (e) {
      if (!(e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.AddrNotAvailable)) {
        throw e;
      }
      throw new Error(
        `--host ${values.host} --port ${port}: ${
          e instanceof Deno.errors.AddrInUse
            ? "the port is in use by another program; choose another (--port 0 takes any free one)"
            : "that address is not one of this machine's; use 127.0.0.1 or 0.0.0.0"
        }`,
        { cause: e },
      );
    }
    await server.finished;
    return 0;
  });
}

if (import.meta.main) Deno.exit(await serve(Deno.args, processIo()));
