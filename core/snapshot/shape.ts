/**
 * The shape check of state read from a snapshot file. A file is checksummed
 * against accidents, but anyone can write one: before any of it is put into
 * a machine, each value must have the type of the same value in the machine
 * that loads it (the same program or board, so the same state layout).
 *
 * Rules: bigints, strings and booleans keep their type; a number stays a
 * finite number (an integer where the machine's is one); a typed array keeps
 * its kind and length (register files); an object has no key the machine's
 * lacks and checks those both have; an array's items are checked against the
 * machine's item at the same index, or its first. Where the machine holds
 * `null` or an empty array, the file's value is not checked here: the code
 * that uses it checks it.
 *
 * @module
 */

/**
 * Where `got` differs in shape from `like`, as a path ("meta.hart.fields.mie:
 * a string, expected a number"), or null when it does not.
 *
 * @example
 * ```ts
 * import { shapeMismatch } from "./shape.ts";
 * console.log(shapeMismatch({ pc: 1n }, { pc: 0n }, "meta")); // null
 * console.log(shapeMismatch({ pc: "x" }, { pc: 0n }, "meta")); // "meta.pc: a string, expected a bigint"
 * ```
 */
export function shapeMismatch(got: unknown, like: unknown, where: string): string | null {
  if (like === null || like === undefined) return null;
  const wrong = `${where}: ${describe(got)}, expected ${describe(like)}`;
  if (typeof like !== "object") {
    if (typeof got !== typeof like) return wrong;
    if (typeof like !== "number") return null;
    const n = got as number;
    return Number.isFinite(n) && (!Number.isInteger(like) || Number.isInteger(n)) ? null : wrong;
  }
  if (ArrayBuffer.isView(like)) {
    const same = ArrayBuffer.isView(got) && got.constructor === like.constructor &&
      got.byteLength === like.byteLength;
    return same ? null : wrong;
  }
  if (Array.isArray(like)) {
    if (!Array.isArray(got)) return wrong;
    if (!like.length) return null;
    for (let i = 0; i < got.length; i++) {
      const m = shapeMismatch(got[i], like[i < like.length ? i : 0], `${where}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (typeof got !== "object" || got === null || Array.isArray(got) || ArrayBuffer.isView(got)) {
    return wrong;
  }
  const want = like as Record<string, unknown>, have = got as Record<string, unknown>;
  for (const key of Object.keys(have)) {
    if (!Object.hasOwn(want, key)) return `${where}: unknown field ${JSON.stringify(key)}`;
    const m = shapeMismatch(have[key], want[key], `${where}.${key}`);
    if (m) return m;
  }
  for (const key of Object.keys(want)) {
    if (!Object.hasOwn(have, key) && want[key] !== undefined) return `${where}.${key}: missing`;
  }
  return null;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${v.byteLength} bytes`;
  const t = typeof v;
  return `${/^[aeiou]/.test(t) ? "an" : "a"} ${t}`;
}
