// math.h functions over corner-case inputs, printed with %a and %.17g.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <math.h>
#include <stdio.h>

static const double IN[] = {0.0, -0.0, 0.5, 1.0, -1.0, 2.0, 3.141592653589793, 10.0, 100.0, -7.25,
                            1e-10, 700.0, -745.5, 1e300, INFINITY, -INFINITY, NAN};
#define N (sizeof IN / sizeof IN[0])

static void show(const char *name, double x, double r) {
  printf("%s(%.17g) = %a %.17g\n", name, x, r, r);
}
static void show2(const char *name, double x, double y, double r) {
  printf("%s(%.17g, %.17g) = %a %.17g\n", name, x, y, r, r);
}

#define U(f) for (unsigned i = 0; i < N; i++) show(#f, IN[i], f(IN[i]));
#define B(f)                                                              \
  for (unsigned i = 0; i < N; i += 2)                                     \
    for (unsigned j = 1; j < N; j += 3) show2(#f, IN[i], IN[j], f(IN[i], IN[j]));

int main(void) {
  U(sin) U(cos) U(tan) U(asin) U(acos) U(atan) U(sinh) U(cosh) U(tanh) U(asinh) U(exp) U(exp2)
  U(expm1) U(log) U(log2) U(log10) U(log1p) U(sqrt) U(cbrt) U(floor) U(ceil) U(trunc) U(round)
  U(nearbyint) U(rint) U(fabs) U(erf) U(erfc) U(tgamma) U(lgamma) U(logb)
  B(atan2) B(pow) B(fmod) B(remainder) B(hypot) B(copysign) B(fmin) B(fmax) B(fdim) B(nextafter)
  for (unsigned i = 0; i < N; i++) {
    double x = IN[i];
    int e;
    double ip;
    double fr = frexp(x, &e);
    double mf = modf(x, &ip);
    long lr = isfinite(x) && fabs(x) < 1e18 ? lround(x) : 0;
    long long llr = isfinite(x) && fabs(x) < 1e18 ? llrint(x) : 0;
    printf("frexp(%.17g) = %a %d; modf = %a %a; lround %ld llrint %lld; ldexp %a; ilogb %d; "
           "fpclassify %d signbit %d\n",
           x, fr, isfinite(x) ? e : 0, mf, ip, lr, llr, ldexp(x, 3), isfinite(x) && x != 0 ? ilogb(x) : 0,
           fpclassify(x), signbit(x) != 0);
  }
  for (unsigned i = 0; i < N; i++)
    for (unsigned j = 0; j < N; j += 4)
      printf("fma(%.17g, %.17g, 0.1) = %a\n", IN[i], IN[j], fma(IN[i], IN[j], 0.1));
  static const float FI[] = {0.0f, 0.5f, 1.0f, -2.5f, 3.1415927f, 88.0f, 1e-20f, 1e30f};
  for (unsigned i = 0; i < sizeof FI / sizeof FI[0]; i++) {
    float x = FI[i];
    printf("f(%a): sinf %a cosf %a expf %a logf %a sqrtf %a powf %a tanhf %a\n", (double)x,
           (double)sinf(x), (double)cosf(x), (double)expf(x), (double)logf(x), (double)sqrtf(x),
           (double)powf(x, 1.5f), (double)tanhf(x));
  }
  long double q = sqrtl(2.0L);
  printf("sqrtl(2) = %La, expl(1) = %La, logl(10) = %La\n", q, expl(1.0L), logl(10.0L));
  return 0;
}
