// A sanity check of an ELF shared library before dlopen: a truncated file
// (an interrupted copy) maps pages past its end, and the first touch of
// them kills the process with SIGBUS instead of raising an error. Every
// header table and loadable segment must lie inside the file.

/**
 * Why the ELF file `bytes` cannot be a complete library, or undefined when
 * it looks whole (or is not ELF: other formats are left to the loader).
 */
export function elfProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c) {
    return undefined;
  }
  const size = bytes.length;
  if (bytes[3] !== 0x46 || bytes[4] !== 2 || bytes[5] !== 1) {
    return "it is not a 64-bit little-endian ELF file";
  }
  if (size < 64) return `its ${size} bytes end inside the ELF header`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const u64 = (at: number): number => Number(view.getBigUint64(at, true));
  const phoff = u64(0x20), shoff = u64(0x28);
  const phentsize = view.getUint16(0x36, true), phnum = view.getUint16(0x38, true);
  const shentsize = view.getUint16(0x3a, true), shnum = view.getUint16(0x3c, true);
  if (phoff + phnum * phentsize > size) return "its program headers lie past its end";
  if (shnum > 0 && shoff + shnum * shentsize > size) return "its section headers lie past its end";
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== 1) continue; // PT_LOAD only
    const offset = u64(at + 0x08), fileSize = u64(at + 0x20);
    if (offset + fileSize > size) {
      return `its loadable segment ${i} ends at byte ${offset + fileSize}, past its ${size} bytes`;
    }
  }
  return undefined;
}
