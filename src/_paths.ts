// Paths shared by the data and native-library loaders: the per-user cache
// directory (where downloads and built libraries go when the package is
// used outside its checkout) and file URLs as OS paths.

/**
 * The per-user cache directory of this package: `$MNIST_DNN_CACHE` when set,
 * else the OS's cache location plus `mnist-dnn` (`$XDG_CACHE_HOME` or
 * `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
 * Windows). Undefined without `--allow-env` or a home directory.
 */
export function userCacheDir(): string | undefined {
  try {
    const env = (name: string): string | undefined => Deno.env.get(name) || undefined;
    const override = env("MNIST_DNN_CACHE");
    if (override) return override;
    const home = env("HOME");
    const base = Deno.build.os === "windows"
      ? env("LOCALAPPDATA")
      : Deno.build.os === "darwin"
      ? home && `${home}/Library/Caches`
      : env("XDG_CACHE_HOME") ?? (home && `${home}/.cache`);
    return base && `${base}/mnist-dnn`;
  } catch {
    return undefined; // no --allow-env
  }
}

/** The OS path of a `file:` URL ("/C:/x" becomes "C:/x" on Windows). */
export function filePath(url: URL): string {
  if (url.protocol !== "file:") throw new TypeError(`${url.href} is not a file: URL`);
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.slice(1) : path;
}
