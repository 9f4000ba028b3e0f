// PNG and PGM round trips and errors, MNIST-style preprocessing, the grid's
// pixels, and the predict command.

import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import { decodePgm, decodePng, encodePng, ImageFormatError } from "../src/view/png.ts";
import { mnistStyle } from "../src/data/digit_image.ts";
import { drawGrid, gridText } from "../src/view/grid.ts";
import { predict } from "../src/cli/predict.ts";
import { Network } from "../src/model/network.ts";
import { saveNetwork } from "../src/model/model_file.ts";
import { capture } from "./_io.ts";
import { compressZeros, PEAK_RSS_MB, runForResult } from "./_subprocess.ts";
import { skipRealMnist } from "./_mnist.ts";

Deno.test("PNG encodes and decodes grey, grey+alpha, RGB and RGBA losslessly", async () => {
  for (const channels of [1, 2, 3, 4] as const) {
    const width = 7, height = 5;
    const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37) & 255);
    const png = await encodePng({ width, height, channels, data });
    deepEqual(await decodePng(png, "x.png"), { width, height, channels, data });
  }
});

Deno.test("PNG decoding undoes the Sub, Up, Average and Paeth filters; corrupt files are refused", async () => {
  // A 3x2 RGB image with one row per filter type 1..4 can't be made by our
  // encoder (it writes filter 0), so build the scanlines by hand.
  const width = 3, height = 4, bpp = 3, stride = width * bpp;
  const pixels = Uint8Array.from({ length: stride * height }, (_, i) => (i * 53 + 7) & 255);
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const filter = y + 1; // Sub, Up, Average, Paeth
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? pixels[y * stride + i - bpp] : 0;
      const b = y ? pixels[(y - 1) * stride + i] : 0;
      const c = y && i >= bpp ? pixels[(y - 1) * stride + i - bpp] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      raw[y * (stride + 1) + 1 + i] = (pixels[y * stride + i] - predictor) & 255;
    }
  }
  const png = await encodePng({ width: stride + 1, height, channels: 1, data: raw });
  // Re-label the image: same IDAT bytes, declared as 3x4 RGB. Easier: splice our own IHDR.
  const decoded = await decodePng(withHeader(png, width, height, 8, 2, raw), "filters.png");
  deepEqual(decoded.data, pixels);
  await rejects(decodePng(new Uint8Array(10), "junk.png"), /not a PNG file/);
  const broken = png.slice();
  broken[40] ^= 0xff;
  await rejects(decodePng(broken, "bad.png"), ImageFormatError);
});

/** A PNG with the given header whose IDAT holds `raw` scanlines. */
function withHeader(
  _template: Uint8Array,
  width: number,
  height: number,
  depth: number,
  color: number,
  raw: Uint8Array,
): Uint8Array {
  const deflated = zlibStored(raw);
  const crcTable = Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Uint8Array): number => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(12 + data.length), v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    v.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13), v = new DataView(ihdr.buffer);
  v.setUint32(0, width), v.setUint32(4, height), ihdr[8] = depth, ihdr[9] = color;
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflated),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** zlib with one stored (uncompressed) deflate block and its Adler-32. */
function zlibStored(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + 5 + data.length + 4);
  out.set([
    0x78,
    0x01,
    1,
    data.length & 255,
    data.length >> 8,
    ~data.length & 255,
    (~data.length >> 8) & 255,
  ]);
  out.set(data, 7);
  let a = 1, b = 0;
  for (const x of data) a = (a + x) % 65521, b = (b + a) % 65521;
  new DataView(out.buffer).setUint32(7 + data.length, ((b << 16) | a) >>> 0);
  return out;
}

Deno.test("PGM P5 and P2 decode, 16-bit scaled; bad headers are ImageFormatErrors", () => {
  const p5 = new Uint8Array([...new TextEncoder().encode("P5\n# c\n2 1\n255\n"), 10, 200]);
  deepEqual(decodePgm(p5, "a.pgm").data, Uint8Array.of(10, 200));
  const wide = new Uint8Array([...new TextEncoder().encode("P5 1 1 65535 "), 0xff, 0xff]);
  deepEqual(decodePgm(wide, "w.pgm").data, Uint8Array.of(255));
  throws(() => decodePgm(new TextEncoder().encode("P6 1 1 255 x"), "c.pgm"), /magic "P6"/);
  throws(() => decodePgm(new TextEncoder().encode("P2 2 1 255 0"), "s.pgm"), /value 1/);
});

