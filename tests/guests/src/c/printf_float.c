// printf of floats/doubles/long doubles with many formats, rounding, inf/nan, huge/tiny values.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const FMTS[] = {
    "%f", "%.0f", "%.1f", "%.3f", "%.20f", "%e", "%.0e", "%.10e", "%g", "%.3g", "%.17g", "%#g",
    "%a", "%.0a", "%.3a", "%A", "%+010.2f", "%-14.4e|", "% .5G", "%F", "%E", "%#.0f",
};

int main(void) {
  volatile double d[] = {
      0.0, -0.0, 1.0, -1.0, 0.5, 1.0 / 3.0, 2.0 / 3.0, 0.1, 0.125, 2.5, 3.5, -2.5, 0.05, 9.995,
      1.005, 123456789.125, 1e15 + 0.3, 1e21, 1e22, 1e23, 1e100, 1e300, DBL_MAX, 1e-5, 1e-300,
      DBL_MIN, 4.9406564584124654e-324, M_PI, -M_E, 65536.0, 999999.5, 0.00001234,
      INFINITY, -INFINITY, NAN, -NAN,
  };
  for (unsigned i = 0; i < sizeof d / sizeof d[0]; i++) {
    printf("[%u]", i);
    for (unsigned k = 0; k < sizeof FMTS / sizeof FMTS[0]; k++) {
      putchar(' ');
      printf(FMTS[k], d[i]);
    }
    putchar('\n');
  }
  volatile float f[] = {0.1f, 1.0f / 3.0f, FLT_MAX, FLT_MIN, 1.4e-45f, 16777217.0f, -0.0f,
                        3.4028235e38f, 1e10f};
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
    printf("float[%u] %.9g %a %e %f\n", i, f[i], f[i], f[i], f[i]);
  volatile long double ld[] = {1.0L / 3.0L, 0.1L, LDBL_MAX, LDBL_MIN, -2.5L, 1e4000L};
  for (unsigned i = 0; i < sizeof ld / sizeof ld[0]; i++)
    printf("ldouble[%u] %.36Lg %La %.10Le\n", i, ld[i], ld[i], ld[i]);
  printf("width/prec: [%*.*f] [%-*.*e] [%.*g]\n", 12, 3, M_PI, 15, 2, -M_PI, 30, 0.1);
  char buf[8];
  int n = snprintf(buf, sizeof buf, "%.10f", M_PI);
  printf("snprintf returned %d, buf \"%s\"\n", n, buf);
  static const char *const S[] = {"0.1", "1e-400", "1e400", "0x1.fffffffffffffp1023", "-0x1p-1074",
                                  "2.2250738585072011e-308", "nan", "-inf", "123.456e7",
                                  "4.9406564584124654e-324", "1.00000000000000011102230246251565"};
  for (unsigned i = 0; i < sizeof S / sizeof S[0]; i++) {
    double v = strtod(S[i], NULL);
    float fv = strtof(S[i], NULL);
    printf("strtod(%s) = %a %.17g, strtof = %a\n", S[i], v, v, (double)fv);
  }
  return 0;
}
