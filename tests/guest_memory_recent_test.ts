// The recent-pages shortcut of GuestMemory (the interpreter's loads and
// stores skip the resolver for pages they touched lately) must forget a page
// whenever what the page resolves to can change.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { GuestFault } from "../core/errors.ts";
import { GuestMemory, type Page, Perm } from "../core/guest_memory.ts";

const BASE = 0x40000n;
const PAGE = 0x1000n;
/** A page that shares BASE's slot in the shortcut's 64-entry table. */
const CONFLICT = BASE + 64n * PAGE;

function faults(f: () => unknown): void {
  assert.throws(f, GuestFault);
}

Deno.test("recent pages: protect, unmap and map again are seen at the next access", () => {
  const mem = new GuestMemory();
  mem.map(BASE, PAGE, Perm.R | Perm.W);
  mem.store(BASE, 8, 0x1122n);
  assert.equal(mem.load(BASE, 8, false), 0x1122n);

  mem.protect(BASE, PAGE, Perm.R);
  assert.equal(mem.load(BASE, 8, false), 0x1122n);
  faults(() => mem.store(BASE, 8, 1n));
  mem.protect(BASE, PAGE, 0);
  faults(() => mem.load(BASE, 8, false));
  mem.protect(BASE, PAGE, Perm.R | Perm.W);
  mem.store(BASE, 8, 0x3344n);

  mem.unmap(BASE, PAGE);
  faults(() => mem.load(BASE, 8, false));
  faults(() => mem.store(BASE, 8, 1n));
  mem.map(BASE, PAGE, Perm.R | Perm.W);
  assert.equal(mem.load(BASE, 8, false), 0n, "a fresh page reads zero, not the old frame");
});

Deno.test("recent pages: a page in the same slot does not answer for another", () => {
  const mem = new GuestMemory();
  mem.map(BASE, PAGE, Perm.R | Perm.W);
  mem.map(CONFLICT, PAGE, Perm.R | Perm.W);
  for (let i = 0n; i < 4n; i++) {
    mem.store(BASE, 8, i);
    mem.store(CONFLICT, 8, 100n + i);
    assert.equal(mem.load(BASE, 8, false), i);
    assert.equal(mem.load(CONFLICT, 8, false), 100n + i);
  }
  mem.unmap(CONFLICT, PAGE);
  faults(() => mem.load(CONFLICT, 8, false));
  assert.equal(mem.load(BASE, 8, false), 3n);
});

Deno.test("recent pages: an alias and a large remap replace the cached page", () => {
  const mem = new GuestMemory();
  mem.map(BASE, PAGE, Perm.R | Perm.W);
  mem.map(BASE + PAGE, PAGE, Perm.R | Perm.W);
  mem.store(BASE, 8, 7n);
  mem.store(BASE + PAGE, 8, 9n);
  mem.mapAlias(Number((BASE + PAGE) / PAGE), Number(BASE / PAGE), Perm.R | Perm.W);
  assert.equal(mem.load(BASE + PAGE, 8, false), 7n);
  mem.store(BASE + PAGE, 8, 8n);
  assert.equal(mem.load(BASE, 8, false), 8n);

  mem.map(BASE, 512n * PAGE, Perm.R | Perm.W); // many pages: one flush at the end
  assert.equal(mem.load(BASE, 8, false), 0n);
  assert.equal(mem.load(BASE + PAGE, 8, false), 0n);
});

Deno.test("recent pages: a store to a page that now holds code is still reported", () => {
  const mem = new GuestMemory();
  const written: number[] = [];
  mem.observers.push({ onCodeWrite: (pn) => written.push(pn) });
  mem.map(BASE, PAGE, Perm.R | Perm.W | Perm.X);
  mem.store(BASE, 4, 1n);
  mem.markCode(Number(BASE / PAGE));
  mem.store(BASE, 4, 2n);
  assert.deepEqual(written, [Number(BASE / PAGE)]);
});

/**
 * A memory whose resolver maps virtual page 0x10 to whichever of two pages
 * (holding 0xaa and 0xbb) `state.target` names, writable while `state.writable`.
 */
function remappable() {
  const mem = new GuestMemory();
  mem.map(BASE, PAGE, Perm.R | Perm.W);
  mem.map(CONFLICT, PAGE, Perm.R | Perm.W);
  mem.store(BASE, 8, 0xaan);
  mem.store(CONFLICT, 8, 0xbbn);
  const pages = [mem.pages.get(Number(BASE / PAGE))!, mem.pages.get(Number(CONFLICT / PAGE))!];
  const state = { target: 0, writable: true };
  const original = mem.resolve;
  mem.resolve = (pn, access): Page | "protection" | "unmapped" => {
    if (pn !== 0x10) return original(pn, access);
    return access === "write" && !state.writable ? "protection" : pages[state.target];
  };
  return { mem, state, addr: 0x10000n, virt: 0x10 };
}

Deno.test("recent pages: translationChanged, flushTranslations and modeChanged drop the mapping", () => {
  const { mem, state, addr, virt } = remappable();
  const events = [
    () => mem.translationChanged(virt),
    () => mem.flushTranslations(),
    () => mem.modeChanged(),
  ];
  for (const event of events) {
    const seen = mem.load(addr, 8, false);
    mem.store(addr, 8, seen);
    state.target ^= 1;
    event();
    assert.notEqual(mem.load(addr, 8, false), seen);
    mem.store(addr, 1, 0xccn);
    assert.equal(mem.load(state.target ? CONFLICT : BASE, 1, false), 0xccn);
    mem.store(addr, 1, seen ^ 0x11n);
  }
});

Deno.test("recent pages: revokeWrites sends stores to the resolver again", () => {
  const { mem, state, addr } = remappable();
  mem.store(addr, 8, 0xcn);
  state.writable = false;
  mem.revokeWrites();
  faults(() => mem.store(addr, 8, 0xdn));
  assert.equal(mem.load(addr, 8, false), 0xcn);
});
