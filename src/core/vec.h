/* Small vector kernels the core's inner loops share. */
#ifndef SIMEC_VEC_H
#define SIMEC_VEC_H

#include <stddef.h>

/* a . b over d entries in eight chains: a single sum waits on each add's
 * latency, eight keep the vector unit busy (the order is fixed, so every
 * caller gets the same rounding) */
static inline double vec_dot(const double *restrict a, const double *restrict b, size_t d)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, z;
    size_t c, i;
    for (c = 0; c + 8 <= d; c += 8)
        for (i = 0; i < 8; i++)
            s[i] += a[c + i] * b[c + i];
    z = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; c < d; c++)
        z += a[c] * b[c];
    return z;
}

#endif
