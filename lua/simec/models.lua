-- Rating and relation models, one module per family behind this table:
-- simec.models.baseline (means, biases, ridge), .svd (SVD, SVD +
-- regression), .mcmc (the Bayesian factorization model, implicit
-- features), .mf (matrix factorisation by SGD), .simec (two SimEcs, SimEc's Lua methods), .implicit (EASE),
-- .relations (GIP kernels, KronRLS) and .scenario (fit_split). Each adds
-- its functions to this table and registers its own help.
local models = {}
package.loaded["simec.models"] = models -- the families add to this table

function models.identity(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return t
end


-- Grid search on validation data: evaluate(params) for every combination
-- of grid's lists (keys in sorted order, so runs are reproducible) must
-- return a score, lower is better, computed on data carved from the
-- training side (never the test set), and may return a table of extras
-- (e.g. the best epoch). Returns the best params (extras merged in), its
-- score and every trial {params, score}.
--   best = models.tune({lr = {0.002, 0.01}, l2 = {1e-5, 1e-3}}, function(p) ... return rmse end)
function models.tune(grid, evaluate)
  if type(grid) ~= "table" or type(evaluate) ~= "function" then
    error("models.tune: expected a grid table and an evaluate function", 2)
  end
  local keys = {}
  for k, v in pairs(grid) do
    if type(v) ~= "table" or #v == 0 then error(("models.tune: grid.%s must be a non-empty list"):format(k), 2) end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local trials, best, best_score = {}, nil, math.huge
  local function rec_(i, params)
    if i > #keys then
      local p = {}
      for k, v in pairs(params) do p[k] = v end
      local score, extra = evaluate(p)
      if type(score) ~= "number" or score ~= score then
        error(("models.tune: evaluate must return a number, got %s"):format(tostring(score)), 3)
      end
      for k, v in pairs(extra or {}) do p[k] = v end
      trials[#trials + 1] = {params = p, score = score}
      if score < best_score then best, best_score = p, score end
      return
    end
    for _, v in ipairs(grid[keys[i]]) do
      params[keys[i]] = v
      rec_(i + 1, params)
    end
  end
  rec_(1, {})
  return best, best_score, trials
end


-- the families, each registering its classes with help as it loads
for _, family in ipairs{"baseline", "svd", "mcmc", "mf", "simec", "implicit", "relations", "scenario"} do
  require("simec.models." .. family)
end

require("simec.help").add{
  "models", "Rating models: the study's baselines, learned biases, SVD (+ regression from features), ridge, " ..
  "two-SimEc cold start, a per-scenario helper and hyper-parameter tuning on validation data. Every model object " ..
  "predicts at a sparse pattern (e.g. the test ratings) with the split's row and column maps.",
  "models.tune(grid, evaluate)", "Grid search: evaluate(params) returns a validation score (lower is better, never " ..
  "computed on the test set) and optional extras; returns the best params, its score and all trials.",
  "models.identity(n)", "The identity map 1..n (a row or column map for the full index space).",
}

return models
