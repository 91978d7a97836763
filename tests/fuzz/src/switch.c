/* Planted bug: dispatch through jump tables. Dense switches on a 32-bit and a
 * 16-bit field of the input compile to a bounds check of (value - first case)
 * and an indirect jump, so no compare ever holds a case value: neither edge
 * coverage nor plain cmplog replacement gets past them. */
#include <signal.h>
#include <string.h>
#include "harness.h"

static volatile int sink;

static int sub(uint16_t v) {
  switch (v) {
  case 0x2000: return 3;
  case 0x2001: sink = 1; return 5;
  case 0x2002: return 7;
  case 0x2003: sink = 2; return 11;
  case 0x2004: raise(SIGBUS); return 0; /* the bug */
  case 0x2005: return 17;
  case 0x2006: sink = 3; return 19;
  default: return 0;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  uint32_t cmd;
  uint16_t arg;
  if (n < 6) return 0;
  memcpy(&cmd, d, 4);
  memcpy(&arg, d + 4, 2);
  switch (cmd) {
  case 0x4f4b0000: sink = 10; break;
  case 0x4f4b0001: sink = 11; break;
  case 0x4f4b0002: sink = sub(arg); break;
  case 0x4f4b0003: sink = 13; break;
  case 0x4f4b0004: sink = 14; break;
  case 0x4f4b0005: sink = 15; break;
  case 0x4f4b0006: sink = 16; break;
  default: break;
  }
  return 0;
}
