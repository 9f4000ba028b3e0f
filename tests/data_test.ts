// IDX, gzip and CSV readers: every failure mode on tiny handmade fixtures.

import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import {
  gunzipIfNeeded,
  IdxFormatError,
  parseIdxImages,
  parseIdxLabels,
  readIdxDataset,
} from "../src/data/idx.ts";
import { CsvFormatError, parseDigitCsv, readDigitCsv } from "../src/data/csv.ts";
import { splitDataset, subset } from "../src/data/dataset.ts";
import { Batcher } from "../src/data/batcher.ts";
import { pixelStatistics } from "../src/data/pixel_transform.ts";
import { createTsKernels } from "../src/kernels/ts_kernels.ts";

import { compressZeros, PEAK_RSS_MB, runForResult } from "./_subprocess.ts";
const dir = new URL("./testdata/", import.meta.url).pathname;
const read = (name: string): Uint8Array => Deno.readFileSync(dir + name);

Deno.test("readIdxDataset() reads raw and gzip files to the same dataset", async () => {
  const raw = await readIdxDataset(dir + "tiny-images-idx3-ubyte", dir + "tiny-labels-idx1-ubyte");
  const gz = await readIdxDataset(
    dir + "tiny-images-idx3-ubyte.gz",
    dir + "tiny-labels-idx1-ubyte.gz",
  );
  equal(raw.count, 3);
  equal(raw.rows, 2);
  equal(raw.cols, 2);
  deepEqual([...raw.images], [0, 255, 128, 7, 1, 2, 3, 4, 9, 8, 7, 6]);
  deepEqual([...raw.labels!], [7, 0, 9]);
  deepEqual(gz, raw);
});

Deno.test("parseIdxImages() names the file and both magics when given a label file", () => {
  throws(() => parseIdxImages(read("tiny-labels-idx1-ubyte"), "x.idx"), (e: Error) => {
    equal(e instanceof IdxFormatError, true);
    match(e.message, /"x\.idx".*0x00000801.*label file.*expected 0x00000803/);
    return true;
  });
});

Deno.test("parseIdxLabels() rejects an image file by magic", () => {
  throws(
    () => parseIdxLabels(read("tiny-images-idx3-ubyte"), "l"),
    /0x00000803.*expected 0x00000801/,
  );
});

Deno.test("IDX reader rejects truncated, trailing, short-header and empty files", () => {
  throws(() => parseIdxImages(read("truncated-images-idx3-ubyte"), "t"), /truncated/);
  throws(() => parseIdxImages(read("trailing-images-idx3-ubyte"), "t"), /trailing bytes/);
  throws(() => parseIdxImages(read("short-header-idx3-ubyte"), "t"), /header needs 16 bytes/);
  throws(() => parseIdxImages(new Uint8Array(0), "t"), /fewer than the 4-byte magic/);
  throws(() => parseIdxImages(new TextEncoder().encode("PK\x03\x04zip"), "t"), /not an IDX file/);
});

Deno.test("readIdxDataset() rejects mismatched counts and out-of-range labels", async () => {
  await rejects(
    readIdxDataset(dir + "tiny-images-idx3-ubyte", dir + "two-labels-idx1-ubyte"),
    /holds 3 images but .* holds 2 labels/,
  );
  await rejects(
    readIdxDataset(dir + "tiny-images-idx3-ubyte", dir + "bad-label-idx1-ubyte"),
    /label 10 at index 1 is not one of the 10 classes/,
  );
});

Deno.test("gunzipIfNeeded() reports corrupt gzip data with the file name", async () => {
  await rejects(gunzipIfNeeded(read("corrupt.gz"), "corrupt.gz"), (e: Error) => {
    equal(e instanceof IdxFormatError, true);
    match(e.message, /"corrupt\.gz".*corrupt or truncated/);
    return true;
  });
});

Deno.test("parseDigitCsv() reads labelled CSV with CRLF and blank lines", async () => {
  const data = await readDigitCsv(dir + "digits.csv");
  const idx = await readIdxDataset(dir + "tiny-images-idx3-ubyte", dir + "tiny-labels-idx1-ubyte");
  deepEqual(data, {
    ...idx,
    images: new Uint8Array(idx.images),
    labels: new Uint8Array(idx.labels!),
  });
});

