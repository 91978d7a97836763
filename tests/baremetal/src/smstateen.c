/* Smstateen: which bits mstateen0-3 and sstateen0-3 keep, and how mstateen0's SE0 and ENVCFG
 * gate S-mode's sstateen0 and senvcfg. Built once; run with smstateen on and off (off: every
 * state-enable CSR is illegal). QEMU 7.2 predates Smstateen: the expected output follows the
 * specification. */
#include "rt.h"
#define SE0 (1UL << 63)
#define ENVCFG (1UL << 62)

static void s_read_senvcfg(void) {
  (void)csr_read(0x10a);
  back();
}
static void s_read_sstateen0(void) {
  (void)csr_read(0x10c);
  back();
}
static void u_read_sstateen0(void) {
  (void)csr_read(0x10c);
  back();
}
static void traps_in(const char *what, long mode, void (*fn)(void)) {
  last.count = 0;
  last.cause = 0;
  run_in_mode(mode, fn);
  put(what, last.count);
  put("cause", last.cause);
}

int main(void) {
  puts_("smstateen\n");
  last.count = 0;
  ulong at_reset = csr_read(0x30c);
  put("M read traps", last.count);
  if (last.count) {
    put("cause", last.cause);
    puts_("done\n");
    return 0;
  }
  put("mstateen0 at reset", at_reset);
  csr_write(0x30c, ~0UL);
  put("mstateen0 after writing ones", csr_read(0x30c));
  csr_write(0x30d, ~0UL);
  put("mstateen1 after writing ones", csr_read(0x30d));
  csr_write(0x30f, ~0UL);
  put("mstateen3 after writing ones", csr_read(0x30f));
  csr_write(0x10c, ~0UL);
  put("sstateen0 after writing ones", csr_read(0x10c));
  traps_in("S senvcfg with ENVCFG: traps", 1, s_read_senvcfg);
  traps_in("S sstateen0 with SE0: traps", 1, s_read_sstateen0);
  traps_in("U sstateen0: traps", 0, u_read_sstateen0);
  csr_clear(0x30c, ENVCFG);
  traps_in("S senvcfg without ENVCFG: traps", 1, s_read_senvcfg);
  traps_in("S sstateen0 with SE0 but no ENVCFG: traps", 1, s_read_sstateen0);
  csr_clear(0x30c, SE0);
  traps_in("S sstateen0 without SE0: traps", 1, s_read_sstateen0);
  puts_("done\n");
  return 0;
}
