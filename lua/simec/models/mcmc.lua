-- The Bayesian factorization model (Gibbs sampling in src/core/bfm.c) and
-- implicit feedback as features.
local simec = require "simec"
local rec = require "simec.rec"
local matrix, sparse = simec.matrix, simec.sparse
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse = common.check_sparse

-- Bayesian factorization model by Gibbs sampling (src/core/bfm.h): global
-- mean, item and user biases and k factors, each item (user) described by
-- its id and, given, its features; the priors' means and precisions are
-- sampled too, so only k and the sweeps are settings. Fitting and
-- predicting are one run: the prediction at each position of pattern is
-- averaged over the sweeps after burn-in. New items or users (map 0) are
-- predicted from their features.
--   p [, trace] = models.mcmc(train, pattern, {row_map =, col_map =, items = Xi_full, users = Xu_full,
--                            k = 8, burn_in = 50, samples = 150, seed = 1, init_std = 0.1, link = false,
--                            trace = false})
-- link: where a side has ids and features, the features predict the ids'
-- parameters (their prior means) instead of adding to them: new items then
-- get what the features learned from all known items' parameters.
-- trace: the RMSE of the running average against pattern's values after
-- each averaged sweep (pass validation ratings as the pattern to choose samples).
local MCMC_OPTS = {row_map = true, col_map = true, items = true, users = true, k = true, burn_in = true,
                   samples = true, seed = true, init_std = true, link = true, trace = true}

function models.mcmc(train, pattern, opts)
  check_sparse(train, "train")
  check_sparse(pattern, "pattern")
  opts = opts or {}
  for key in pairs(opts) do
    if not MCMC_OPTS[key] then error(("models.mcmc: unknown option '%s'"):format(tostring(key)), 2) end
  end
  for _, key in ipairs{"k", "burn_in", "samples", "seed"} do
    local v = opts[key]
    if v ~= nil and (math.type(v) ~= "integer" or v < (key == "samples" and 1 or 0)) then
      error(("models.mcmc: %s must be a%s integer, got %s"):format(key, key == "samples" and " positive" or
            " non-negative", tostring(v)), 2)
    end
  end
  common.check_maps("models.mcmc", train, pattern, opts)
  local o = {k = opts.k, burn_in = opts.burn_in, samples = opts.samples, seed = opts.seed, init_std = opts.init_std,
             row_map = opts.row_map, col_map = opts.col_map, link = opts.link, trace = opts.trace}
  for _, side in ipairs{{"items", "row", pattern:nrows()}, {"users", "col", pattern:ncols()}} do
    local name, key, n = table.unpack(side)
    local X = opts[name]
    if X ~= nil then
      if not sparse.is(X) and not matrix.is(X) then
        error(("models.mcmc: %s features must be a matrix or sparse matrix, got %s"):format(name, type(X)), 2)
      end
      if X:nrows() ~= n then
        error(("models.mcmc: %s features have %d rows, the pattern has %d %s"):format(name, X:nrows(), n, name), 2)
      end
      o[key .. "_features"] = sparse.is(X) and X or sparse.from_dense(X)
    end
  end
  return rec.bfm(train, pattern, o)
end

-- Implicit feedback as user features (as SVD++): for each user of the full
-- space (n of them; col_map: full -> train index, 0 new, nil identity) the
-- training items it rated, each 1/sqrt(its count) (users x train items);
-- a new user's row is empty.
function models.implicit(train, col_map, n)
  check_sparse(train, "train")
  return rec.implicit(train, col_map, n or train:ncols())
end


require("simec.help").add{
  "models.mcmc(train, pattern, {row_map, col_map, items = X, users = X, k = 8, burn_in = 50, samples = 150, seed, init_std = 0.1, link, trace})", "Bayesian " ..
  "factorization model (biases, k factors, ids and features of items and users) by Gibbs sampling: predictions at " ..
  "pattern averaged over the sweeps after burn-in; new items or users are predicted from their features (link = " ..
  "true: features predict the ids' parameters). With trace = true also the running RMSE against pattern's values.",
  "models.implicit(train, col_map, n)", "Implicit feedback as user features (SVD++ style): the training items each " ..
  "of the n users rated, weighted 1/sqrt(count); empty rows for new users (col_map 0).",
}

return {}
