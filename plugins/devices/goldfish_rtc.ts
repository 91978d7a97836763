/**
 * The Goldfish real-time clock (as on QEMU virt): nanoseconds since the
 * Unix epoch, read low word first (which latches the high word), with an
 * optional alarm that raises the interrupt line.
 *
 * The time comes from the virtual clock's realtime (deterministic: the
 * clock's epoch plus virtual time). `base=utc` starts it at the host's
 * current time instead (then it advances with virtual time);
 * `base=2025-06-01T12:00:00Z` starts it at a given date.
 *
 * Options: `addr` (default 0x101000), `irq` (default 11), `base`.
 *
 * @module
 */

import {
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  EmuError,
  type EventQueue,
  type IrqLine,
  loadVmState,
  saveVmState,
  type Timer,
  type VirtualClock,
  type VmStateDescription,
  wordRegisters,
} from "../../plugin.ts";

/** Register offsets. */
export const RtcReg = {
  TIME_LOW: 0x00,
  TIME_HIGH: 0x04,
  ALARM_LOW: 0x08,
  ALARM_HIGH: 0x0c,
  IRQ_ENABLED: 0x10,
  CLEAR_ALARM: 0x14,
  ALARM_STATUS: 0x18,
  CLEAR_INTERRUPT: 0x1c,
} as const;

/**
 * The RTC's registers.
 *
 * @example
 * ```ts
 * import { EventQueue, IrqLine, VirtualClock } from "../../plugin.ts";
 * import { GoldfishRtc } from "./goldfish_rtc.ts";
 * const clock = new VirtualClock(() => 0, 1n, 5_000_000_000n);
 * const rtc = new GoldfishRtc(clock, new EventQueue(), new IrqLine());
 * const lo = rtc.readWord(0), hi = rtc.readWord(4);
 * console.log((BigInt(hi) << 32n) | BigInt(lo)); // 5000000000n
 * ```
 */
export class GoldfishRtc {
  /** ns added to the clock's realtime */
  offsetNs = 0n;
  timeHighLatch = 0;
  alarmHigh = 0;
  irqEnabled = false;
  irqPending = false;
  readonly #alarm: Timer;

  constructor(
    readonly clock: VirtualClock,
    readonly events: EventQueue,
    readonly irq: IrqLine,
    /** instance name (keys its alarm in the event queue) */
    name = "rtc",
  ) {
    this.#alarm = events.timer(`${name}/alarm`, () => this.#fire());
  }

  #fire(): void {
    this.irqPending = true;
    this.#update();
  }

  /** The RTC's current time in ns since the Unix epoch. */
  nowNs(): bigint {
    return BigInt.asUintN(64, this.clock.realtimeNs() + this.offsetNs);
  }

  #update(): void {
    this.irq.set(this.irqEnabled && this.irqPending);
  }

  #armAlarm(atNs: bigint): void {
    this.#alarm.cancel();
    const wait = atNs - this.nowNs();
    if (wait <= 0n) return this.#fire();
    this.#alarm.arm(this.clock.monotonicNs() + wait);
  }

  readWord(offset: number): number {
    switch (offset) {
      case RtcReg.TIME_LOW: {
        const now = this.nowNs();
        this.timeHighLatch = Number(now >> 32n);
        return Number(now & 0xffffffffn);
      }
      case RtcReg.TIME_HIGH:
        return this.timeHighLatch;
      case RtcReg.ALARM_HIGH:
        return this.alarmHigh;
      case RtcReg.IRQ_ENABLED:
        return this.irqEnabled ? 1 : 0;
      case RtcReg.ALARM_STATUS:
        return this.#alarm.deadline !== null ? 1 : 0;
    }
    return 0;
  }

  writeWord(offset: number, value: number): void {
    switch (offset) {
      case RtcReg.TIME_LOW: {
        const wanted = (BigInt(this.timeHighLatch) << 32n) | BigInt(value >>> 0);
        this.offsetNs += wanted - this.nowNs();
        break;
      }
      case RtcReg.TIME_HIGH:
        this.timeHighLatch = value >>> 0;
        break;
      case RtcReg.ALARM_LOW:
        this.#armAlarm((BigInt(this.alarmHigh) << 32n) | BigInt(value >>> 0));
        break;
      case RtcReg.ALARM_HIGH:
        this.alarmHigh = value >>> 0;
        break;
      case RtcReg.IRQ_ENABLED:
        this.irqEnabled = (value & 1) === 1;
        break;
      case RtcReg.CLEAR_ALARM:
        this.#alarm.cancel();
        break;
      case RtcReg.CLEAR_INTERRUPT:
        this.irqPending = false;
        break;
    }
    this.#update();
  }

  /** Power-on state (the time offset is kept, as a battery-backed clock keeps time). */
  reset(): void {
    this.#alarm.cancel();
    this.irqEnabled = this.irqPending = false;
    this.alarmHigh = this.timeHighLatch = 0;
    this.#update();
  }
}

/** Where the RTC starts: the offset from the virtual clock's realtime. */
function baseOffset(ctx: DeviceContext, base: string | undefined): bigint {
  if (base === undefined) return 0n;
  let startNs: bigint;
  if (base === "utc") startNs = ctx.hostTimeNs();
  else {
    const ms = Date.parse(base);
    if (Number.isNaN(ms)) {
      throw new EmuError(
        `goldfish_rtc: base=${base} is neither "utc" nor a date`,
        "use base=utc or base=2025-01-01T00:00:00Z",
      );
    }
    startNs = BigInt(ms) * 1_000_000n;
  }
  return startNs - ctx.clock.realtimeNs();
}

const SIZE = 0x1000n;

/** The RTC's saved state (its alarm deadline is saved with the event queue). */
const RTC_STATE: VmStateDescription<GoldfishRtc> = {
  name: "goldfish_rtc",
  version: 1,
  fields: ["offsetNs", "timeHighLatch", "alarmHigh", "irqEnabled", "irqPending"],
};

function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr", 0x101000n);
  const irq = options.int("irq", 11);
  const rtc = new GoldfishRtc(ctx.clock, ctx.events, ctx.irq(irq), ctx.id);
  rtc.offsetNs = baseOffset(ctx, options.has("base") ? options.string("base") : undefined);
  ctx.mapMmio(
    base,
    SIZE,
    wordRegisters({ read: (o) => rtc.readWord(o), write: (o, v) => rtc.writeWord(o, v) }),
  );
  ctx.describe({
    node: "rtc",
    compatible: ["google,goldfish-rtc"],
    reg: [{ base, size: SIZE }],
    interrupts: [irq],
  });
  return {
    name: ctx.id,
    reset: () => rtc.reset(),
    save: () => saveVmState(RTC_STATE, rtc),
    load: (s: DeviceState) => loadVmState(RTC_STATE, rtc, s),
  };
}

/** The Goldfish RTC device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "goldfish_rtc",
  apiVersion: { min: 2, cur: 2 },
  description: "Goldfish real-time clock with alarm (virtual time; base=utc for host time)",
  create,
};
export default plugin;
