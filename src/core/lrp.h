/* Layer-wise relevance propagation for SimEc predictions (lrp.c). */
#ifndef SIMEC_LRP_H
#define SIMEC_LRP_H

#include "simec_model.h"

enum { LRP_EPSILON, LRP_Z, LRP_ZPLUS, LRP_ALPHA_BETA, LRP_GAMMA };
extern const char *const lrp_rule_names[];

typedef struct lrp_opts {
    int rule;
    double eps, alpha, beta, gamma;
} lrp_opts;

void lrp_opts_default(lrp_opts *o);
/* explain the sum of every output's pre-activation */
#define LRP_ALL ((size_t)-1)
/* Rel (rows of x x input features): the relevance of each input feature for
 * the pre-activation of output (0-based, or LRP_ALL) of each input row */
int lrp_explain(const simec *m, const simec_input *x, size_t output, const lrp_opts *o, mat *Rel, core_err *e);

#endif
