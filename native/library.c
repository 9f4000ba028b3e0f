// The library's own functions: ABI version, alignment, the instruction-set
// table the GEMM dispatches through, the CPU count and the worker-pool size
// (threads.c runs the pool and counts the CPUs), and the wasm module's allocator.
#include "gemm_internal.h"
#include "kernels.h"
#include "threads.h"

#include <stdint.h>
#include <stdlib.h>

MND_API int32_t mnd_abi_version(void) { return MND_ABI_VERSION; }

MND_API int32_t mnd_misalignment(const void *p) {
  return (int32_t)((uintptr_t)p % 64);
}

// ---- instruction sets ----------------------------------------------------------

#if defined(__x86_64__)
#include <cpuid.h>

// CPUID says what the core implements; XGETBV says whether the OS saves the
// matching register state (YMM: XCR0 bits 1-2; ZMM and mask: bits 5-7).
static int cpu_supports(int32_t isa) {
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, 0) < 7 || !__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
  if (!osxsave || !avx || !fma)
    return 0;
  unsigned xcr0_lo, xcr0_hi;
  __asm__ __volatile__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  (void)xcr0_hi;
  if ((xcr0_lo & 0x6) != 0x6)
    return 0;
  __cpuid_count(7, 0, a, b, c, d);
  if (isa == MND_ISA_AVX2)
    return (b >> 5) & 1;
  return ((b >> 16) & 1) && (xcr0_lo & 0xe6) == 0xe6;
}
static int has_avx512(void) { return cpu_supports(MND_ISA_AVX512); }
static int has_avx2(void) { return cpu_supports(MND_ISA_AVX2); }
#endif
static int always(void) { return 1; }

// The micro-kernels this build holds, best first. The rule: the GEMM runs
// the first entry the CPU supports, starting from the requested ISA's entry
// (from the top for MND_ISA_BEST or an ISA this build lacks), so a request
// the CPU cannot honour falls to the next best. The generic kernel ends
// every table and runs anywhere (on wasm, the SIMD128 kernel is the only one).
static const struct {
  const mnd_ukernel *kernel;
  int (*available)(void);
} ISA_TABLE[] = {
#if defined(__x86_64__)
    {&mnd_ukernel_avx512, has_avx512},
    {&mnd_ukernel_avx2, has_avx2},
#elif defined(__aarch64__)
    {&mnd_ukernel_neon, always}, // every aarch64 core has NEON
#endif
#if defined(__wasm__)
    {&mnd_ukernel_wasm, always},
#else
    {&mnd_ukernel_generic, always},
#endif
};
#define ISA_ENTRIES ((int32_t)(sizeof ISA_TABLE / sizeof ISA_TABLE[0]))

static const mnd_ukernel *kernel_for(int32_t isa) {
  int32_t start = 0;
  for (int32_t i = 0; i < ISA_ENTRIES; i++)
    if (ISA_TABLE[i].kernel->isa == isa) {
      start = i;
      break;
    }
  for (int32_t i = start; i < ISA_ENTRIES; i++)
    if (ISA_TABLE[i].available())
      return ISA_TABLE[i].kernel;
  return ISA_TABLE[ISA_ENTRIES - 1].kernel;
}

static const mnd_ukernel *active;

const mnd_ukernel *mnd_ukernel_active(void) {
  if (!active)
    active = kernel_for(MND_ISA_BEST);
  return active;
}

MND_API int32_t mnd_isa(void) { return mnd_ukernel_active()->isa; }

MND_API int32_t mnd_force_isa(int32_t isa) {
  active = kernel_for(isa);
  return active->isa;
}

// ---- threads -------------------------------------------------------------------

MND_API int32_t mnd_cpu_count(void) { return mnd_pool_cpu_count(); }

MND_API int32_t mnd_set_threads(int32_t threads) {
  return mnd_pool_resize(threads);
}

MND_API int32_t mnd_threads(void) { return mnd_pool_size(); }

MND_API int32_t mnd_pool_solo_spells(void) { return mnd_pool_solo_count(); }

// ---- the wasm module's memory ------------------------------------------------

#if defined(__wasm__)
// The loader's allocator: 64-byte aligned blocks of the module's memory.
MND_API void *mnd_wasm_alloc(int32_t bytes) {
  return aligned_alloc(64, ((size_t)(bytes > 0 ? bytes : 1) + 63) & ~(size_t)63);
}
MND_API void mnd_wasm_free(void *p) { free(p); }
#endif
