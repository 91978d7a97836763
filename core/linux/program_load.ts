/**
 * Loading a Linux program into a fresh process, as the kernel's ELF loader
 * does: the program's segments, the break, the stack with argv, envp and
 * the auxiliary vector, the dynamic loader (PT_INTERP), and the
 * signal-return trampoline.
 *
 * @module
 */

import { readInputFile } from "../host_files.ts";
import { EmuError } from "../errors.ts";
import { E, SysError } from "./errno.ts";
import { type ElfFile, ET_DYN, parseElf } from "../elf.ts";
import type { GuestMemory } from "../guest_memory.ts";
import {
  AT,
  BRK_RESERVE,
  buildStack,
  imageFile,
  loadAnywhere,
  loadImage,
  mapStack,
  mapTrampoline,
  wantsExecStack,
} from "./loader.ts";
import { pageUp } from "./mm.ts";
import { requireReservedFit } from "./reserved_va.ts";
import { logBinaryLoad } from "./page_log.ts";
import type { LinuxProcess, LinuxProcessOptions } from "./process.ts";

/**
 * Maps `elf` (at host path `realProg`) and its interpreter (`interpBytes`,
 * else read from its path) into `p`, builds the initial stack and points
 * the CPU at the entry. A program that does not fit in the guest's memory
 * ceiling is an {@linkcode EmuError}.
 *
 * @example
 * ```ts ignore
 * loadProgram(p, parseElf(bytes, name), "/abs/prog", { program: name, args: [] });
 * ```
 */
export function loadProgram(
  p: LinuxProcess,
  elf: ElfFile,
  realProg: string,
  opts: LinuxProcessOptions,
  interpBytes?: Uint8Array,
): void {
  try {
    mapProgram(p, elf, realProg, opts, interpBytes);
  } catch (e) {
    if (!(e instanceof SysError && e.errno === E.ENOMEM)) throw e;
    // QEMU's words when the stack misses the -R space (which it exits 255 for)
    if (p.as.topDown) throw new EmuError("mmap stack: Cannot allocate memory", "reserve more (-R)");
    throw new EmuError(
      `${opts.program}: its image and stack do not fit in the guest's memory ceiling ` +
        `(${p.as.memoryLimit} bytes)`,
      "raise the ceiling (emu user --max-memory, emu fuzz -m)",
    );
  }
}

function mapProgram(
  p: LinuxProcess,
  elf: ElfFile,
  realProg: string,
  opts: LinuxProcessOptions,
  interpBytes?: Uint8Array,
): void {
  const name = opts.program;
  const target = p.cpu.target;

  // Program, break, stack, interpreter, trampoline.
  const as = p.as;
  const file = imageFile(p.paths.toGuest(realProg), realProg);
  if (as.topDown) requireReservedFit(elf, as.limit, name);
  const main = elf.type === ET_DYN
    ? loadAnywhere(as, elf, file, as.topDown ? BRK_RESERVE : 0n)
    : loadImage(as, elf, 0n, file);
  p.loadBias = main.bias;
  p.modules.add(realProg, elf, main.bias, "user");
  const brk = pageUp(main.end);
  if (as.topDown) {
    // the break's room stays free while the stack, the interpreter and the trampoline are placed
    as.startLayout(brk, as.mmapBase, as.mmapNext);
    as.held = { lo: brk, hi: brk + BRK_RESERVE };
  } else {
    as.startLayout(brk, brk + BRK_RESERVE > as.mmapBase ? pageUp(brk + BRK_RESERVE) : as.mmapBase);
  }
  const stackTop = mapStack(as, wantsExecStack(elf));
  let entry = main.entry, interpBase = 0n;
  if (elf.interp) {
    let ipath: string, ibytes: Uint8Array;
    try {
      ipath = p.paths.toHost(elf.interp); // under --root: ENOENT for a link out of the root
      ibytes = interpBytes ?? readInputFile(ipath);
    } catch {
      throw new EmuError(
        `${name}: cannot open its interpreter ${elf.interp}`,
        `pass the guest's library directory with -L (e.g. -L ${p.abi.defaultSysroot})`,
      );
    }
    const ielf = parseElf(ibytes, elf.interp);
    if (ielf.machine !== elf.machine || ielf.elfClass !== elf.elfClass) {
      throw new EmuError(`${elf.interp}: interpreter is for a different machine`);
    }
    const img = loadAnywhere(as, ielf, imageFile(elf.interp, ipath));
    interpBase = img.bias;
    p.modules.add(ipath, ielf, img.bias, "user");
    entry = img.entry;
  }
  p.trampoline = mapTrampoline(as, p.abi.sigreturnTrampoline);
  as.held = { lo: 0n, hi: 0n };

  const ids = hostIds();
  const auxv: [number, bigint][] = [
    [AT.PHDR, main.phdr],
    [AT.PHENT, BigInt(elf.phentsize)],
    [AT.PHNUM, BigInt(elf.phnum)],
    [AT.PAGESZ, 4096n],
    [AT.BASE, interpBase],
    [AT.FLAGS, 0n],
    [AT.ENTRY, main.entry],
    [AT.UID, BigInt(ids.uid)],
    [AT.EUID, BigInt(ids.uid)],
    [AT.GID, BigInt(ids.gid)],
    [AT.EGID, BigInt(ids.gid)],
    [AT.HWCAP, p.abi.hwcap],
    [AT.CLKTCK, 100n],
  ];
  if (p.abi.hwcap2 !== undefined) auxv.push([AT.HWCAP2, p.abi.hwcap2]);
  const argv = [opts.argv0 ?? name, ...(opts.args ?? [])];
  p.cmdline = new TextEncoder().encode(argv.map((a) => a + "\0").join(""));
  const sp = buildStack(p.mem, stackTop, target.xlen === 64 ? 8 : 4, {
    argv,
    env: opts.env ?? [],
    execfn: name,
    random: p.random.bytes(16),
    auxv,
    platform: p.abi.platform,
  });
  p.cpu.setGlobal(p.abi.spReg, sp);
  p.auxv = readAuxv(p.mem, sp, target.xlen / 8);
  p.cpu.pc = entry;
  const envc = opts.env?.length ?? 0;
  logBinaryLoad(p, { elf, bias: main.bias, entry, sp, argc: argv.length, envc });
}

/** The id a guest sees when Deno may not read the host's (Linux's overflowuid). */
const OVERFLOW_ID = 65534;

/**
 * The host's uid/gid (QEMU passes them through); without `--allow-sys`
 * Denemu does not ask for them and reports 65534 (nobody), as Linux does
 * for ids it cannot map.
 */
export function hostIds(): { uid: number; gid: number } {
  const granted = (kind: "uid" | "gid") =>
    Deno.permissions.querySync({ name: "sys", kind }).state === "granted";
  return {
    uid: granted("uid") ? Deno.uid() ?? 0 : OVERFLOW_ID,
    gid: granted("gid") ? Deno.gid() ?? 0 : OVERFLOW_ID,
  };
}

/** The auxiliary vector of a fresh stack at `sp`: after argc, argv, envp, up to and with AT_NULL. */
function readAuxv(mem: GuestMemory, sp: bigint, ptrSize: number): Uint8Array {
  const word = (at: bigint) => mem.load(at, ptrSize, false);
  let at = sp + BigInt(ptrSize) * (word(sp) + 2n); // argc, argv[], NULL
  while (word(at) !== 0n) at += BigInt(ptrSize); // envp[]
  const start = at += BigInt(ptrSize);
  while (word(at) !== 0n) at += BigInt(2 * ptrSize);
  return mem.readBytes(start, Number(at - start) + 2 * ptrSize);
}
