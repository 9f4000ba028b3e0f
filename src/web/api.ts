/**
 * The HTTP side of the draw-a-digit page: `GET /` serves the page,
 * `GET /app.js` and `GET /model.safetensors` what the page needs to predict
 * in the browser (WebAssembly), and `POST /api/predict` classifies a digit
 * sent as JSON pixels or as a PNG (the page's fallback, and an API).
 *
 * @module
 */

import { mnistStyle } from "../data/digit_image.ts";
import { networkToBytes } from "../model/model_file.ts";
import type { Network } from "../model/network.ts";
import { decodePng, ImageFormatError } from "../view/png.ts";
import { checkDigitNetwork, classifyDigit } from "./_digit.ts";

/** Largest request body accepted: 1 MiB (a 280x280 canvas PNG is a few KB). */
export const MAX_BODY_BYTES = 2 ** 20;

/**
 * Largest picture decoded for a prediction: 1 megapixel (a digit needs
 * 28x28; the page sends 280x280). Checked in the PNG header before any
 * pixel is decoded. A 1024x1024 RGBA picture takes about 140 ms to decode
 * and classify, a 2048x2048 one 455 ms: the bound keeps one request from
 * holding the server's other clients long.
 */
export const MAX_REQUEST_PIXELS = 2 ** 20;

/** Files served beside the page, read once from beside this module (a local file or the package's URL). */
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "./index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "./app.js", type: "text/javascript; charset=utf-8" },
};
const staticBodies = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

function staticFile(pathname: string): Promise<Response> | undefined {
  const served = STATIC_FILES[pathname];
  if (!served) return undefined;
  let body = staticBodies.get(pathname);
  if (!body) {
    body = fetch(new URL(served.file, import.meta.url)).then(async (r) => {
      if (!r.ok) throw new Error(`${served.file}: ${r.status} ${r.statusText}`);
      return new Uint8Array(await r.arrayBuffer());
    });
    // A failed read is not kept: the next request tries again.
    body.catch(() => staticBodies.delete(pathname));
    staticBodies.set(pathname, body);
  }
  return body.then((bytes) =>
    new Response(bytes, { headers: { "content-type": served.type, "cache-control": "no-cache" } })
  );
}

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
  const tooLarge = async (): Promise<never> => {
    // Not read further: the 413 closes the connection instead of draining the rest.
    await request.body?.cancel().catch(() => {});
    throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
  };
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) await tooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body?.getReader();
  for (;;) {
    const { done, value } = await reader?.read() ?? { done: true, value: undefined };
    if (done) break;
    total += value.length;
    if (total > MAX_BODY_BYTES) {
      reader!.releaseLock();
      await tooLarge();
    }
    chunks.push(value);
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
      return mnistStyle(await decodePng(body, "request body", MAX_REQUEST_PIXELS));
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
 * network (784-pixel, 10-or-more-class models). The page downloads the model
 * (`GET /model.safetensors`) to predict in the browser, so serve only models
 * you would hand out.
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
  checkDigitNetwork(network);
  let model: Uint8Array<ArrayBuffer> | undefined;
  return async (request) => {
    const { pathname } = new URL(request.url);
    try {
      if (request.method === "GET" || request.method === "HEAD") {
        let response = await staticFile(pathname);
        if (!response && pathname === "/model.safetensors") {
          model ??= networkToBytes(network) as Uint8Array<ArrayBuffer>;
          response = new Response(model, {
            headers: { "content-type": "application/octet-stream", "cache-control": "no-cache" },
          });
        }
        // HEAD: the same status and headers, no body.
        if (response && request.method === "HEAD") {
          await response.body?.cancel();
          return new Response(null, { status: response.status, headers: response.headers });
        }
        if (response) return response;
      }
      if (pathname !== "/api/predict") throw new HttpError(404, `no ${pathname} here; see /`);
      if (request.method !== "POST") throw new HttpError(405, "POST a digit to /api/predict");
      return json(200, classifyDigit(network, await inputOf(request, 784)));
    } catch (e) {
      if (e instanceof HttpError) {
        const response = json(e.status, { error: e.message });
        if (e.status === 413) response.headers.set("connection", "close");
        return response;
      }
      return json(500, { error: (e as Error).message });
    }
  };
}
