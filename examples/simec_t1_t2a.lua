-- The study's SimEc rows next to its baselines: SimEc(I) and SimEc(X) for
-- T1 and SimEc(X) for T2a, zero-filled (the study's setting) and masked, on
-- the residuals of the means model. Embedding size, learning rate,
-- embedding regularisation, the epoch (scored after each of 20) and, in
-- T2a, whether the base keeps the item means are chosen on validation
-- ratings carved from the training side. `--help` lists the options.
--   simec examples/simec_t1_t2a.lua [DATA] [--quick] [--seeds 1-5] [--json FILE]
require("simec.study").main{
  prog = "simec_t1_t2a",
  about = "The study's SimEc rows (T1, T2a) next to the means model and SVD.",
  scenarios = {"T1", "T2a"},
  models = {"mean", "svd", "simec_i", "simec_i_masked", "simec_x", "simec_x_masked"},
}
