/* simec's numerical core, the public C API: #include <simec/simec.h> (or
 * one of the headers below) and link with `pkg-config --libs simec`.
 * Every function reports failure through a status code and a core_err
 * record; none prints, exits or includes Lua. */
#ifndef SIMEC_H
#define SIMEC_H

#include "core.h"        /* status codes, the error record, index types */
#include "alloc.h"       /* the allocator, its accounting and ceiling */
#include "mat.h"         /* dense matrices, products, LAPACK */
#include "spm.h"         /* sparse matrices (CSR), labels, products */
#include "rng.h"         /* MT19937 with NumPy's legacy draws */
#include "io.h"          /* readers and crash-safe writers */
#include "rec.h"         /* splits, the means model, implicit feedback, synthetic data */
#include "svd.h"         /* truncated SVD: ARPACK and randomized */
#include "ridge.h"       /* ridge regression from features */
#include "simec_model.h" /* Similarity Encoders: models, training, files */
#include "lrp.h"         /* relevance propagation for SimEc predictions */
#include "bfm.h"         /* Bayesian factorization by Gibbs sampling */
#include "ials.h"        /* weighted alternating least squares (implicit feedback) */

#endif
