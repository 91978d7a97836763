/**
 * Interrupt wiring: level-triggered lines from devices to an interrupt
 * controller, and the {@linkcode InterruptSink} through which controllers
 * (CLINT, PLIC) drive the CPU's pending-interrupt bits.
 *
 * @module
 */

/**
 * The CPU side of interrupt delivery: a controller sets or clears one
 * pending bit of a hart, numbered as the target's architecture numbers its
 * interrupts (RISC-V: the bits of `mip`). The CPU implements it.
 *
 * @example
 * ```ts
 * import type { InterruptSink } from "./irq.ts";
 * let mip = 0;
 * const hart: InterruptSink = {
 *   setPending: (bit, level) => void (mip = level ? mip | (1 << bit) : mip & ~(1 << bit)),
 * };
 * hart.setPending(7, true); // RISC-V's machine timer interrupt
 * console.log(mip); // 128
 * ```
 */
export interface InterruptSink {
  /** Drives pending bit `bit` to `level` (true: pending). */
  setPending(bit: number, level: boolean): void;
}

/**
 * An {@linkcode InterruptSink} that records what it is told: for tests and
 * for running devices without a CPU.
 *
 * @example
 * ```ts
 * import { RecordingInterruptSink } from "./irq.ts";
 * const sink = new RecordingInterruptSink();
 * sink.setPending(7, true);
 * console.log(sink.isPending(7), sink.pending); // true 128
 * ```
 */
export class RecordingInterruptSink implements InterruptSink {
  /** the pending bits, as a mask */
  pending = 0;
  /** every call, in order */
  readonly log: { bit: number; level: boolean }[] = [];

  /** Records the call in {@linkcode log} and updates {@linkcode pending}. */
  setPending(bit: number, level: boolean): void {
    this.log.push({ bit, level });
    this.pending = level ? this.pending | (1 << bit) : this.pending & ~(1 << bit);
  }

  /** Whether `bit` is currently pending. */
  isPending(bit: number): boolean {
    return (this.pending & (1 << bit)) !== 0;
  }
}

/**
 * One level-triggered interrupt line. The device sets its level; the
 * receiver (an interrupt controller) hears every change.
 *
 * @example
 * ```ts
 * import { IrqLine } from "./irq.ts";
 * const changes: boolean[] = [];
 * const line = new IrqLine((level) => changes.push(level));
 * line.set(true);
 * line.set(true); // no change, not reported
 * line.set(false);
 * console.log(changes); // [true, false]
 * ```
 */
export class IrqLine {
  #level = false;

  /** Makes a low line that calls `onChange` on every level change; `name` is for messages. */
  constructor(readonly onChange: (level: boolean) => void = () => {}, readonly name = "irq") {}

  /** The current level. */
  get level(): boolean {
    return this.#level;
  }

  /** Drives the line to `level`; the receiver hears only changes. */
  set(level: boolean): void {
    if (level === this.#level) return;
    this.#level = level;
    this.onChange(level);
  }

  /** Sets the level without telling anyone (a snapshot load, where both ends are restored). */
  restore(level: boolean): void {
    this.#level = level;
  }

  /** Raises then lowers the line (an edge for edge-triggered receivers). */
  pulse(): void {
    this.set(true);
    this.set(false);
  }
}

/**
 * Something that hands out numbered interrupt input lines (a PLIC).
 *
 * @example
 * ```ts
 * import { IrqLine, type InterruptController } from "./irq.ts";
 * const lines = new Map<number, IrqLine>();
 * const ic: InterruptController = {
 *   line: (n) => lines.get(n) ?? lines.set(n, new IrqLine()).get(n)!,
 * };
 * ic.line(10).set(true);
 * ```
 */
export interface InterruptController {
  /** Input line `n` (throws EmuError when `n` is not a valid source). */
  line(n: number): IrqLine;
}
