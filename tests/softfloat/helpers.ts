// Minimal assertions (no external dependencies so `deno test` runs offline).

/** Throw unless `actual === expected` (bigint/number/string/boolean). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (actual !== expected) {
    const show = (v: unknown) => (typeof v === "bigint" ? "0x" + v.toString(16) : String(v));
    throw new Error(`${msg ? msg + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Throw unless `cond` holds. */
export function assert(cond: boolean, msg = "assertion failed"): void {
  if (!cond) throw new Error(msg);
}

/** Throw unless `fn` throws. */
export function assertThrows(fn: () => unknown, msg = "expected an exception"): void {
  let threw = false;
  try {
    fn();
  } catch {
    threw = true;
  }
  if (!threw) throw new Error(msg);
}
