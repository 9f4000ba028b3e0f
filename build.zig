//! Builds the native kernels: native/*.c -> zig-out/lib/libmnist_dnn.{so,dylib,dll}.
//!
//!   zig build -Doptimize=ReleaseFast     the shared library
//!   zig build test                       C tests: optimized vs naive kernels
//!   zig build test -Dsanitize=true       the same under UBSan, plus ASan+UBSan
//!                                        with the system C compiler when found
//!   zig build -Dtarget=aarch64-linux     cross-compile (any supported target)
//!   zig build prebuilt                   the library for every platform the
//!                                        package ships, into native/prebuilt/
const std = @import("std");

const sources = [_][]const u8{
    "native/gemm.c",
    "native/gemm_naive.c",
    "native/gemv.c",
    "native/gemm_avx512_8x32.c",
    "native/gemm_avx2_6x16.c",
    "native/gemm_generic_4x16.c",
    "native/gemm_neon_8x12.c",
    "native/gemm_wasm_simd128.c",
    "native/gemm_pack_avx2.c",
    "native/gemm_pack_v4.c",
    "native/nn.c",
    "native/gather.c",
    "native/optim.c",
    "native/mlp.c",
    "native/conv.c",
    "native/maxpool.c",
    "native/norm.c",
    "native/dropout.c",
    "native/augment.c",
    "native/threads.c",
    "native/library.c",
};

const flags = [_][]const u8{
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-fvisibility=hidden",
    // 64-byte vector helpers are all static: no ABI crosses a boundary.
    "-Wno-psabi",
    // Keep IEEE semantics (NaN checks, no reassociation): speed comes from
    // explicit SIMD and blocking, not from relaxed math.
    "-fno-fast-math",
};

/// The platforms the package ships a library for (committed under
/// native/prebuilt/, loaded when nothing was built). Linux links against
/// glibc 2.17 (2012) so that most distributions load it; the CPU is each
/// architecture's baseline: the GEMM picks AVX2 or AVX-512 at run time.
const prebuilt = [_]struct { triple: []const u8, dir: []const u8 }{
    .{ .triple = "x86_64-linux-gnu.2.17", .dir = "linux-x86_64" },
    .{ .triple = "aarch64-linux-gnu.2.17", .dir = "linux-aarch64" },
    .{ .triple = "x86_64-macos", .dir = "darwin-x86_64" },
    .{ .triple = "aarch64-macos", .dir = "darwin-aarch64" },
    .{ .triple = "x86_64-windows-gnu", .dir = "windows-x86_64" },
};

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const sanitize = b.option(bool, "sanitize", "Run the C tests with UBSan (and ASan via the system cc)") orelse false;

    const lib_mod = b.createModule(.{
        .target = target,
        .optimize = optimize,
        .link_libc = true,
        .sanitize_c = .off,
    });
    lib_mod.addIncludePath(b.path("native"));
    lib_mod.addCSourceFiles(.{ .files = &sources, .flags = &flags });
    const lib = b.addLibrary(.{ .linkage = .dynamic, .name = "mnist_dnn", .root_module = lib_mod });
    b.installArtifact(lib);

    // WebAssembly (SIMD128): the same kernels for `--backend wasm`, with a
    // fixed 256 MiB memory so that views of it never detach.
    const wasm_mod = b.createModule(.{
        .target = b.resolveTargetQuery(.{
            .cpu_arch = .wasm32,
            .os_tag = .wasi,
            .cpu_features_add = std.Target.wasm.featureSet(&.{ .simd128, .bulk_memory }),
        }),
        .optimize = .ReleaseFast,
        .link_libc = true,
    });
    wasm_mod.addIncludePath(b.path("native"));
    wasm_mod.addCSourceFiles(.{ .files = &sources, .flags = &flags });
    const wasm = b.addExecutable(.{ .name = "mnist_dnn", .root_module = wasm_mod });
    wasm.entry = .disabled;
    wasm.wasi_exec_model = .reactor;
    wasm.rdynamic = true;
    wasm.initial_memory = 256 * 1024 * 1024;
    wasm.max_memory = 256 * 1024 * 1024;
    wasm.export_memory = true;
    wasm.root_module.strip = true;
    // The module is committed (the package ships it and imports it as a Wasm
    // module); `zig build wasm` rewrites it, and CI checks it is unchanged.
    const wasm_update = b.addUpdateSourceFiles();
    wasm_update.addCopyFileToSource(wasm.getEmittedBin(), "src/kernels/mnist_dnn.wasm");
    b.step("wasm", "Rebuild src/kernels/mnist_dnn.wasm (the WebAssembly backend)").dependOn(&wasm_update.step);

    // Every shipped platform from any host; stripped, so that the bytes do
    // not depend on where the checkout lives (CI rebuilds and compares them).
    const prebuilt_update = b.addUpdateSourceFiles();
    for (prebuilt) |platform| {
        const query = std.Target.Query.parse(.{ .arch_os_abi = platform.triple }) catch
            @panic("bad prebuilt target triple");
        const mod = b.createModule(.{
            .target = b.resolveTargetQuery(query),
            .optimize = .ReleaseFast,
            .link_libc = true,
            .strip = true,
            .sanitize_c = .off,
        });
        mod.addIncludePath(b.path("native"));
        mod.addCSourceFiles(.{ .files = &sources, .flags = &flags });
        const shipped = b.addLibrary(.{ .linkage = .dynamic, .name = "mnist_dnn", .root_module = mod });
        const file = b.fmt("native/prebuilt/{s}/{s}", .{ platform.dir, shipped.out_filename });
        prebuilt_update.addCopyFileToSource(shipped.getEmittedBin(), file);
    }
    b.step("prebuilt", "Rebuild native/prebuilt/*/ (the library for every shipped platform)")
        .dependOn(&prebuilt_update.step);

    const test_mod = b.createModule(.{
        .target = target,
        .optimize = if (sanitize) .Debug else optimize,
        .link_libc = true,
        .sanitize_c = if (sanitize) .full else .off,
    });
    test_mod.addIncludePath(b.path("native"));
    test_mod.addCSourceFiles(.{ .files = &sources, .flags = &flags });
    test_mod.addCSourceFiles(.{ .files = &.{"native/kernels_test.c"}, .flags = &flags });
    const test_exe = b.addExecutable(.{ .name = "kernels_test", .root_module = test_mod });
    const test_step = b.step("test", "Run the C kernel tests (optimized vs naive over a size sweep)");
    test_step.dependOn(&b.addRunArtifact(test_exe).step);

    // Zig ships no AddressSanitizer runtime; the system compiler usually does.
    if (sanitize) {
        if (b.findProgram(&.{ "cc", "clang", "gcc" }, &.{})) |cc| {
            const asan = b.addSystemCommand(&.{ cc, "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1", "-Inative", "-pthread" });
            asan.addArgs(&flags);
            for (sources) |file| asan.addFileArg(b.path(file));
            asan.addFileArg(b.path("native/kernels_test.c"));
            asan.addArgs(&.{ "-lm", "-o" });
            const exe = asan.addOutputFileArg("kernels_test_asan");
            const run = std.Build.Step.Run.create(b, "run kernels_test under ASan+UBSan");
            run.addFileArg(exe);
            test_step.dependOn(&run.step);
        } else |_| {}
    }
}
