/**
 * QEMU-style option lists (`name,key=val,key2=val2`, with `,,` for a literal
 * comma) and typed access to their values, for `-device`, `-drive` and `-M`.
 *
 * @module
 */

import { EmuError } from "../errors.ts";

/**
 * The `key=value` options of one `-device` (or `-drive`, `-M`), with typed
 * getters whose errors name the device and the key. Keys that nothing read
 * can be reported with {@linkcode DeviceOptions.rejectUnused}.
 *
 * @example
 * ```ts
 * import { DeviceOptions } from "./options.ts";
 * const o = new DeviceOptions("ns16550a", { addr: "0x10000000", irq: "10" });
 * console.log(o.address("addr"), o.int("irq"), o.bool("snapshot", false)); // 268435456n 10 false
 * ```
 */
export class DeviceOptions {
  readonly #used = new Set<string>();

  /** Options `values` of `owner` (the device name that errors start with). */
  constructor(readonly owner: string, readonly values: Record<string, string> = {}) {}

  /** Whether `key` was given. */
  has(key: string): boolean {
    return Object.hasOwn(this.values, key);
  }

  #get(key: string): string | undefined {
    this.#used.add(key);
    return this.has(key) ? this.values[key] : undefined;
  }

  #missing(key: string): never {
    throw new EmuError(
      `${this.owner}: option "${key}" is required`,
      `add ${key}=... to its options`,
    );
  }

  #bad(key: string, value: string, want: string): never {
    throw new EmuError(`${this.owner}: option ${key}=${value} is not ${want}`);
  }

  /** The string value of `key`, else `fallback`, else an error. */
  string(key: string, fallback?: string): string {
    return this.#get(key) ?? fallback ?? this.#missing(key);
  }

  /** An unsigned integer (decimal or 0x hex) as a bigint: addresses, sizes in bytes. */
  address(key: string, fallback?: bigint): bigint {
    const v = this.#get(key);
    if (v === undefined) return fallback ?? this.#missing(key);
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(v)) this.#bad(key, v, "an unsigned number (decimal or 0x...)");
    return BigInt(v);
  }

  /** A non-negative integer that fits a JS number. */
  int(key: string, fallback?: number): number {
    const v = this.address(key, fallback === undefined ? undefined : BigInt(fallback));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.#bad(key, String(v), "a small enough number");
    return Number(v);
  }

  /** A flag: on/off, true/false, yes/no, 1/0. */
  bool(key: string, fallback?: boolean): boolean {
    const v = this.#get(key);
    if (v === undefined) return fallback ?? this.#missing(key);
    if (/^(on|true|yes|1)$/i.test(v)) return true;
    if (/^(off|false|no|0)$/i.test(v)) return false;
    return this.#bad(key, v, "on or off");
  }

  /** A size with an optional K/M/G/T suffix (bytes; no suffix = `defaultUnit`). */
  size(key: string, fallback?: bigint, defaultUnit = 1n): bigint {
    const v = this.#get(key);
    if (v === undefined) return fallback ?? this.#missing(key);
    return parseSize(v, `${this.owner}: option ${key}`, defaultUnit);
  }

  /** Throws naming every option that no getter asked for. */
  rejectUnused(): void {
    const unused = Object.keys(this.values).filter((k) => !this.#used.has(k));
    if (unused.length) {
      throw new EmuError(
        `${this.owner}: unknown option${unused.length > 1 ? "s" : ""} ${unused.join(", ")}`,
        "check the spelling; each device documents the options it takes",
      );
    }
  }
}

/**
 * Parses a size like QEMU's `-m`: `256M`, `1G`, `1.5G`, `4096K`; a bare
 * number is in units of `defaultUnit` bytes (QEMU's `-m` uses MiB).
 *
 * @example
 * ```ts
 * import { parseSize } from "./options.ts";
 * console.log(parseSize("256M", "-m"), parseSize("512", "-m", 1n << 20n)); // 268435456n 536870912n
 * ```
 */
export function parseSize(text: string, what: string, defaultUnit = 1n): bigint {
  const m = /^(\d+)(?:\.(\d+))?([kmgt]i?b?|b)?$/i.exec(text.trim());
  if (!m) throw new EmuError(`${what}: "${text}" is not a size`, "write it like 256M or 1G");
  const units: Record<string, bigint> = { b: 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n };
  units.t = 1n << 40n;
  const unit = m[3] ? units[m[3][0].toLowerCase()] : defaultUnit;
  const frac = m[2] ?? "";
  const scale = 10n ** BigInt(frac.length);
  return (BigInt(m[1]) * scale + BigInt(frac || "0")) * unit / scale;
}

/**
 * A parsed `-device` argument.
 *
 * @example
 * ```ts
 * import { parseDeviceSpec } from "./options.ts";
 * const spec = parseDeviceSpec("virtio-rng-device,addr=0x10008000");
 * console.log(spec.name, spec.options.address("addr")); // virtio-rng-device 268468224n
 * ```
 */
export interface DeviceSpec {
  /** plugin reference: a bare name ("ns16550a") or a path/URL to a module */
  name: string;
  /** its `key=value` options (without the name) */
  options: DeviceOptions;
}

/**
 * Splits a QEMU-style option list on commas (`,,` is a literal comma).
 * With `firstIsName`, the first item may be a bare word (the device name).
 *
 * @example
 * ```ts
 * import { parseOptionList } from "./options.ts";
 * console.log(parseOptionList("virt,dumpdtb=a,,b.dtb", true)); // { name: "virt", values: { dumpdtb: "a,b.dtb" } }
 * ```
 */
export function parseOptionList(
  text: string,
  firstIsName: boolean,
): { name: string; values: Record<string, string> } {
  const items: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ",") {
      if (text[i + 1] === ",") {
        cur += ",";
        i++;
        continue;
      }
      items.push(cur);
      cur = "";
    } else cur += text[i];
  }
  items.push(cur);
  let name = "";
  if (firstIsName && items.length && !items[0].includes("=")) name = items.shift()!;
  const values: Record<string, string> = {};
  for (const it of items) {
    if (it === "") continue;
    const eq = it.indexOf("=");
    if (eq < 0) values[it] = "on";
    else values[it.slice(0, eq)] = it.slice(eq + 1);
  }
  return { name, values };
}

/**
 * Parses a `-device` argument: `name,key=val,...` where name is a built-in
 * device or a path to a device plugin module.
 *
 * @example
 * ```ts
 * import { parseDeviceSpec } from "./options.ts";
 * const d = parseDeviceSpec("./my_dev.ts,addr=0x10010000,irq=9");
 * console.log(d.name, d.options.int("irq")); // "./my_dev.ts" 9
 * ```
 */
export function parseDeviceSpec(spec: string): DeviceSpec {
  const { name, values } = parseOptionList(spec, true);
  if (!name) {
    throw new EmuError(`-device ${spec}: no device name`, "write -device NAME,key=value,...");
  }
  return { name, options: new DeviceOptions(name, values) };
}
