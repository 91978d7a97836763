// An executable stack on request: gcc's nested functions that use their
// parent's frame are called through trampolines written on the stack, so the
// program is linked with PT_GNU_STACK RWX. Each recursion level writes a new
// trampoline, so the code on the stack changes while the program runs.
#include <stdio.h>
#include <string.h>

static int apply(int (*f)(int), int x) { return f(x); }

static int depth_sum(int depth) {
  int scale = depth * 10;
  int add_scale(int x) { return x + scale; }
  if (depth == 0) return apply(add_scale, 1);
  return apply(add_scale, depth) + depth_sum(depth - 1);
}

int main(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strstr(line, "[stack]")) printf("stack: %.4s\n", strchr(line, ' ') + 1);
  }
  if (f) fclose(f);
  for (int d = 0; d < 4; d++) printf("depth %d: %d\n", d, depth_sum(d));
  return 0;
}
