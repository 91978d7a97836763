// The generic timer as a Linux program sees it: CNTFRQ_EL0 (qemu-aarch64: 62.5 MHz), and
// CNTVCT_EL0 counting at that rate on the clock CLOCK_REALTIME reads (qemu-aarch64 reads the
// host's wall clock, in whole microseconds): between two clock_gettime calls, across a nanosleep
// and a busy loop. Prints facts, not times, so that the output
// is the same on qemu-aarch64 (host time) and Denemu (virtual time).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static uint64_t cntfrq(void) {
  uint64_t v;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
  return v;
}

static uint64_t cntvct(void) {
  uint64_t v;
  __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
  return v;
}

static uint64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/** Whether CNTVCT read between two clock_gettime calls lies between them (1 us and a tick's slack). */
static int between(uint64_t freq) {
  uint64_t slack = 1000 + 1000000000u / freq;
  uint64_t before = realtime_ns(), ticks = cntvct(), after = realtime_ns();
  uint64_t ns = ticks * (1000000000u / freq);
  return ns + slack >= before && ns <= after + slack;
}

int main(void) {
  uint64_t freq = cntfrq();
  printf("CNTFRQ_EL0 %llu\n", (unsigned long long)freq);
  printf("CNTVCT between clock_gettime calls: %s\n", between(freq) ? "yes" : "no");
  uint64_t t0 = cntvct();
  struct timespec ten_ms = {0, 10000000};
  nanosleep(&ten_ms, NULL);
  uint64_t slept = cntvct() - t0;
  printf("CNTVCT counts a 10 ms nanosleep: %s\n", slept >= freq / 100 ? "yes" : "no");
  printf("after the sleep: %s\n", between(freq) ? "yes" : "no");
  volatile uint64_t sum = 0;
  uint64_t t1 = cntvct();
  for (int i = 0; i < 1000000; i++) sum += i;
  printf("CNTVCT moves in a busy loop: %s\n", cntvct() > t1 ? "yes" : "no");
  printf("after the loop: %s\n", between(freq) ? "yes" : "no");
  return 0;
}
