// Loads a built library with dlopen as Deno's FFI does, checks its ABI
// version and runs one GEMM through it: the test of a prebuilt library on a
// platform Deno cannot run here (aarch64 Linux under qemu-user).
// Usage: load_library LIBRARY; prints "abi N gemm OK" and exits 0.
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

typedef int32_t (*abi_fn)(void);
typedef void (*gemm_fn)(int32_t, int32_t, int32_t, int32_t, int32_t, float,
                        const float *, const float *, float, float *);

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: load_library LIBRARY\n"), 2;
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) return fprintf(stderr, "dlopen: %s\n", dlerror()), 1;
  abi_fn abi = (abi_fn)dlsym(lib, "mnd_abi_version");
  gemm_fn gemm = (gemm_fn)dlsym(lib, "mnd_gemm");
  if (!abi || !gemm) return fprintf(stderr, "missing symbols\n"), 1;
  // (2x3)(3x2): [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};
  float c[4] = {0};
  gemm(0, 0, 2, 2, 3, 1.0f, a, b, 0.0f, c);
  int ok = c[0] == 58 && c[1] == 64 && c[2] == 139 && c[3] == 154;
  printf("abi %d gemm %s\n", (int)abi(), ok ? "OK" : "WRONG");
  return ok ? 0 : 1;
}
