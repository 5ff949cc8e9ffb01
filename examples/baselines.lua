-- The study's baseline tables: the means model (shrinkage 0, .1, .5, .9 and
-- 1) for T1, T2a, T2b and T3; mean+SVD (k = 100 and k = 10) for T1;
-- mean+SVD+regression (ridge, alpha 250, from the features of the new side
-- to the SVD factors) where the new side has features. `--help` lists the
-- options (data sets, feature files, seeds, JSON).
--   simec examples/baselines.lua [DATA] [--seeds 1-5] [--json FILE]
require("simec.study").main{
  prog = "baselines",
  about = "The study's baselines: means with five shrinkages, SVD and SVD + regression from features.",
  models = {"mean_s0", "mean_s0.1", "mean_s0.5", "mean_s0.9", "mean", "svd", "svd_k10"},
}