Deno.test("parseDigitCsv() accepts a file without labels for prediction", async () => {
  const data = await readDigitCsv(dir + "digits-unlabelled.csv");
  equal(data.labels, null);
  equal(data.count, 2);
  deepEqual([...data.images], [0, 255, 128, 7, 1, 2, 3, 4]);
});

Deno.test("parseDigitCsv() names file, line and field for each bad value", () => {
  const bad = (text: string, pattern: RegExp): void => {
    throws(() => parseDigitCsv(text, "d.csv"), (e: Error) => {
      equal(e instanceof CsvFormatError, true);
      match(e.message, pattern);
      return true;
    });
  };
  bad("1,2,3\n", /line 1 must be a header/);
  bad("label,p0,p1\n1,2\n", /line 2: 2 fields but the header has 3/);
  bad("label,p0\n1,2,3\n", /line 2: more fields than the 2/);
  bad("label,p0\n1,256\n", /line 2, field "p0": pixel 256 is above 255/);
  bad("label,p0\n1,x\n", /line 2, field "p0": expected an integer/);
  bad("label,p0\n12,1\n", /field "label": label 12 is not one of the 10 classes/);
  bad("label,p0\n1,-1\n", /expected an integer/);
  bad("label\n1\n", /names no pixel column/);
});

Deno.test("subset() and splitDataset() partition samples without loss", () => {
  const data = {
    images: Uint8Array.from({ length: 20 }, (_, i) => i),
    labels: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    count: 10,
    rows: 1,
    cols: 2,
  };
  const { train, validation } = splitDataset(data, 3, 5);
  equal(train.count + validation.count, 10);
  const seen = [...train.labels!, ...validation.labels!].sort();
  deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  deepEqual(splitDataset(data, 3, 5), { train, validation });
  deepEqual([...subset(data, [9]).images], [18, 19]);
  throws(() => subset(data, [10]), RangeError);
  throws(() => splitDataset(data, 11, 1), RangeError);
});

Deno.test("Batcher covers every sample once per epoch and reshuffles deterministically", () => {
  const count = 103;
  const data = {
    images: Uint8Array.from({ length: count }, (_, i) => i),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count,
    rows: 1,
    cols: 1,
  };
  const orders: number[][] = [];
  for (const seed of [4, 4]) {
    const b = new Batcher(data, createTsKernels(), {
      batchSize: 10,
      seed,
      preprocessing: { mean: 0, std: 1 },
    });
    const input = b.input;
    for (let epoch = 0; epoch < 2; epoch++) {
      const seen: number[] = [];
      b.startEpoch();
      for (let n = b.next(); n > 0; n = b.next()) {
        for (let i = 0; i < n; i++) seen.push(Math.round(b.input[i] * 255));
        equal(b.input, input); // the same buffer every batch
      }
      deepEqual([...seen].sort((x, y) => x - y), Array.from({ length: count }, (_, i) => i));
      orders.push(seen);
    }
  }
  deepEqual(orders[0], orders[2]);
  deepEqual(orders[1], orders[3]);
  throws(
    () => new Batcher({ ...data, labels: null }, createTsKernels(), { batchSize: 1 }),
    TypeError,
  );
  throws(() => new Batcher(data, createTsKernels(), { batchSize: 0 }), RangeError);
});

Deno.test("pixelStatistics() gives the mean and std of scaled pixels", () => {
  const p = pixelStatistics({
    images: new Uint8Array([0, 0, 255, 255]),
    labels: null,
    count: 4,
    rows: 1,
    cols: 1,
  });
  deepEqual(p, { mean: 0.5, std: 0.5 });
});

