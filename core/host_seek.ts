/**
 * Finding the holes of sparse host files (`lseek` with `SEEK_DATA` and
 * `SEEK_HOLE`, as qemu-img uses them), so that copying a mostly empty 4 GiB
 * raw image does not read 4 GiB of zeros, and reserving blocks without
 * writing them (`fallocate`, for qemu-img's `preallocation=falloc`). Deno has no such seek, so this goes
 * through libc by FFI; where FFI is not allowed or libc is not found, every
 * byte counts as data and callers read it.
 *
 * @module
 */

const SEEK_DATA = 3, SEEK_HOLE = 4;

type Libc = Deno.DynamicLibrary<{
  open: { parameters: ["buffer", "i32"]; result: "i32" };
  lseek: { parameters: ["i32", "i64", "i32"]; result: "i64" };
  close: { parameters: ["i32"]; result: "i32" };
  posix_fallocate: { parameters: ["i32", "i64", "i64"]; result: "i32" };
}>;

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    libc = Deno.dlopen(Deno.build.os === "darwin" ? "libc.dylib" : "libc.so.6", {
      open: { parameters: ["buffer", "i32"], result: "i32" },
      lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
      close: { parameters: ["i32"], result: "i32" },
      posix_fallocate: { parameters: ["i32", "i64", "i64"], result: "i32" },
    });
  } catch {
    libc = null;
  }
  return libc;
}

/**
 * A read-only descriptor of a host file that answers "where does the next
 * data or hole start".
 *
 * @example
 * ```ts ignore
 * const s = SparseMap.open("disk.raw");
 * console.log(s?.segment(0, 1 << 30)); // { data: false, end: 1073741824 }
 * s?.close();
 * ```
 */
export class SparseMap {
  private constructor(private readonly lib: Libc, readonly fd: number) {}

  /** Opens `path`, or returns undefined if holes cannot be found on this host. */
  static open(path: string): SparseMap | undefined {
    const lib = loadLibc();
    if (!lib) return undefined;
    const fd = lib.symbols.open(new TextEncoder().encode(path + "\0"), 0);
    return fd < 0 ? undefined : new SparseMap(lib, fd);
  }

  /** Whether `offset` is in data or a hole, and where that run ends (at most `limit`). */
  segment(offset: number, limit: number): { data: boolean; end: number } {
    const seek = (whence: number) =>
      Number(this.lib.symbols.lseek(this.fd, BigInt(offset), whence));
    const nextData = seek(SEEK_DATA);
    if (nextData < 0) return { data: false, end: limit }; // only a hole up to the end
    if (nextData > offset) return { data: false, end: Math.min(nextData, limit) };
    const hole = seek(SEEK_HOLE);
    return { data: true, end: Math.min(hole < 0 ? limit : hole, limit) };
  }

  /** Closes the descriptor. */
  close(): void {
    this.lib.symbols.close(this.fd);
  }
}

/**
 * Moves the offset of the host's descriptor `fd` to `offset` (SEEK_SET). That offset belongs
 * to the open file, which the shell that started Denemu shares (`{ a; emu user prog; b; } > f`),
 * so the guest's seeks must move it as the kernel would. False where libc cannot be reached.
 *
 * @example
 * ```ts ignore
 * seekHostFd(1, 0); // stdout, a regular file, rewound
 * ```
 */
export function seekHostFd(fd: number, offset: number): boolean {
  const lib = loadLibc();
  return !!lib && Number(lib.symbols.lseek(fd, BigInt(offset), 0)) === offset;
}

/**
 * Reserves host blocks for bytes [offset, offset+length) of the file at
 * `path` without writing them (`posix_fallocate`, as qemu-img's
 * `preallocation=falloc`); the file grows to cover them. Returns 0, the
 * error number (28: no space), or -1 where libc cannot be reached.
 *
 * @example
 * ```ts ignore
 * fallocateHost("disk.raw", 0, 1 << 20); // 1 MiB of blocks, read as zeros
 * ```
 */
export function fallocateHost(path: string, offset: number, length: number): number {
  const lib = loadLibc();
  if (!lib || Deno.build.os !== "linux") return -1;
  const O_WRONLY = 1;
  const fd = lib.symbols.open(new TextEncoder().encode(path + "\0"), O_WRONLY);
  if (fd < 0) return -1;
  const err = lib.symbols.posix_fallocate(fd, BigInt(offset), BigInt(length));
  lib.symbols.close(fd);
  return err;
}
