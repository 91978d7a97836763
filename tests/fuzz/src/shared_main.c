/* The main of state.shared: harness.h's main, with LLVMFuzzerTestOneInput in
 * a shared library of its own (libstate.so, state.c built -fPIC -shared), so
 * `emu cov` is tested on the line table of a library. */
#include "harness.h"
