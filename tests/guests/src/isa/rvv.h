// Shared harness of the vector guests: every vector register is loaded from a pseudo-random
// pattern, vtype and vl are set from a list of configurations, the instruction runs, and all
// registers are hashed, with vl, vxsat and vstart.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "rt.h"

static u8 regs_in[32 * 64] __attribute__((aligned(64)));
static u8 regs_out[32 * 64] __attribute__((aligned(64)));
static u8 mem[4096] __attribute__((aligned(64)));
static u64 vlenb;
// A test with a scalar result stores it here and sets scalar_used; run prints it.
static u64 scalar_out;
static int scalar_used;

static u64 hash(const u8 *p, u64 n) {
  u64 h = 0xcbf29ce484222325UL;
  for (u64 i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3UL;
  return h;
}

static void load_all(void) {
  __asm__ volatile("vsetvli t0, x0, e8, m8, ta, mu\n"
                   "vl8re8.v v0, (%0)\n add t1, %0, %1\n"
                   "vl8re8.v v8, (t1)\n add t1, t1, %1\n"
                   "vl8re8.v v16, (t1)\n add t1, t1, %1\n"
                   "vl8re8.v v24, (t1)\n"
                   :: "r"(regs_in), "r"(vlenb * 8) : "t0", "t1", "memory");
}

static void store_all(void) {
  __asm__ volatile("vs8r.v v0, (%0)\n add t1, %0, %1\n"
                   "vs8r.v v8, (t1)\n add t1, t1, %1\n"
                   "vs8r.v v16, (t1)\n add t1, t1, %1\n"
                   "vs8r.v v24, (t1)\n"
                   :: "r"(regs_out), "r"(vlenb * 8) : "t1", "memory");
}

static u64 set_vtype(u64 avl, u64 vtype) {
  u64 vl;
  __asm__ volatile("vsetvl %0, %1, %2" : "=r"(vl) : "r"(avl), "r"(vtype));
  return vl;
}

// The configurations: vtype (vsew << 3 | vlmul | ta/ma) and AVL.
static const struct { u64 vtype, avl; } CFG[] = {
    {0 << 3 | 0, 16}, {0 << 3 | 0, 5}, {1 << 3 | 1, 11}, {2 << 3 | 0, 4},
    {2 << 3 | 2, 13}, {3 << 3 | 0, 2}, {3 << 3 | 1, 3}, {1 << 3 | 7, 100},
    {2 << 3 | 0 | 0xc0, 3}, {0 << 3 | 3, 77},
};
#define NCFG (sizeof CFG / sizeof CFG[0])

typedef void (*insn_fn)(u64 x);
// Kinds limit configurations to legal ones: 0 any, 1 widening/narrowing (SEW < 64, LMUL <= 4),
// 2/4/8 vzext/vsext by that factor, 3 memory (EEW != SEW: LMUL 1 or fractional).
static int legal(int kind, u64 sew, u64 lmul) {
  if (kind == 1) return sew < 64 && lmul != 3;
  if (kind == 3) return lmul == 0 || lmul > 4;
  if (kind >= 2) return sew / kind >= 8 && (lmul < 4 || (8 - lmul) + (kind == 2 ? 1 : kind == 4 ? 2 : 3) <= 3);
  return 1;
}

static void run(const char *name, insn_fn f, int kind) {
  pr(name);
  for (unsigned c = 0; c < NCFG; c++) {
    u64 sew = 8 << ((CFG[c].vtype >> 3) & 7), lmul = CFG[c].vtype & 7;
    if (!legal(kind, sew, lmul)) continue;
    load_all();
    __asm__ volatile("csrwi vxsat, 0\n csrwi vxrm, %0" :: "i"(0));
    __asm__ volatile("csrw vxrm, %0" :: "r"((u64)c & 3));
    u64 vl = set_vtype(CFG[c].avl, CFG[c].vtype);
    f(0x8765432187654321UL ^ (c * 0x1111111111111111UL));
    u64 sat, vlr, vst;
    __asm__ volatile("csrr %0, vxsat\n csrr %1, vl\n csrr %2, vstart" : "=r"(sat), "=r"(vlr), "=r"(vst));
    store_all();
    pr(" "); dec(vl); pr("/"); dec(vlr); pr(sat ? "s" : "-"); pr(vst ? "!" : ""); pr(":");
    h32(hash(regs_out, 32 * vlenb));
    if (scalar_used) { pr("="); h64(scalar_out); scalar_used = 0; }
  }
  nl();
  flush();
}


static void init_regs(void) {
  __asm__ volatile("csrr %0, vlenb" : "=r"(vlenb));
  u64 seed = 0x9e3779b97f4a7c15UL;
  for (unsigned i = 0; i < sizeof regs_in; i++) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    regs_in[i] = (u8)(i % 5 == 0 ? seed >> 8 : i % 7 == 0 ? 0xff : i % 11 == 0 ? 0x80 : seed);
  }
}
