/**
 * `insn`: random instruction sequences (typed RV64GC instructions, any
 * encoding the decode tables accept, raw words, 16/32-bit mixes, loops with
 * fence.i) run in turn on one machine, each written over the last, on the
 * interpreter, on the JIT compiling every block on its first run, and on the
 * JIT with its default tiering. After every program the exit, the integer
 * registers and the data page must be the same on all three; no host
 * exception may escape.
 *
 * @module
 */

import { JitBackend } from "../../core/jit/jit_backend.ts";
import { CODE, DATA, encode, machine, type TestMachine } from "../../tests/riscv/asm.ts";
import {
  DATA_BASE_REG,
  flushProgram,
  mixedProgram,
  prng,
  type Rnd,
  runSliced,
} from "../../tests/riscv/random_programs.ts";
import { describeError, type SelfFuzzer } from "./runner.ts";

const ROUNDS = 5;
const ENGINES = ["interp", "jit hotThreshold 0", "jit default"] as const;

/** A machine for one engine, the registers seeded alike. */
function engine(kind: (typeof ENGINES)[number], regSeed: number): TestMachine {
  const m = machine([], "rv64", kind !== "interp");
  if (kind === "jit default") m.cpu.backend = new JitBackend(m.cpu); // default tiering
  const rnd = prng(regSeed);
  for (let r = 1; r < 32; r++) m.cpu.setGlobal(r, BigInt(rnd(1 << 16)) - 0x8000n);
  return m;
}

/** One round's program: which generator, where it goes, how it is run. */
interface Round {
  at: bigint;
  code: Uint8Array;
  flush: boolean;
  budgets: number[];
}

function rounds(rnd: Rnd): Round[] {
  return Array.from({ length: ROUNDS }, () => {
    const insns = rnd(3) === 0 ? flushProgram(rnd) : mixedProgram(rnd, 8 + rnd(60));
    return {
      at: CODE + BigInt(2 * rnd(16)),
      code: encode(insns),
      flush: rnd(4) === 0,
      budgets: Array.from({ length: 6 }, () => 1 + rnd(40)),
    };
  });
}

/** The log of one engine running all rounds; a host exception ends it. */
function runEngine(kind: (typeof ENGINES)[number], seed: number, plan: Round[]): string[] {
  const m = engine(kind, seed);
  const log: string[] = [];
  try {
    for (const round of plan) {
      m.mem.writeBytes(round.at, round.code, true);
      if (round.flush) m.cpu.tbs.flush();
      m.cpu.setGlobal(DATA_BASE_REG, DATA);
      m.cpu.setGlobal(5, 3n); // t0 counts flushProgram's loops
      const end = runSliced(m, round.at, round.budgets);
      const regs = Array.from({ length: 32 }, (_, r) => m.cpu.getGlobal(r).toString(16));
      const data = m.mem.readBytes(DATA, 0x400);
      log.push(`${end}; x=${regs.join(",")}; data=${hash(data)}`);
    }
  } catch (e) {
    log.push(`host exception: ${describeError(e)}`);
  }
  return log;
}

function hash(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h.toString(16);
}

/** Runs the plan on every engine; the first difference or host exception, else null. */
function check(seed: number, plan: Round[]): string | null {
  const logs = ENGINES.map((kind) => runEngine(kind, seed, plan));
  for (let k = 0; k < logs[0].length || k < logs[1].length || k < logs[2].length; k++) {
    const lines = logs.map((l) => l[k] ?? "(nothing)");
    const bad = lines.find((l) => l.startsWith("host exception"));
    if (bad) return `round ${k}: ${bad}`;
    if (new Set(lines).size > 1) {
      return `round ${k} differs:\n${ENGINES.map((e, i) => `  ${e}: ${lines[i]}`).join("\n")}`;
    }
  }
  return null;
}

/** The reproducer's format: a JSON plan (seed, and each round's address, bytes, flush, budgets). */
function serialize(seed: number, plan: Round[]): Uint8Array {
  const json = plan.map((r) => ({ ...r, at: `0x${r.at.toString(16)}`, code: [...r.code] }));
  return new TextEncoder().encode(JSON.stringify({ seed, rounds: json }));
}

function deserialize(input: Uint8Array): { seed: number; plan: Round[] } {
  const { seed, rounds } = JSON.parse(new TextDecoder().decode(input));
  const plan = rounds.map((
    r: { at: string; code: number[]; flush: boolean; budgets: number[] },
  ) => ({
    ...r,
    at: BigInt(r.at),
    code: new Uint8Array(r.code),
  }));
  return { seed, plan };
}

/** The `insn` self-fuzzer. */
export const insnFuzzer: SelfFuzzer = {
  name: "insn",
  ciCases: 40,
  extension: "json",
  description: "random instruction sequences: interpreter vs JIT (hotThreshold 0 and default)",
  runCase(seed) {
    const plan = rounds(prng(seed));
    return { input: serialize(seed, plan), failure: check(seed, plan) };
  },
  replay(input) {
    const { seed, plan } = deserialize(input);
    return check(seed, plan);
  },
};