Deno.test("data reads are bounded: devices are refused, gzip stops at the size its IDX header declares", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const labels = new URL("./testdata/tiny-labels-idx1-ubyte", import.meta.url).pathname;
    if (Deno.build.os !== "windows") {
      await Deno.symlink("/dev/zero", `${dir}/zero-idx3-ubyte`);
      await rejects(
        () => readIdxDataset(`${dir}/zero-idx3-ubyte`, labels),
        /"[^"]*zero-idx3-ubyte": it is not a regular file/,
      );
    }
    await rejects(() => readIdxDataset(dir, labels), /it is not a regular file/);
    // 16 header bytes declaring 2 images of 2x2 (24 bytes in all), then 8 MiB of zeros.
    const body = new Uint8Array(16 + (8 << 20));
    body.set([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]);
    const gz = new Uint8Array(
      await new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    ok(gz.length < 100_000, `the bomb is small (${gz.length} bytes)`);
    await rejects(
      () => gunzipIfNeeded(gz, "bomb.gz"),
      (e: Error) => {
        equal(e.name, "IdxFormatError");
        match(
          e.message,
          /"bomb\.gz": it inflates to more than the 24 bytes its IDX header declares/,
        );
        return true;
      },
    );
    const exact = body.subarray(0, 24);
    const small = new Uint8Array(
      await new Response(new Blob([exact]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    deepEqual(await gunzipIfNeeded(small, "ok.gz"), exact);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseDigitCsv() reads lines ended by CR alone, LF or CRLF alike", () => {
  for (const eol of ["\r", "\n", "\r\n"]) {
    const data = parseDigitCsv(
      ["label,pixel0,pixel1", "3,0,255", "7,10,20", ""].join(eol),
      "x.csv",
    );
    equal(data.count, 2, JSON.stringify(eol));
    deepEqual([...data.labels!], [3, 7]);
    deepEqual([...data.images], [0, 255, 10, 20]);
  }
});

Deno.test("gunzipIfNeeded() reads multi-member gzip files, bounded as a whole", async () => {
  const gzip = async (b: Uint8Array): Promise<Uint8Array> =>
    new Uint8Array(
      await new Response(
        new Blob([b as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
          new CompressionStream("gzip"),
        ),
      )
        .arrayBuffer(),
    );
  const join = (...parts: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) out.set(p, at), at += p.length;
    return out;
  };
  // An IDX label file (8-byte header declaring 6 labels) split over three members.
  const file = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6);
  const members = join(
    await gzip(file.subarray(0, 5)),
    await gzip(file.subarray(5, 9)),
    await gzip(file.subarray(9)),
  );
  deepEqual(await gunzipIfNeeded(members, "multi.gz"), file);
  // The bound spans the members: one extra member past the declared size is refused.
  const longer = join(members, await gzip(new Uint8Array(1000)));
  await rejects(
    () => gunzipIfNeeded(longer, "multi.gz"),
    /inflates to more than the 14 bytes its IDX header declares/,
  );
  await rejects(
    () => gunzipIfNeeded(members.subarray(0, members.length - 3), "cut.gz"),
    /corrupt or truncated/,
  );
});

Deno.test("parseDigitCsv() rejects a line that starts with CR (it used to loop forever)", () => {
  throws(
    () => parseDigitCsv("label,p0,p1\n\r,0,255\r\n0,1,2\n", "x.csv"),
    /"x\.csv" line 2, field "label": expected an integer 0\.\.255/,
  );
});

Deno.test({
  name: "a gzip IDX file declaring 47 MB that inflates to 1 GiB is refused under 200 MB peak RSS",
  ignore: Deno.build.os !== "linux", // peak RSS from /proc
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      // 60,000 images of 28x28 declared: 47,040,016 bytes; then 1 GiB of zeros.
      const header = Uint8Array.of(0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28);
      await Deno.writeFile(
        `${dir}/bomb-idx3-ubyte.gz`,
        await compressZeros("gzip", header, 2 ** 30),
      );
      const idx = new URL("../src/data/idx.ts", import.meta.url).href;
      const { message, peakMB, size } = await runForResult<
        { message: string; peakMB: number; size: number }
      >(`import { gunzipIfNeeded } from "${idx}";
        const bytes = await Deno.readFile("${dir}/bomb-idx3-ubyte.gz");
        const message = await gunzipIfNeeded(bytes, "bomb").then(() => "loaded", (e) => e.message);
        console.log("RESULT " + JSON.stringify({ message, peakMB: ${PEAK_RSS_MB}, size: bytes.length }));`);
      match(message, /inflates to more than the 47040016 bytes its IDX header declares/);
      ok(size < 2 << 20, `the bomb is small (${size} bytes)`);
      ok(peakMB < 200, `peak RSS ${peakMB.toFixed(0)} MB`);
      console.log(`  peak RSS ${peakMB.toFixed(0)} MB for a ${size}-byte bomb`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
