/**
 * The HTTP side of the draw-a-digit page: `GET /` serves the page and
 * `POST /api/predict` classifies a digit sent as JSON pixels or as a PNG.
 *
 * @module
 */

import { mnistStyle } from "../data/preprocessing.ts";
import type { Network } from "../model/network.ts";
import { decodePng, ImageFormatError } from "../view/png.ts";

/** Largest request body accepted: 1 MiB (a 280x280 canvas PNG is a few KB). */
export const MAX_BODY_BYTES = 2 ** 20;

/** The page, read once beside this module (a local file or the package's URL). */
let page: Promise<string> | undefined;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The body, refused with 413 past `MAX_BODY_BYTES` (declared or sent). */
async function readBody(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body ?? []) {
    total += chunk.length;
    if (total > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const body = new Uint8Array(total);
  chunks.reduce((at, c) => (body.set(c, at), at + c.length), 0);
  return body;
}

/** The 784 input bytes of a request: JSON `{"pixels": [...]}` or a PNG picture. */
async function inputOf(request: Request, width: number): Promise<Uint8Array> {
  const body = await readBody(request);
  const type = request.headers.get("content-type") ?? "";
  if (type.startsWith("image/png") || body[0] === 0x89) {
    try {
      return mnistStyle(await decodePng(body, "request body"));
    } catch (e) {
      if (e instanceof ImageFormatError) throw new HttpError(400, e.message);
      throw e;
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new HttpError(400, 'the body is neither JSON nor a PNG; send {"pixels": [...]}');
  }
  const pixels = (parsed as { pixels?: unknown })?.pixels;
  if (!Array.isArray(pixels) || pixels.length !== width) {
    throw new HttpError(
      400,
      `"pixels" must be an array of ${width} numbers (row-major, white ink on black), got ${
        Array.isArray(pixels) ? `${pixels.length}` : typeof pixels
      }`,
    );
  }
  const bad = pixels.findIndex((v) => typeof v !== "number" || !(v >= 0 && v <= 255));
  if (bad >= 0) {
    throw new HttpError(
      400,
      `"pixels"[${bad}] is ${JSON.stringify(pixels[bad])}; values are 0..255`,
    );
  }
  return Uint8Array.from(pixels as number[], Math.round);
}

/**
 * A request handler for the page and the prediction API, around one loaded
 * network (784-pixel, 10-or-more-class models).
 *
 * @param network The model, loaded once.
 * @returns A handler for `Deno.serve`.
 * @throws {RangeError} If the network does not take 28x28 one-channel images.
 * @example Answer one API call without a server
 * ```ts
 * import { digitHandler, Network } from "jsr:@x/mnist-dnn";
 * const handler = digitHandler(new Network({ sizes: [784, 10], backend: "ts" }));
 * const response = await handler(new Request("http://x/api/predict", {
 *   method: "POST", body: JSON.stringify({ pixels: new Array(784).fill(0) }) }));
 * console.log(response.status, (await response.json()).probabilities.length); // 200 10
 * ```
 */
export function digitHandler(network: Network): (request: Request) => Promise<Response> {
  if (network.inputSize !== 784) {
    throw new RangeError(
      `The page draws 28x28 digits; this model takes ${network.inputSize} values`,
    );
  }
  return async (request) => {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === "/" && request.method === "GET") {
        page ??= fetch(new URL("./index.html", import.meta.url)).then((r) => r.text());
        return new Response(await page, {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      }
      if (pathname !== "/api/predict") throw new HttpError(404, `no ${pathname} here; see /`);
      if (request.method !== "POST") throw new HttpError(405, "POST a digit to /api/predict");
      const input = await inputOf(request, 784);
      const probabilities = Array.from(network.predictProba(input));
      const label = probabilities.indexOf(Math.max(...probabilities));
      return json(200, { label, probabilities, input: Array.from(input) });
    } catch (e) {
      if (e instanceof HttpError) return json(e.status, { error: e.message });
      return json(500, { error: (e as Error).message });
    }
  };
}
