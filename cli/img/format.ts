/**
 * Number and size formatting as qemu-img prints them.
 *
 * @module
 */

const SUFFIXES = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/**
 * A byte count as qemu-img's `size_to_str`: three significant digits and a
 * binary suffix ("64 MiB", "196 KiB", "0.977 KiB").
 *
 * @example
 * ```ts
 * import { sizeToStr } from "./format.ts";
 * console.log(sizeToStr(67108864)); // "64 MiB"
 * ```
 */
export function sizeToStr(bytes: number): string {
  const scaled = bytes / (1000 / 1024);
  const exp = scaled >= 1 ? Math.floor(Math.log2(scaled)) + 1 : 0;
  const i = Math.max(0, Math.min(SUFFIXES.length - 1, Math.floor((exp - 1) / 10)));
  return `${cG3(bytes / 2 ** (i * 10))} ${SUFFIXES[i]}`;
}

/**
 * C's `%.3g` of a non-negative number: an exact half rounds to even (JS's
 * `toPrecision` rounds it up), trailing zeros go, and a value of 1000 or
 * more after rounding takes the exponent form (`1e+03`).
 */
function cG3(v: number): string {
  if (v === 0) return "0";
  const scale = 10 ** (2 - Math.floor(Math.log10(v))); // 3 significant digits left of the point
  const digits = v * scale;
  const even = digits % 1 === 0.5 && Math.ceil(digits) % 2 ? Math.floor(digits) / scale : v;
  const [mantissa, exp] = even.toPrecision(3).split("e");
  const trimmed = String(Number(mantissa));
  if (exp === undefined) return trimmed;
  const e = Number(exp);
  return `${trimmed}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/**
 * A percentage with two decimals, as C's `%0.2f` prints it: exact halves
 * round to even (3.125 prints as 3.12), unlike `toFixed`.
 *
 * @example
 * ```ts
 * import { percent } from "./format.ts";
 * console.log(percent(4, 128)); // "3.12"
 * ```
 */
export function percent(part: number, whole: number): string {
  if (!whole) return "0.00";
  const hundredths = (part * 10000) / whole;
  let rounded = Math.round(hundredths);
  if (hundredths - Math.floor(hundredths) === 0.5 && rounded % 2) rounded--;
  return (rounded / 100).toFixed(2);
}

/** JSON as qemu-img prints it (four-space indents). */
export function qemuJson(value: unknown): string {
  return JSON.stringify(value, null, 4);
}
