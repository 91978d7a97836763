/**
 * Mutations of JSON values, for file formats whose header is JSON (snapshot
 * files): one random node of the tree is set to a boundary value, given the
 * wrong type, removed, or duplicated. Numbers lean to the values that break
 * size and index arithmetic.
 *
 * @module
 */

import type { Rnd } from "../../tests/riscv/random_programs.ts";

const NUMBERS = [0, -1, 1, 4095, 4096, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, 0.5];
const STRINGS = ["", "../../../../etc/passwd", "x".repeat(5000), "-1", "1e400", "__proto__"];

/** A replacement value for any node. */
function hostileValue(rnd: Rnd, old: unknown): unknown {
  switch (rnd(7)) {
    case 0:
      return NUMBERS[rnd(NUMBERS.length)];
    case 1:
      return STRINGS[rnd(STRINGS.length)];
    case 2:
      return { $n: ["-1", "18446744073709551616", "99999999999999999999999", "x"][rnd(4)] };
    case 3:
      return null;
    case 4:
      return Array.isArray(old) ? old.slice(0, rnd(old.length + 1)) : [];
    case 5:
      return Array.isArray(old) ? [...old, ...old] : {};
    default:
      return typeof old === "number" ? old + [1, -1, 4096, -4096][rnd(4)] : true;
  }
}

/** The containers of `value` with their keys, depth first (the root is not listed). */
function slots(value: unknown, out: [object, string | number][] = []): [object, string | number][] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([value, i]);
      if (out.length < 100_000) slots(v, out);
    });
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push([value, k]);
      if (out.length < 100_000) slots(v, out);
    }
  }
  return out;
}

/**
 * `value` (a parsed JSON tree, changed in place) with one node mutated.
 *
 * @example
 * ```ts ignore
 * const header = mutateJson(JSON.parse(text), prng(7));
 * ```
 */
export function mutateJson(value: unknown, rnd: Rnd): unknown {
  const all = slots(value);
  if (!all.length) return hostileValue(rnd, value);
  const [container, key] = all[rnd(all.length)];
  const c = container as Record<string | number, unknown>;
  if (rnd(6) === 0) {
    if (Array.isArray(c)) c.splice(key as number, 1);
    else delete c[key];
  } else c[key] = hostileValue(rnd, c[key]);
  return value;
}