/** A dark "L" stroke on a light background, of any size and position. */
function drawL(width: number, height: number, x0: number, y0: number, s: number): Uint8Array {
  const data = new Uint8Array(width * height).fill(250);
  for (let y = 0; y < 10 * s; y++) {
    for (let t = 0; t < 2 * s; t++) data[(y0 + y) * width + x0 + t] = 5;
  }
  for (let x = 0; x < 6 * s; x++) {
    for (let t = 0; t < 2 * s; t++) data[(y0 + 10 * s - 1 - t) * width + x0 + x] = 5;
  }
  return data;
}

Deno.test("mnistStyle inverts, crops, fits 20x20 and centres: shifted or scaled digits come out alike", () => {
  const a = mnistStyle({ width: 60, height: 50, channels: 1, data: drawL(60, 50, 5, 3, 2) });
  const b = mnistStyle({ width: 60, height: 50, channels: 1, data: drawL(60, 50, 30, 20, 2) });
  const c = mnistStyle({ width: 120, height: 100, channels: 1, data: drawL(120, 100, 40, 30, 4) });
  deepEqual(a, b, "a shift changes nothing");
  let diff = 0;
  for (let i = 0; i < 784; i++) diff = Math.max(diff, Math.abs(a[i] - c[i]));
  ok(diff <= 64, `twice the size looks the same up to anti-aliasing (${diff})`);
  // White background inverted: the corners are black, the ink is bright,
  // and the ink's box is 20 pixels tall.
  equal(a[0], 0);
  const rows = Array.from(
    { length: 28 },
    (_, y) => a.subarray(y * 28, y * 28 + 28).some((v) => v > 64),
  );
  equal(rows.filter(Boolean).length, 20);
  deepEqual(
    mnistStyle({ width: 5, height: 5, channels: 1, data: new Uint8Array(25).fill(255) }),
    new Uint8Array(784),
  );
});

Deno.test("the grid draws each digit 3x with a red frame for mistakes; the terminal form too", () => {
  const pixels = new Uint8Array(4).fill(200);
  const image = drawGrid(
    [{ pixels, predicted: 1, label: 1 }, { pixels, predicted: 2, label: 3 }],
    2,
    2,
    2,
  );
  equal(image.width, 2 * (2 * 3 + 8));
  const at = (x: number, y: number): number[] =>
    Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
  deepEqual(at(4, 4), [200, 200, 200], "digit pixels, enlarged");
  deepEqual(at(14 + 1, 1), [235, 60, 50], "the mistake's frame is red");
  deepEqual(at(1, 1), [24, 24, 24], "the right answer has no frame");
  const text = gridText([{ pixels, predicted: 2, label: 3 }], 2, 2, 1);
  ok(text.includes("\x1b[31m") && text.includes("2/3 x"), "the mistake is labelled in red");
});

