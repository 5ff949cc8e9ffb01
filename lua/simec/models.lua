-- Rating and relation models, one module per family behind this table:
-- simec.models.baseline (means, biases, ridge), .svd (SVD, SVD +
-- regression), .mcmc (the Bayesian factorization model, implicit
-- features), .mf (matrix factorisation by SGD), .simec (two SimEcs, SimEc's Lua methods), .implicit (EASE),
-- .relations (GIP kernels, KronRLS) and .scenario (fit_split). Each adds
-- its functions to this table and registers its own help.
local simec = require "simec"
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


-- Stacking (Breiman 1996): the non-negative weights w minimising
-- ||sum_j w_j preds[j] - truth||, by least squares on the members'
-- predictions for held-out ratings (never the test set). The weights need
-- not sum to one: cold-start members predict deviations from the mean too
-- timidly, and a sum above one undoes that shrinkage. Every support is
-- tried (exact for the few members a blend has); a support whose members
-- are collinear is left to a smaller one, which fits as well.
--   w = models.stack({p_mcmc, p_biases}, validation.test)
local STACK_MAX = 8
local function column(x, what)
  if simec.sparse.is(x) then return x:values() end
  if simec.matrix.is(x) then return x:reshape(x:nrows() * x:ncols(), 1) end
  error(("models.stack: %s must be a sparse matrix or a matrix, got %s"):format(what, type(x)), 3)
end

function models.stack(preds, truth)
  if type(preds) ~= "table" or #preds == 0 or #preds > STACK_MAX then
    error(("models.stack: expected a list of 1 to %d predictions"):format(STACK_MAX), 2)
  end
  local y, m = column(truth, "truth"), #preds
  local cols = {}
  for j = 1, m do
    cols[j] = column(preds[j], ("prediction %d"):format(j))
    if cols[j]:nrows() ~= y:nrows() then
      error(("models.stack: prediction %d has %d values for %d true values"):format(j, cols[j]:nrows(), y:nrows()), 2)
    end
  end
  local G, b = {}, {}
  for i = 1, m do
    G[i], b[i] = {}, cols[i]:dot(y)
    for j = 1, m do G[i][j] = cols[i]:dot(cols[j]) end
  end
  local best, best_f = {}, 0 -- all weights zero: objective 0
  for j = 1, m do best[j] = 0 end
  for mask = 1, (1 << m) - 1 do
    local S = {}
    for j = 1, m do if mask & (1 << (j - 1)) ~= 0 then S[#S + 1] = j end end
    local A, r = {}, {}
    for a, i in ipairs(S) do
      A[a], r[a] = {}, {b[i]}
      for c, j in ipairs(S) do A[a][c] = G[i][j] end
    end
    local ok, x = pcall(simec.matrix.solve, simec.matrix.new(A), simec.matrix.new(r))
    if ok then
      local w, feasible, f = {}, true, 0
      for j = 1, m do w[j] = 0 end
      for a, i in ipairs(S) do
        w[i] = x:get(a, 1)
        feasible = feasible and w[i] >= 0 and w[i] == w[i]
      end
      if feasible then
        for _, i in ipairs(S) do
          f = f - 2 * b[i] * w[i]
          for _, j in ipairs(S) do f = f + w[i] * G[i][j] * w[j] end
        end
        if f < best_f then best, best_f = w, f end
      end
    end
  end
  return best
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
  "models.stack(preds, truth)", "Stacking weights: the non-negative w minimising ||sum w_j preds[j] - truth|| " ..
  "(least squares; need not sum to one) for up to 8 predictions of held-out ratings; returns the list of weights.",
  "models.identity(n)", "The identity map 1..n (a row or column map for the full index space).",
}

return models
