-- All four tasks on MovieLens (ml-100k has item and user features): T1
-- (known items and users), T2a (new items), T2b (new users), T3 (both new),
-- each with the means model, learned regularised biases with ridge from the
-- features to the biases of new items and users, SVD (+ regression from the features of the new
-- side), a one-sided SimEc zero-filled and masked (T3: none can serve both
-- new sides), and the two-SimEc scheme — the table the study could not
-- make. Every model learns the residuals of the means model, except the
-- last three rows of each scenario: a zero-filled SimEc on the residuals of
-- the learned biases, the Bayesian factorization model (models.mcmc, its
-- own biases), and a blend of those two weighted on validation
-- predictions. SimEcs have a 10-d embedding, Adamax and l2 1e-3 on the
-- embedding; their learning rate and epochs, and the biases' regularisation
-- and feature ridge, are chosen on the scenario's split of the training
-- side (SVD k = 100 and ridge alpha 250 are the study's).
--   simec examples/all_tasks.lua [DATA_DIR | --synthetic] [--json FILE]
local data, splits = require "simec.data", require "simec.splits"
local models, metrics = require "simec.models", require "simec.metrics"

local cli = require "simec.cli"
local opts = cli.parse(arg, {json = "string", synthetic = "flag"}, "all_tasks")
local ds = cli.dataset(opts, {items = 1682, users = 943, ratings = 100000, item_features = 40, user_features = 30,
                              seed = 13})
local R, Xi, Xu = ds.ratings, ds.items.features, ds.users.features
if not Xu then error("all_tasks: the data set has no user features (T2b and T3 need them)") end
print(("%s: %d items x %d users, %d ratings, %d item and %d user features"):format(ds.name, R:nrows(), R:ncols(),
                                                                                  R:nnz(), Xi:ncols(), Xu:ncols()))

local GRID = {lr = {0.002, 0.01}, epochs = {5, 20}}
-- the best rows (a SimEc on the residuals of learned biases) search further
local WIDE_GRID = {lr = {0.002, 0.01, 0.03}, epochs = {5, 20, 40}}
-- learned biases: item and user regularisation, and the ridge from features to biases
local BIAS_GRID = {reg_items = {1, 3, 10, 30}, reg_users = {1, 3, 10, 30}, alpha = {1, 10, 100, 1000}}
-- Bayesian factorization (Gibbs sampling): factors, the features of every side or of the new sides only
-- (in T3 both sides are new), and, where users are known (T1, T2a), whether the items each user rated in
-- training join its features (implicit feedback)
-- (adding link = {false, true} — the features as prior means of the ids' parameters — to the first grid,
-- without implicit feedback, gave T1 0.8910, T2a 1.0300, T2b 1.0002, T3 1.0245; see the README)
local MCMC_GRID = {T1 = {k = {0, 8, 16}, features = {"all", "new"}, implicit = {false, true}},
                   T2a = {k = {0, 8, 16}, features = {"all", "new"}, implicit = {false, true}},
                   T2b = {k = {0, 8, 16}, features = {"all", "new"}}, T3 = {k = {0, 8, 16}, features = {"all"}}}
local function plus(a, b) return sparse.from_values(a, a:values() + b:values()) end

-- models.tune where fit(params) gives predictions at the validation ratings
-- val; also returns the best setting's validation predictions
local function tune_keep(grid, val, fit)
  local kept, kept_score = nil, math.huge
  local best = models.tune(grid, function(p)
    local pred = fit(p)
    local score = metrics.rmse(pred, val)
    if score < kept_score then kept, kept_score = pred, score end
    return score
  end)
  return best, kept
end

-- models.fit_split with lr and epochs chosen on inner, the scenario's split
-- of the training side (X_in: its features), then refitted on all of it
-- (base "biases": with the bias settings b chosen before); also the chosen
-- setting's predictions on inner
local function tuned(kind, s, inner, X_in, missing, base, b)
  local function opts(p)
    return {model = kind, missing = missing, lr = p.lr, epochs = p.epochs, base = base,
            reg_items = b and b.reg_items, reg_users = b and b.reg_users, bias_alpha = b and b.alpha}
  end
  local best, val = tune_keep(b and WIDE_GRID or GRID, inner.test, function(p)
    return models.fit_split(inner, X_in, opts(p))
  end)
  return models.fit_split(s, {items = Xi, users = Xu}, opts(best)), best, val
end

-- w a + (1 - w) b, for predictions with one structure
local function mix(a, b, w) return sparse.from_values(a, a:values() * w + b:values() * (1 - w)) end

local results, t_all = {}, simec.clock()
for _, sc in ipairs{"T1", "T2a", "T2b", "T3"} do
  local s = splits.split(R, sc, {order = ds.order})
  local function add(method, pred, t, params)
    results[#results + 1] = {scenario = sc, method = method, rmse = metrics.rmse(pred, s.test),
                             mae = metrics.mae(pred, s.test), seconds = simec.clock() - t, params = params or {}}
  end
  local t = simec.clock()
  local mm = models.means(s.train)
  local base = mm:predict(s.test, s.row_map, s.col_map)
  add("mean", base, t)
  local resid = mm:residuals(s.train)
  -- learned, regularised biases, with ridge from features to the biases of new items and users
  t = simec.clock()
  local inner = splits.split(s.train, sc)
  local X_in = {items = Xi:select_rows(s.train_items), users = Xu:select_rows(s.train_users)}
  local function biases(sp, X, p)
    return models.biases(sp.train, {reg_items = p.reg_items, reg_users = p.reg_users, alpha = p.alpha,
                                    items = X.items:select_rows(sp.train_items), users = X.users:select_rows(sp.train_users)})
  end
  local bb = models.tune(BIAS_GRID, function(p)
    return metrics.rmse(biases(inner, X_in, p):predict(inner.test, inner.row_map, inner.col_map, X_in), inner.test)
  end)
  add("biases+features", biases(s, {items = Xi, users = Xu}, bb):predict(s.test, s.row_map, s.col_map,
      {items = Xi, users = Xu}), t, {bias = bb})
  t = simec.clock()
  local sv = models.svd(resid, math.min(100, math.min(resid:shape()) - 1))
  if sc == "T1" then
    add("mean+SVD", plus(base, sv:predict(s.test, s.row_map, s.col_map)), t, {k = 100})
  else
    local ro = {alpha = 250}
    if sc ~= "T2b" then ro.items = Xi:select_rows(s.train_items) end
    if sc ~= "T2a" then ro.users = Xu:select_rows(s.train_users) end
    local r = models.svd_regression(sv, ro)
    add(sc == "T3" and "mean+SVD+regression(both)" or "mean+SVD+regression",
        plus(base, r:predict(s.test, s.row_map, s.col_map, {items = Xi, users = Xu})), t, {k = 100, alpha = 250})
  end
  for _, kind in ipairs(sc == "T3" and {"two_simec"} or {"simec", "two_simec"}) do
    for _, miss in ipairs{"zero", "mask"} do
      t = simec.clock()
      local pred, p = tuned(kind, s, inner, X_in, miss)
      add(("mean+%s%s"):format(kind == "two_simec" and "two-SimEc" or "SimEc(X)", miss == "mask" and " masked" or ""),
          pred, t, {embedding = 10, lr = p.lr, epochs = p.epochs})
    end
  end
  -- the zero-filled SimEc again, on the residuals of the learned biases
  t = simec.clock()
  local kind = sc == "T3" and "two_simec" or "simec"
  local pred, p, pred_val = tuned(kind, s, inner, X_in, "zero", "biases", bb)
  add(("biases+%s"):format(kind == "two_simec" and "two-SimEc" or "SimEc(X)"), pred, t,
      {embedding = 10, lr = p.lr, epochs = p.epochs, bias = bb})
  -- the Bayesian factorization model: its factors and whose features it sees chosen on validation
  t = simec.clock()
  local function mcmc(sp, X, q)
    return models.fit_split(sp, X, {model = "mcmc", k = q.k, features = q.features, implicit = q.implicit})
  end
  local mq, mcmc_val = tune_keep(MCMC_GRID[sc], inner.test, function(q) return mcmc(inner, X_in, q) end)
  local mcmc_pred = mcmc(s, {items = Xi, users = Xu}, mq)
  add("MCMC", mcmc_pred, t, {k = mq.k, features = mq.features, implicit = mq.implicit})
  -- the last two rows blended, the weight of MCMC (0, 0.1, ..., 1) chosen on their validation predictions
  t = simec.clock()
  local w = models.tune({w = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}}, function(q)
    return metrics.rmse(mix(mcmc_val, pred_val, q.w), inner.test)
  end).w
  add("blend(MCMC, biases+SimEc)", mix(mcmc_pred, pred, w), t, {weight = w})
end

print(("%-9s %-28s %8s %8s %8s  %s"):format("scenario", "method", "RMSE", "MAE", "seconds", "chosen on validation"))
for _, r in ipairs(results) do
  local b = r.params.bias
  local bias = b and ("biases: reg %g/%g, alpha %g"):format(b.reg_items, b.reg_users, b.alpha) or ""
  local p, chosen = r.params, bias
  if p.weight then chosen = ("weight %g on MCMC (time: the blend only)"):format(p.weight)
  elseif p.features then
    chosen = ("k %d, features of %s sides%s"):format(p.k, p.features, p.implicit and ", implicit" or "")
  elseif p.lr then chosen = ("lr %g, %d epochs%s"):format(p.lr, p.epochs, b and "; " .. bias or "") end
  print(("%-9s %-28s %8.4f %8.4f %8.2f  %s"):format(r.scenario, r.method, r.rmse, r.mae, r.seconds, chosen))
end
print(("total %.1fs (tuning included)"):format(simec.clock() - t_all))
if opts.json then
  require("simec.report").json(opts.json, ds.name, results)
  print("wrote " .. opts.json)
end