Deno.test({
  name: "predict: grid PNG, image files and a Kaggle submission",
  ignore: skipRealMnist,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const model = `${dir}/m.safetensors`;
      await saveNetwork(new Network({ sizes: [784, 16, 10], seed: 1, backend: "ts" }), model);
      let io = capture();
      equal(
        await predict([
          "--model",
          model,
          "--grid",
          `${dir}/g.png`,
          "--grid-size",
          "3",
          "--backend",
          "ts",
        ], io),
        0,
        io.stderr,
      );
      match(io.stdout, /wrote .*g\.png: 9 digits of MNIST test set/);
      const grid = await decodePng(await Deno.readFile(`${dir}/g.png`), "g.png");
      equal(grid.width, 3 * (28 * 3 + 8));
      const png = await encodePng({
        width: 60,
        height: 50,
        channels: 1,
        data: drawL(60, 50, 5, 3, 2),
      });
      await Deno.writeFile(`${dir}/l.png`, png);
      io = capture();
      equal(
        await predict([
          "--model",
          model,
          "--image",
          `${dir}/l.png`,
          "--image",
          `${dir}/l.png`,
          "--backend",
          "ts",
        ], io),
        0,
        io.stderr,
      );
      match(io.stdout, /l\.png: \d \d+\.\d%, \d \d+\.\d%, \d \d+\.\d%\n.*l\.png/);
      const header = ["label", ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(",");
      await Deno.writeTextFile(
        `${dir}/t.csv`,
        header.replace("label,", "") + "\n" + new Array(784).fill(0).join(",") + "\n",
      );
      io = capture();
      equal(
        await predict([
          "--model",
          model,
          "--csv",
          `${dir}/t.csv`,
          "--submission",
          `${dir}/s.csv`,
          "--backend",
          "ts",
        ], io),
        0,
        io.stderr,
      );
      match(await Deno.readTextFile(`${dir}/s.csv`), /^ImageId,Label\n1,\d\n$/);
      io = capture();
      equal(await predict(["--model", model, "--csv", `${dir}/t.csv`], io), 2);
      match(io.stderr, /--csv and --submission go together/);
      io = capture();
      equal(await predict(["--model", model, "--image", `${dir}/t.csv`, "--backend", "ts"], io), 1);
      match(io.stderr, /Cannot read PNG ".*t\.csv": not a PNG file/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The CRC-32 of PNG chunks (test copy: the encoder's own must not check itself). */
function crc(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** `png` (a 28x28 grey image) with its image data replaced by `data`: the header still says 28x28. */
function withImageData(png: Uint8Array, data: Uint8Array): Uint8Array {
  const idat = new Uint8Array(12 + data.length);
  const view = new DataView(idat.buffer);
  view.setUint32(0, data.length);
  idat.set(new TextEncoder().encode("IDAT"), 4);
  idat.set(data, 8);
  view.setUint32(8 + data.length, crc(idat.subarray(4, 8 + data.length)));
  // Signature + IHDR, the new IDAT, IEND.
  return new Uint8Array([...png.subarray(0, 33), ...idat, ...png.subarray(png.length - 12)]);
}

const blank = (): Promise<Uint8Array> =>
  encodePng({ width: 28, height: 28, channels: 1, data: new Uint8Array(784) });

Deno.test("a PNG whose image data inflates past its header's size is refused before it inflates", async () => {
  const bomb = withImageData(
    await blank(),
    await compressZeros("deflate", new Uint8Array(0), 64 << 20),
  );
  await rejects(
    () => decodePng(bomb, "bomb.png"),
    /"bomb\.png".*inflates to more than the 812 bytes its header implies/,
  );
});

Deno.test({
  name: "a 1 MB PNG that inflates to 1 GiB is refused within a second and 100 MB of RSS",
  ignore: Deno.build.os !== "linux", // peak RSS from /proc
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const bomb = withImageData(
        await blank(),
        await compressZeros("deflate", new Uint8Array(0), 2 ** 30),
      );
      await Deno.writeFile(`${dir}/bomb.png`, bomb);
      const pngModule = new URL("../src/view/png.ts", import.meta.url).href;
      const { message, ms, extraMB, size } = await runForResult<
        { message: string; ms: number; extraMB: number; size: number }
      >(`import { decodePng } from "${pngModule}";
        const bytes = await Deno.readFile("${dir}/bomb.png");
        const before = ${PEAK_RSS_MB}, start = performance.now();
        const message = await decodePng(bytes, "bomb.png").then(() => "decoded", (e) => e.message);
        const ms = performance.now() - start;
        console.log("RESULT " + JSON.stringify({ message, ms, extraMB: ${PEAK_RSS_MB} - before, size: bytes.length }));`);
      match(message, /"bomb\.png": the image data inflates to more than the 812 bytes/);
      ok(size < 2 << 20, `the bomb is small (${size} bytes)`);
      ok(ms < 1000, `refused after ${ms.toFixed(0)} ms`);
      ok(extraMB < 100, `${extraMB.toFixed(0)} MB of extra peak RSS`);
      console.log(`  refused in ${ms.toFixed(1)} ms, ${extraMB.toFixed(1)} MB extra peak RSS`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
