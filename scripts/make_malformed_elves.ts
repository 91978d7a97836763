// Generates tests/malformed/*.elf from the small valid static guest tests/guests/bin/exit42.static.O2
// (no libc; exits 42) plus tests/malformed/malformed.json describing what is wrong with each file.
// An emulator given any of them should print a one-line error and exit 1.
//   deno run -A scripts/make_malformed_elves.ts
// SPDX-License-Identifier: GPL-3.0-or-later
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SEED = join(REPO, "tests/guests/bin/exit42.static.O2");
const OUT = join(REPO, "tests/malformed");

const PT_LOAD = 1;
const PT_INTERP = 3;
const EM_X86_64 = 62;

const seed = await Deno.readFile(SEED);
// The same program linked as a static PIE (ET_DYN): loaded anywhere, so p_align matters.
const seedPie = await Deno.readFile(join(REPO, "tests/guests/bin/exit42.staticpie.O2"));

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

interface Phdr {
  index: number;
  at: number; // file offset of this program header
  type: number;
}

function phdrs(b: Uint8Array): Phdr[] {
  const v = view(b);
  const phoff = Number(v.getBigUint64(0x20, true));
  const entsize = v.getUint16(0x36, true);
  const num = v.getUint16(0x38, true);
  const out: Phdr[] = [];
  for (let i = 0; i < num; i++) {
    const at = phoff + i * entsize;
    out.push({ index: i, at, type: v.getUint32(at, true) });
  }
  return out;
}

function loads(b: Uint8Array): Phdr[] {
  return phdrs(b).filter((p) => p.type === PT_LOAD);
}

// Program header field offsets (ELF64).
const P_OFFSET = 8, P_VADDR = 16, P_PADDR = 24, P_FILESZ = 32, P_MEMSZ = 40, P_ALIGN = 48;

function u64(b: Uint8Array, at: number): bigint {
  return view(b).getBigUint64(at, true);
}
function setU64(b: Uint8Array, at: number, val: bigint) {
  view(b).setBigUint64(at, val, true);
}

function copy(): Uint8Array {
  return new Uint8Array(seed);
}

const cases: { file: string; problem: string; make: () => Uint8Array }[] = [
  { file: "empty.elf", problem: "zero-length file", make: () => new Uint8Array(0) },
  {
    file: "truncated_header.elf",
    problem: "file ends inside the 64-byte ELF header",
    make: () => seed.slice(0, 40),
  },
  {
    file: "bad_magic.elf",
    problem: "bad magic (\\x7fXLF instead of \\x7fELF)",
    make: () => {
      const b = copy();
      b[1] = 0x58;
      return b;
    },
  },
  {
    file: "elf32_class.elf",
    problem: "wrong class: EI_CLASS says ELF32",
    make: () => {
      const b = copy();
      b[4] = 1;
      return b;
    },
  },
  {
    file: "wrong_machine.elf",
    problem: "wrong machine: e_machine is x86-64 (62), not RISC-V (243)",
    make: () => {
      const b = copy();
      view(b).setUint16(0x12, EM_X86_64, true);
      return b;
    },
  },
  {
    file: "phdrs_out_of_bounds.elf",
    problem: "program header table extends past end of file",
    make: () => {
      const b = copy();
      setU64(b, 0x20, BigInt(b.length - 16));
      return b;
    },
  },
  {
    file: "filesz_gt_memsz.elf",
    problem: "PT_LOAD segment with p_filesz > p_memsz",
    make: () => {
      const b = copy();
      const p = loads(b)[0];
      setU64(b, p.at + P_FILESZ, u64(b, p.at + P_MEMSZ) + 0x100n);
      return b;
    },
  },
  {
    file: "offset_past_eof.elf",
    problem: "PT_LOAD segment file offset past end of file",
    make: () => {
      const b = copy();
      const p = loads(b)[0];
      setU64(b, p.at + P_OFFSET, BigInt(b.length + 0x10000));
      return b;
    },
  },
  {
    file: "interp_not_nul_terminated.elf",
    problem: "PT_INTERP path not NUL terminated",
    make: () => {
      const path = new TextEncoder().encode("/lib/ld-linux-riscv64-lp64d.so.1");
      const b = new Uint8Array(seed.length + path.length);
      b.set(seed);
      b.set(path, seed.length);
      // Turn the first non-PT_LOAD header into a PT_INTERP covering the appended bytes.
      const p = phdrs(b).find((h) => h.type !== PT_LOAD)!;
      view(b).setUint32(p.at, PT_INTERP, true);
      view(b).setUint32(p.at + 4, 4, true); // PF_R
      setU64(b, p.at + P_OFFSET, BigInt(seed.length));
      setU64(b, p.at + P_VADDR, 0n);
      setU64(b, p.at + P_PADDR, 0n);
      setU64(b, p.at + P_FILESZ, BigInt(path.length));
      setU64(b, p.at + P_MEMSZ, BigInt(path.length));
      return b;
    },
  },
  {
    file: "huge_memsz.elf",
    problem: "PT_LOAD segment with p_memsz = 2^60",
    make: () => {
      const b = copy();
      const p = loads(b)[loads(b).length - 1];
      setU64(b, p.at + P_MEMSZ, 1n << 60n);
      return b;
    },
  },
  {
    file: "overlapping_loads.elf",
    problem: "two PT_LOAD segments overlap in memory",
    make: () => {
      const b = copy();
      const [first, second] = loads(b);
      // Move the second segment onto the first one's pages (same page offset kept).
      const v1 = u64(b, first.at + P_VADDR);
      const off2 = u64(b, second.at + P_OFFSET);
      const nv = v1 + (off2 & 0xfffn);
      setU64(b, second.at + P_VADDR, nv);
      setU64(b, second.at + P_PADDR, nv);
      return b;
    },
  },
  {
    file: "huge_align_pie.elf",
    problem: "static PIE whose PT_LOAD segments ask for p_align = 2^63",
    make: () => {
      const b = new Uint8Array(seedPie);
      for (const p of loads(b)) setU64(b, p.at + P_ALIGN, 1n << 63n);
      return b;
    },
  },
  {
    file: "offset_all_ones.elf",
    problem: "PT_LOAD segment p_offset = 2^64-1 (the message must print it unsigned)",
    make: () => {
      const b = copy();
      setU64(b, loads(b)[0].at + P_OFFSET, (1n << 64n) - 1n);
      return b;
    },
  },
  {
    file: "entry_outside_segments.elf",
    problem: "entry point not inside any PT_LOAD segment",
    make: () => {
      const b = copy();
      setU64(b, 0x18, 0x7000_0000n);
      return b;
    },
  },
];

if (loads(seed).length < 2) throw new Error(`${SEED}: expected at least two PT_LOAD segments`);
await Deno.mkdir(OUT, { recursive: true });
const listing = [];
for (const c of cases) {
  await Deno.writeFile(join(OUT, c.file), c.make(), { mode: 0o755 });
  await Deno.chmod(join(OUT, c.file), 0o755);
  listing.push({ file: c.file, problem: c.problem });
}
await Deno.writeTextFile(
  join(OUT, "malformed.json"),
  JSON.stringify(
    {
      description:
        "Malformed riscv64 ELF inputs generated by scripts/make_malformed_elves.ts from " +
        "tests/guests/bin/exit42.static.O2. Expected emulator behaviour for every file: a one-line " +
        "error on stderr and exit status 1.",
      expectedExitStatus: 1,
      files: listing,
    },
    null,
    2,
  ) + "\n",
);
console.log(`wrote ${cases.length} files to tests/malformed/`);
