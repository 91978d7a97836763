/**
 * The serial console: the character backend of a UART on one side, and on
 * the other a script-facing object that types into the guest
 * ({@linkcode SerialConsole.write}) and waits for guest output
 * ({@linkcode SerialConsole.expect}, with a timeout in virtual time).
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { VirtualClock } from "../clock.ts";
import type { EventHandle, EventQueue } from "./events.ts";
import type { InputLog } from "../replay/input_log.ts";

/**
 * What a character device (a UART) sees of its backend.
 *
 * @example
 * ```ts
 * import type { SerialBackend } from "./console.ts";
 * function echoAll(be: SerialBackend) {
 *   for (let b = be.receive(); b !== undefined; b = be.receive()) be.transmit(b);
 * }
 * ```
 */
export interface SerialBackend {
  /** The device sent one byte (guest output). */
  transmit(byte: number): void;
  /** Takes the next byte of input for the guest, if any. */
  receive(): number | undefined;
  /** Bytes of input waiting. */
  readonly inputLength: number;
  /**
   * Registers a listener told when new input arrives, with the bytes (the
   * device then pulls them with {@linkcode receive}).
   */
  onInput(listener: (bytes: Uint8Array) => void): void;
}

/**
 * Options of {@linkcode SerialConsole.expect}.
 *
 * @example
 * ```ts ignore
 * await m.serial.expect(/=> /, { timeoutNs: 5_000_000_000n }); // 5 s of virtual time
 * ```
 */
export interface ExpectOptions {
  /** give up after this many virtual nanoseconds (default: wait forever) */
  timeoutNs?: bigint;
}

/**
 * Thrown (as a rejection) when {@linkcode SerialConsole.expect} times out.
 *
 * @example
 * ```ts ignore
 * try {
 *   await m.serial.expect(/login:/, { timeoutNs: 1_000_000_000n });
 * } catch (e) {
 *   if (e instanceof ExpectTimeout) console.log("last output:", e.tail);
 * }
 * ```
 */
export class ExpectTimeout extends EmuError {
  /** "ExpectTimeout" */
  override name = "ExpectTimeout";
  /** `pattern` did not appear within `timeoutNs`; `tail` is the output not yet matched. */
  constructor(
    pattern: RegExp,
    timeoutNs: bigint,
    /** the unmatched output */ readonly tail: string,
  ) {
    super(
      `console: ${pattern} did not appear within ${timeoutNs} ns of virtual time; last output: ${
        JSON.stringify(tail.slice(-200))
      }`,
      "raise the timeout or check the guest's output",
    );
  }
}

interface Waiter {
  pattern: RegExp;
  resolve: (m: RegExpExecArray) => void;
  reject: (e: Error) => void;
  cancelTimeout: () => void;
}

/**
 * A serial console backed by in-memory buffers.
 *
 * Output is matched from where the previous successful `expect` ended (as
 * expect(1) does). Promises settle in microtasks: the run loop should
 * `await` between chunks of guest execution so that scripts see progress.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "../clock.ts";
 * import { EventQueue } from "./events.ts";
 * import { SerialConsole } from "./console.ts";
 * const con = new SerialConsole(new EventQueue(), new VirtualClock(() => 0));
 * const prompt = con.expect(/=> $/);
 * for (const c of "U-Boot\n=> ") con.transmit(c.charCodeAt(0));
 * await prompt;
 * con.write("version\n");
 * console.log(con.receive()); // 118 ("v")
 * ```
 */
export class SerialConsole implements SerialBackend {
  /** the output decoded so far (see {@linkcode output}) */
  #text = "";
  /**
   * output bytes not decoded yet: decoding at each byte made a string per byte, each kept by
   * the next (32 bytes of heap per byte of output, copied by the scavenges)
   */
  #bytes = new Uint8Array(256);
  #byteCount = 0;
  /**
   * While true, guest output is dropped (not in {@linkcode output}, not
   * passed to listeners): the host already saw it (a history re-executing the run).
   */
  outputMuted = false;
  #matchFrom = 0;
  #decoder = new TextDecoder();
  #input: number[] = [];
  #inputHead = 0;
  #inputListeners: ((bytes: Uint8Array) => void)[] = [];
  #outputListeners: ((byte: number) => void)[] = [];
  #waiters: Waiter[] = [];
  #log?: InputLog;
  #loggedDelivery: EventHandle | null = null;

  /** @internal a board makes its consoles */
  constructor(
    /** @internal */ readonly events: EventQueue,
    /** @internal */ readonly clock: VirtualClock,
  ) {}

  // ---- device side ----

