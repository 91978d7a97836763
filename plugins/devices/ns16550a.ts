/**
 * The NS16550A UART, as on QEMU's virt board: byte registers at offsets
 * 0..7, a 16-byte receive FIFO fed from the serial backend, and one
 * level-triggered interrupt line.
 *
 * Transmission is instantaneous: a byte written to THR reaches the backend
 * at once, so THRE and TEMT are always set. Receive interrupts follow the
 * FIFO trigger level, with a character timeout (four character times of
 * virtual time at the programmed baud rate) for data below the trigger.
 *
 * Options: `addr` (default 0x10000000), `irq` (default 10), `serial`
 * (backend index, default 0), `clock` (input clock in Hz, default 3686400).
 *
 * @module
 */

import {
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  type EventQueue,
  type IrqLine,
  loadVmState,
  saveVmState,
  type SerialBackend,
  type Timer,
  type VirtualClock,
  type VmStateDescription,
} from "../../plugin.ts";

/** Register offsets (DLAB selects DLL/DLM at 0/1). */
export const UartReg = {
  RBR: 0,
  THR: 0,
  DLL: 0,
  IER: 1,
  DLM: 1,
  IIR: 2,
  FCR: 2,
  LCR: 3,
  MCR: 4,
  LSR: 5,
  MSR: 6,
  SCR: 7,
} as const;

const IER_RDA = 1, IER_THRE = 2, IER_RLS = 4, IER_MS = 8;
const IIR_NONE = 0x01, IIR_RLS = 0x06, IIR_RDA = 0x04, IIR_TIMEOUT = 0x0c, IIR_THRE = 0x02;
const IIR_MS = 0x00, IIR_FIFO = 0xc0;
const LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40;
const LCR_DLAB = 0x80;
const MCR_LOOP = 0x10;
const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14];
/** DCD, DSR and CTS asserted: a terminal is connected. */
const MSR_CONNECTED = 0xb0;

/**
 * The UART's registers and FIFO logic.
 *
 * @example
 * ```ts
 * import { EventQueue, IrqLine, SerialConsole, VirtualClock } from "../../plugin.ts";
 * import { Uart16550 } from "./ns16550a.ts";
 * const clock = new VirtualClock(() => 0), events = new EventQueue();
 * const con = new SerialConsole(events, clock);
 * const uart = new Uart16550(con, new IrqLine(), clock, events);
 * uart.write(0, 0x41); // THR
 * console.log(con.output, uart.read(5) & 0x60); // "A" 96 (THRE | TEMT)
 * ```
 */
export class Uart16550 {
  ier = 0;
  lcr = 0;
  mcr = 0;
  scr = 0;
  divisor = 0;
  fifoEnabled = false;
  trigger = 1;
  overrun = false;
  /** a THR-empty interrupt is pending (cleared by reading IIR or writing THR) */
  thrInterrupt = false;
  timeoutInterrupt = false;
  msrDelta = 0;
  readonly rx: number[] = [];
  readonly #timeout: Timer;

