-- All four tasks: T1 (known items and users), T2a (new items), T2b (new
-- users), T3 (both new), on a MovieLens release, your own ratings file or
-- synthetic data. Per scenario: the means model, learned regularised biases
-- with ridge from features to the biases of new items and users, SVD (+
-- regression from the features of the new side), one-sided SimEcs
-- zero-filled and masked (not T3), two-SimEcs, a zero-filled SimEc on the
-- residuals of the learned biases, the Bayesian factorization model (MCMC),
-- biased matrix factorisation by SGD, and a blend of MCMC, the
-- biases+SimEc and SVD. Grids, validation protocol and the study's
-- constants live in lua/simec/study.lua; `--help` lists the options.
--   simec examples/all_tasks.lua [DATA] [--quick] [--seeds 1-5] [--json FILE]
require("simec.study").main{
  prog = "all_tasks",
  about = "The four tasks (T1, T2a, T2b, T3) with every model of the study, tuned on validation ratings.",
  models = {"mean", "biases", "svd", "simec", "simec_masked", "two_simec", "two_simec_masked", "biases_simec", "mcmc",
            "mf", "blend"},
}
