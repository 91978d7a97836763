/**
 * The Sdtrig CSRs (tselect, tdata1-3, tinfo) over the hart's
 * {@linkcode DebugTriggers}, and the `trigger_watch` helper that translated
 * loads and stores call while a load or store trigger is armed. Importing
 * this module registers the CSRs.
 *
 * @module
 */

import { type CpuCore, GuestTrap, type HelperDef, TrapKind } from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import { Priv } from "./csr.ts";
import { defineHartCsr } from "./csr_machine.ts";
import { hartOf } from "./hart.ts";
import { DebugTriggers, WatchKind } from "./triggers.ts";

defineHartCsr({
  num: 0x7a0,
  name: "tselect",
  priv: Priv.M,
  read: (h) => BigInt(h.triggers.select),
  write: (h, v) => h.triggers.writeSelect(v),
});
/** tdata1 and tdata2 of the selected trigger: a write changes what translated code checks. */
const TDATA: [number, (t: DebugTriggers) => bigint, (t: DebugTriggers, v: bigint) => void][] = [
  [1, (t) => t.readTdata1(), (t, v) => t.writeTdata1(v)],
  [2, (t) => t.readTdata2(), (t, v) => t.writeTdata2(v)],
];
for (const [n, read, write] of TDATA) {
  defineHartCsr({
    num: 0x7a0 + n,
    name: `tdata${n}`,
    priv: Priv.M,
    read: (h) => read(h.triggers),
    write: (h, v) => write(h.triggers, v),
    endsTb: true,
  });
}
defineHartCsr({ num: 0x7a3, name: "tdata3", priv: Priv.M, read: () => 0n, write: () => {} });
defineHartCsr({ num: 0x7a4, name: "tinfo", priv: Priv.M, read: () => DebugTriggers.TINFO });

/**
 * `trigger_watch(addr, info)`: raises a breakpoint exception (tval 0, as
 * QEMU 7.2) before an access that an armed load or store trigger matches.
 *
 * @example
 * ```ts
 * import { TRIGGER_WATCH_HELPER } from "./csr_debug.ts";
 * console.log(TRIGGER_WATCH_HELPER.name); // "trigger_watch"
 * ```
 */
export const TRIGGER_WATCH_HELPER: HelperDef = {
  name: "trigger_watch",
  fn: (cpu: CpuCore, addr: bigint, info: bigint) => {
    const triggers = hartOf(cpu)?.triggers;
    const i = Number(info), size = i & 0xf, priv = (i >> 8) & 3;
    for (const kind of [WatchKind.LOAD, WatchKind.STORE]) {
      if ((i >> 4) & kind && triggers?.memHit(addr, size, kind === WatchKind.STORE, priv)) {
        throw new GuestTrap(TrapKind.BREAKPOINT, Cause.BREAKPOINT, 0n);
      }
    }
  },
  hasResult: false,
  flags: { mayTrap: true },
};
