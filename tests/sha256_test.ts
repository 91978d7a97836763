// The start-up-cheap SHA-256 against node:crypto's.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256Hex } from "../core/sha256.ts";
import { SeededRandom } from "../core/random.ts";

Deno.test("sha256: equals node:crypto's digest at every length around the padding edges", () => {
  const bytes = new SeededRandom(16n).bytes(300);
  for (let length = 0; length <= bytes.length; length++) {
    const data = bytes.subarray(0, length);
    assertEquals(
      sha256Hex(data),
      createHash("sha256").update(data).digest("hex"),
      `length ${length}`,
    );
  }
});

Deno.test("sha256: a view into a larger buffer hashes only its own bytes", () => {
  const whole = new TextEncoder().encode("xxabcyy");
  assertEquals(
    sha256Hex(whole.subarray(2, 5)),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