  constructor(
    readonly backend: SerialBackend,
    readonly irq: IrqLine,
    readonly clock: VirtualClock,
    readonly events: EventQueue,
    readonly clockHz = 3_686_400,
    /** instance name (keys its timer in the event queue) */
    name = "uart",
  ) {
    backend.onInput(() => this.#pull());
    this.#timeout = events.timer(`${name}/rx-timeout`, () => {
      if (this.rx.length > 0) this.timeoutInterrupt = true;
      this.#update();
    });
  }

  #capacity(): number {
    return this.fifoEnabled ? FIFO_SIZE : 1;
  }

  /** Moves waiting input into the receive FIFO. */
  #pull(): void {
    if (this.mcr & MCR_LOOP) return; // the receiver hears only the transmitter
    let got = false;
    while (this.rx.length < this.#capacity() && this.backend.inputLength > 0) {
      this.rx.push(this.backend.receive()!);
      got = true;
    }
    if (got) this.#restartTimeout();
    this.#update();
  }

  #receive(byte: number): void {
    if (this.rx.length >= this.#capacity()) this.overrun = true;
    else this.rx.push(byte);
    this.#restartTimeout();
  }

  /** Nanoseconds one character (10 bits) takes at the programmed baud rate. */
  charTimeNs(): bigint {
    const divisor = BigInt(this.divisor || 1);
    return 10n * 16n * divisor * 1_000_000_000n / BigInt(this.clockHz);
  }

  #restartTimeout(): void {
    this.#timeout.cancel();
    this.timeoutInterrupt = false;
    if (!this.fifoEnabled || this.rx.length === 0) return;
    const at = this.clock.monotonicNs() + 4n * this.charTimeNs();
    this.#timeout.arm(at);
  }

  #lsr(): number {
    return (this.rx.length ? LSR_DR : 0) | (this.overrun ? LSR_OE : 0) | LSR_THRE | LSR_TEMT;
  }

  #msr(): number {
    if (!(this.mcr & MCR_LOOP)) return MSR_CONNECTED | this.msrDelta;
    const m = this.mcr;
    // Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    return ((m & 2) << 3) | ((m & 1) << 5) | ((m & 4) << 4) | ((m & 8) << 4) | this.msrDelta;
  }

  /** The interrupt identification (without the FIFO bits). */
  interruptId(): number {
    const ier = this.ier;
    if (ier & IER_RLS && this.overrun) return IIR_RLS;
    if (ier & IER_RDA) {
      const ready = this.fifoEnabled ? this.rx.length >= this.trigger : this.rx.length > 0;
      if (ready) return IIR_RDA;
      if (this.timeoutInterrupt) return IIR_TIMEOUT;
    }
    if (ier & IER_THRE && this.thrInterrupt) return IIR_THRE;
    if (ier & IER_MS && this.msrDelta & 0x0f) return IIR_MS;
    return IIR_NONE;
  }

  #update(): void {
    this.irq.set(this.interruptId() !== IIR_NONE);
  }

  /** Reads register `reg` (0..7). */
  read(reg: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    let v = 0;
    switch (reg) {
      case 0:
        if (dlab) return this.divisor & 0xff;
        v = this.rx.shift() ?? 0;
        this.#pull();
        this.#restartTimeout();
        break;
      case 1:
        return dlab ? this.divisor >> 8 : this.ier;
      case 2: {
        const id = this.interruptId();
        if (id === IIR_THRE) this.thrInterrupt = false;
        v = id | (this.fifoEnabled ? IIR_FIFO : 0);
        break;
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        v = this.#lsr();
        this.overrun = false;
        break;
      case 6:
        v = this.#msr();
        this.msrDelta = 0;
        break;
      case 7:
        return this.scr;
    }
    this.#update();
    return v;
  }

  /** Writes register `reg` (0..7). */
  write(reg: number, value: number): void {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    value &= 0xff;
    switch (reg) {
      case 0:
        if (dlab) {
          this.divisor = (this.divisor & 0xff00) | value;
          return;
        }
        if (this.mcr & MCR_LOOP) this.#receive(value);
        else this.backend.transmit(value);
        this.thrInterrupt = true; // sent at once: THR is empty again
        break;
      case 1:
        if (dlab) {
          this.divisor = (this.divisor & 0xff) | (value << 8);
          return;
        }
        if (value & IER_THRE && !(this.ier & IER_THRE)) this.thrInterrupt = true;
        this.ier = value & 0x0f;
        break;
      case 2: {
        const enable = (value & 1) !== 0;
        if (enable !== this.fifoEnabled || value & 2) this.rx.length = 0;
        this.fifoEnabled = enable;
        this.trigger = enable ? TRIGGER_LEVELS[value >> 6] : 1;
        this.#pull();
        this.#restartTimeout();
        break;
      }
      case 3:
        this.lcr = value;
        return;
      case 4: {
        const old = this.#msr();
        this.mcr = value & 0x1f;
        const now = this.#msr();
        // Delta bits: CTS, DSR, trailing edge of RI, DCD changed.
        const changed = (old ^ now) & 0xf0;
        this.msrDelta |= ((changed >> 4) & 0x0b) | ((old & ~now & 0x40) ? 4 : 0);
        this.#pull();
        break;
      }
      case 7:
        this.scr = value;
        return;
      default:
        return;
    }
    this.#update();
  }

  /** Power-on state (the FIFO and pending input of the backend are kept outside). */
  reset(): void {
    this.ier =
      this.lcr =
      this.mcr =
      this.scr =
      this.divisor =
      this.msrDelta =
        0;
    this.fifoEnabled =
      this.overrun =
      this.thrInterrupt =
      this.timeoutInterrupt =
        false;
    this.trigger = 1;
    this.rx.length = 0;
    this.#timeout.cancel();
    this.#pull();
  }
}

/** Size of the UART's MMIO window on QEMU virt. */
export const UART_SIZE = 0x100n;

/** The UART's saved state (its timeout deadline is saved with the event queue). */
const UART_STATE: VmStateDescription<Uart16550> = {
  name: "ns16550a",
  version: 1,
  fields: [
    "ier",
    "lcr",
    "mcr",
    "scr",
    "divisor",
    "fifoEnabled",
    "trigger",
    "overrun",
    "thrInterrupt",
    "timeoutInterrupt",
    "msrDelta",
    "rx",
  ],
};

function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr", 0x10000000n);
  const irq = options.int("irq", 10);
  const clockHz = options.int("clock", 3_686_400);
  const uart = new Uart16550(
    ctx.serial(options.int("serial", 0)),
    ctx.irq(irq),
    ctx.clock,
    ctx.events,
    clockHz,
    ctx.id,
  );
  ctx.mapMmio(base, UART_SIZE, {
    read: (offset, size) => (offset < 8n ? BigInt(uart.read(Number(offset))) : 0n) & mask(size),
    write: (offset, _size, value) => {
      if (offset < 8n) uart.write(Number(offset), Number(value & 0xffn));
    },
  });
  ctx.describe({
    node: "serial",
    compatible: ["ns16550a"],
    reg: [{ base, size: UART_SIZE }],
    interrupts: [irq],
    props: { "clock-frequency": [clockHz] },
  });
  return {
    name: ctx.id,
    reset: () => uart.reset(),
    save: () => saveVmState(UART_STATE, uart),
    load: (s: DeviceState) => loadVmState(UART_STATE, uart, s),
  };
}

function mask(size: number): bigint {
  return (1n << BigInt(size * 8)) - 1n;
}

/** The NS16550A device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "ns16550a",
  apiVersion: { min: 2, cur: 2 },
  description: "NS16550A UART with a 16-byte receive FIFO, on a serial console backend",
  create,
};
export default plugin;