  /** all guest output so far, decoded as UTF-8 */
  get output(): string {
    if (this.#byteCount) {
      const bytes = this.#bytes.subarray(0, this.#byteCount);
      this.#text += this.#decoder.decode(bytes, { stream: true });
      this.#byteCount = 0;
    }
    return this.#text;
  }

  transmit(byte: number): void {
    if (this.outputMuted) return;
    if (this.#byteCount === this.#bytes.length) {
      const more = new Uint8Array(2 * this.#bytes.length);
      more.set(this.#bytes);
      this.#bytes = more;
    }
    this.#bytes[this.#byteCount++] = byte & 0xff;
    for (const l of this.#outputListeners) l(byte & 0xff);
    if (this.#waiters.length) this.#check();
  }

  receive(): number | undefined {
    if (this.#inputHead >= this.#input.length) return undefined;
    const b = this.#input[this.#inputHead++];
    if (this.#inputHead > 4096) {
      this.#input = this.#input.slice(this.#inputHead);
      this.#inputHead = 0;
    }
    return b;
  }

  get inputLength(): number {
    return this.#input.length - this.#inputHead;
  }

  onInput(listener: (bytes: Uint8Array) => void): void {
    this.#inputListeners.push(listener);
  }

  // ---- script side ----

  /** Registers a listener for every byte of guest output (e.g. to echo it to stdout). */
  onOutput(listener: (byte: number) => void): void {
    this.#outputListeners.push(listener);
  }

  /**
   * Types `text` (UTF-8) or raw bytes into the guest's receive side. While
   * a recorded run is replayed the input comes from the log instead (where
   * it may just have been logged: a lockstep shadow follows the machine that
   * logs it), and this only schedules what the log has next.
   */
  write(text: string | Uint8Array): void {
    const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
    if (this.#log?.mode === "replay") {
      // a lockstep shadow hears of input its machine just logged: due now, it is delivered now
      if (this.#log.upcoming("serial")?.icount === this.clock.instructions()) this.#takeLogged();
      return this.#scheduleLogged();
    }
    if (this.#log) this.#log.take("serial", () => bytes);
    this.#deliver(bytes);
  }

  #deliver(bytes: Uint8Array): void {
    for (const b of bytes) this.#input.push(b);
    for (const l of this.#inputListeners) l(bytes);
  }

  /**
   * @internal Record/replay: recording logs every {@linkcode write} with the
   * instruction count; replaying delivers the logged input at the recorded
   * virtual time instead (an event on the machine's queue). The bytes typed
   * and not received yet go back with the log (a reverse debugger's
   * re-execution), and logged input is delivered again from there.
   */
  useInputLog(log: InputLog): void {
    this.#log = log;
    log.track({
      save: () => this.#input.slice(this.#inputHead),
      load: (pending) => {
        this.#input = [...pending as number[]];
        this.#inputHead = 0;
        this.#scheduleLogged();
      },
    });
    this.#scheduleLogged();
  }

  /** Schedules the delivery of the next logged input not taken yet (replaying, or re-executing). */
  #scheduleLogged(): void {
    this.events.cancel(this.#loggedDelivery);
    const next = this.#log!.upcoming("serial");
    if (!next) return;
    this.#loggedDelivery = this.events.schedule(next.timeNs, () => {
      this.#takeLogged();
      this.#scheduleLogged();
    }, "logged serial input");
  }

  #takeLogged(): void {
    this.#deliver(this.#log!.take("serial", () => new Uint8Array()));
  }

  /**
   * Resolves with the match once the output not yet consumed by an earlier
   * match matches `pattern`; rejects with {@linkcode ExpectTimeout} when
   * `timeoutNs` of virtual time pass first.
   */
  expect(pattern: RegExp | string, options: ExpectOptions = {}): Promise<RegExpExecArray> {
    const re = typeof pattern === "string" ? new RegExp(escapeRegExp(pattern)) : pattern;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { pattern: re, resolve, reject, cancelTimeout: () => {} };
      if (options.timeoutNs !== undefined) {
        const timeout = options.timeoutNs;
        const h = this.events.schedule(this.clock.monotonicNs() + timeout, () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new ExpectTimeout(re, timeout, this.output.slice(this.#matchFrom)));
        }, "console expect timeout");
        waiter.cancelTimeout = () => this.events.cancel(h);
      }
      this.#waiters.push(waiter);
      this.#check();
    });
  }

  #check(): void {
    while (this.#waiters.length) {
      const w = this.#waiters[0];
      const rest = this.output.slice(this.#matchFrom);
      const m = new RegExp(w.pattern.source, w.pattern.flags.replace("g", "")).exec(rest);
      if (!m) return;
      this.#matchFrom += m.index + m[0].length;
      this.#waiters.shift();
      w.cancelTimeout();
      w.resolve(m);
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
