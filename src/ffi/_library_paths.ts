// Where the native library is looked for and installed: its file name on
// this OS and its place in the per-user cache (one per package version).

import { userCacheDir } from "../_paths.ts";
import meta from "../../deno.json" with { type: "json" };

/** File name of the shared library on this OS. */
export function libraryFileName(): string {
  switch (Deno.build.os) {
    case "windows":
      return "mnist_dnn.dll";
    case "darwin":
      return "libmnist_dnn.dylib";
    default:
      return "libmnist_dnn.so";
  }
}

/** Where a built library of this package version lives in the per-user cache. */
export function cachedLibraryPath(): string | undefined {
  const cache = userCacheDir();
  return cache && `${cache}/native/${meta.version}/${libraryFileName()}`;
}
