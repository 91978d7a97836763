/* The virt board's fw_cfg device (0x10100000, big-endian MMIO): signature, id, CPU count and
 * other items through the data register at every width, the file directory and a file, then
 * DMA transfers (select, read, skip, write, no-op, an unknown key, a target that is not RAM). */
#include "rt.h"
#define FW_CFG 0x10100000UL
#define DATA8 (*(volatile unsigned char *)(FW_CFG))
#define SEL (*(volatile unsigned short *)(FW_CFG + 8))
#define DMA64 (*(volatile ulong *)(FW_CFG + 16))
#define DMA_HI (*(volatile unsigned *)(FW_CFG + 16))
#define DMA_LO (*(volatile unsigned *)(FW_CFG + 20))
#define CTL_ERROR 1
#define CTL_READ 2
#define CTL_SKIP 4
#define CTL_SELECT 8
#define CTL_WRITE 0x10

/* Run with -smp 2 (the CPU count item says 2): the second hart waits. */
__asm__(".globl secondary_start\n"
        "secondary_start:\n"
        "1: wfi\n"
        "  j 1b\n");

static unsigned short be16(unsigned short v) { return (unsigned short)(v << 8 | v >> 8); }
/* (no libgcc: the swaps by hand) */
static unsigned be32(unsigned v) {
  return v << 24 | (v & 0xff00) << 8 | (v >> 8 & 0xff00) | v >> 24;
}
static ulong be64(ulong v) { return (ulong)be32((unsigned)v) << 32 | be32((unsigned)(v >> 32)); }
static void select_(unsigned short key) { SEL = be16(key); }
static ulong data(int size) {
  switch (size) {
  case 1: return *(volatile unsigned char *)FW_CFG;
  case 2: return *(volatile unsigned short *)FW_CFG;
  case 4: return *(volatile unsigned *)FW_CFG;
  default: return *(volatile ulong *)FW_CFG;
  }
}

struct access { unsigned control, length; ulong address; } __attribute__((aligned(16)));
static volatile struct access acc;
static unsigned char buf[2200];

/* Runs one DMA access, by an 8-byte write or by the two 4-byte halves; returns the control word. */
static unsigned dma(unsigned control, unsigned length, ulong address, int halves) {
  acc.control = be32(control);
  acc.length = be32(length);
  acc.address = be64(address);
  ulong at = (ulong)&acc;
  if (halves) {
    DMA_HI = be32((unsigned)(at >> 32));
    DMA_LO = be32((unsigned)at);
  } else {
    DMA64 = be64(at);
  }
  return be32(acc.control);
}

static void fill(unsigned char v) { for (unsigned i = 0; i < sizeof buf; i++) buf[i] = v; }
static ulong sum(unsigned n) {
  ulong s = 0;
  for (unsigned i = 0; i < n; i++) s = s * 31 + buf[i];
  return s;
}
static void name(const char *label, const unsigned char *p) {
  puts_(label);
  for (int i = 0; i < 56 && p[i]; i++) putc_((char)p[i]);
  putc_('\n');
}

static void registers(void) {
  put("dma signature 64", DMA64);
  put("dma signature hi", DMA_HI);
  put("dma signature lo", DMA_LO);
  put("dma signature byte 3", *(volatile unsigned char *)(FW_CFG + 19));
  put("dma signature half 22", *(volatile unsigned short *)(FW_CFG + 22));
  put("after reset", data(4));
  for (int size = 1; size <= 8; size *= 2) {
    select_(0);
    puts_("signature by ");
    puthex(size);
    for (int i = 0; i < 3; i++) { putc_(' '); puthex(data(size)); }
    putc_('\n');
  }
  static const unsigned short keys[] = {1, 2, 4, 5, 0xe, 0x3, 0x22, 0x8000, 0x40, 0xffff};
  for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    select_(keys[i]);
    puts_("key ");
    puthex(keys[i]);
    putc_(' ');
    puthex(data(8));
    putc_(' ');
    puthex(data(8));
    putc_('\n');
  }
}

static void directory(void) {
  select_(0x19);
  unsigned count = be32((unsigned)data(4));
  put("files", count);
  unsigned short fail_wait = 0;
  for (unsigned i = 0; i < count; i++) {
    unsigned char e[64];
    for (int j = 0; j < 64; j++) e[j] = (unsigned char)DATA8;
    unsigned size = (unsigned)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3];
    unsigned short key = (unsigned short)(e[4] << 8 | e[5]);
    puts_("file ");
    puthex(size);
    putc_(' ');
    puthex(key);
    name(" ", e + 8);
    if (e[8] == 'e') fail_wait = key;
  }
  select_(fail_wait);
  put("boot-fail-wait", data(4));
  put("boot-fail-wait past the end", data(4));
}

static void transfers(void) {
  fill(0xaa);
  put("dma dir control", dma(0x19u << 16 | CTL_SELECT | CTL_READ, 2060, (ulong)buf, 0));
  put("dma dir sum", sum(2060));
  put("dma dir tail", *(ulong *)(buf + 2052));
  put("dma dir after", buf[2060]);
  name("dma dir first ", buf + 4 + 8);
  fill(0xaa);
  put("dma sig control", dma(CTL_SELECT | CTL_SKIP, 2, 0, 1));
  put("dma read control", dma(CTL_READ, 1, (ulong)buf, 1));
  put("dma read", buf[0]);
  put("then data", data(2));
  put("dma write control", dma(5u << 16 | CTL_SELECT | CTL_WRITE, 2, (ulong)buf, 0));
  put("then data", data(2));
  put("dma none control", dma(0, 4, (ulong)buf, 0));
  put("dma zero length", dma(1u << 16 | CTL_SELECT | CTL_READ, 0, (ulong)buf, 0));
  put("then data", data(4));
  fill(0xaa);
  put("dma unknown key", dma(0x123u << 16 | CTL_SELECT | CTL_READ, 8, (ulong)buf, 0));
  put("dma unknown read", *(ulong *)buf);
  put("dma read and write", dma(1u << 16 | CTL_SELECT | CTL_READ | CTL_WRITE, 4, (ulong)buf, 0));
  put("dma read and write data", *(unsigned *)buf);
  put("dma to no RAM", dma(CTL_SELECT | CTL_READ, 4, 0x10, 0));
  put("dma skip past the end", dma(CTL_SELECT | CTL_SKIP, 100, 0, 0));
  put("then data", data(4));
}

int main(void) {
  registers();
  directory();
  transfers();
  puts_("done\n");
  return 0;
}
