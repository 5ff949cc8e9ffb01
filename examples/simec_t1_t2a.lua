-- The study's SimEc rows next to its baselines: mean, mean+SVD, mean+SVD+
-- regression, and SimEc(I) / SimEc(X) for T1, SimEc(X) for T2a, each in the
-- study's zero-filled setting and masked. SimEcs learn the residuals of the
-- means model; their embedding size, learning rate, embedding regularisation
-- and number of epochs are chosen on a validation split carved from the training side
-- (the same scenario's split of the training ratings), never on the test set.
-- In T2a the means model has no mean for a new item, so the validation split
-- also chooses whether the SimEc learns the residuals of the full means model
-- or of global + user means only (base "users"), which leave each item's
-- effect in the targets for the features to predict.
--   simec examples/simec_t1_t2a.lua [DATA_DIR | --synthetic] [--json FILE] [--epochs N]
local data, splits = require "simec.data", require "simec.splits"
local models, metrics = require "simec.models", require "simec.metrics"

local cli = require "simec.cli"
local opts = cli.parse(arg, {json = "string", synthetic = "flag", epochs = "integer"}, "simec_t1_t2a")
opts.epochs = opts.epochs or 20
local ds = cli.dataset(opts, {items = 1682, users = 943, ratings = 100000, seed = 13})
local R, F = ds.ratings, ds.items.features
print(("%s: %d items x %d users, %d ratings, %d item features"):format(ds.name, R:nrows(), R:ncols(), R:nnz(),
                                                                       F:ncols()))

local GRID = {lr = {0.002, 0.01}, l2_reg_emb = {1e-5, 1e-3, 0.1}, embedding = {10, 100}}
local function plus(a, b) return sparse.from_values(a, a:values() + b:values()) end

-- A SimEc on the residuals of the means model of train; X: the input rows of
-- train (nil: identity). on_epoch(model, base, epoch) is called after every epoch.
local function fit_simec(train, X, missing, p, epochs, on_epoch)
  local mm = models.means(train, {rows = p.base ~= "users"})
  local resid = mm:residuals(train)
  local m = SimEc.new{input = X and X:ncols() or "identity", rows = resid:nrows(), embedding = p.embedding,
                      output = resid:ncols(), missing = missing, l2_reg_emb = p.l2_reg_emb,
                      optimizer = {"adamax", lr = p.lr}, seed = 28}
  m:fit(X, resid, {epochs = epochs, batch_size = 32, verbose = false, seed = 13,
                   on_epoch = on_epoch and function(e) return on_epoch(m, mm, e) end})
  return m, mm
end

-- mean + SimEc predictions at the test pattern (Xtest: the input rows of test's rows)
local function predict(m, mm, s, Xtest)
  return plus(mm:predict(s.test, s.row_map, s.col_map), m:predict_at(Xtest, s.test))
end

-- tunes on the validation split of s.train, refits on s.train with the best
-- lr, l2_reg_emb and epoch count, predicts s.test
local function simec_row(sc, s, input, missing)
  local Xtr = input == "X" and F:select_rows(s.train_items) or nil
  local inner = splits.split(s.train, sc)
  local Xin = input == "X" and Xtr:select_rows(inner.train_items) or nil
  local grid = GRID
  if sc == "T2a" then
    grid = {base = {"means", "users"}}
    for k, v in pairs(GRID) do grid[k] = v end
  end
  local best = models.tune(grid, function(p)
    local best_rmse, best_epoch = math.huge, 0
    fit_simec(inner.train, Xin, missing, p, opts.epochs, function(m, mm, e)
      local pred = plus(mm:predict(inner.test, inner.row_map, inner.col_map), m:predict_at(Xtr, inner.test))
      local r = metrics.rmse(pred, inner.test)
      if r < best_rmse then best_rmse, best_epoch = r, e end
    end)
    return best_rmse, {epochs = best_epoch}
  end)
  local m, mm = fit_simec(s.train, Xtr, missing, best, best.epochs)
  return predict(m, mm, s, input == "X" and F or nil), best
end

local results = {}
local function add(sc, method, pred, truth, t, params)
  results[#results + 1] = {scenario = sc, method = method, rmse = metrics.rmse(pred, truth),
                           mae = metrics.mae(pred, truth), seconds = simec.clock() - t, params = params or {}}
end

for _, sc in ipairs{"T1", "T2a"} do
  local s = splits.split(R, sc, {order = ds.order})
  local t = simec.clock()
  local mm = models.means(s.train)
  local base = mm:predict(s.test, s.row_map, s.col_map)
  add(sc, "mean", base, s.test, t)
  t = simec.clock()
  local sv = models.svd(mm:residuals(s.train), math.min(100, math.min(s.train:shape()) - 1))
  if sc == "T1" then add(sc, "mean+SVD", plus(base, sv:predict(s.test, s.row_map, s.col_map)), s.test, t, {k = 100}) end
  local reg = models.svd_regression(sv, {items = F:select_rows(s.train_items), alpha = 250})
  add(sc, "mean+SVD+regression", plus(base, reg:predict(s.test, s.row_map, s.col_map, {items = F})), s.test, t,
      {k = 100, alpha = 250})
  for _, row in ipairs(sc == "T1" and {{"I", "zero"}, {"I", "mask"}, {"X", "zero"}, {"X", "mask"}}
                       or {{"X", "zero"}, {"X", "mask"}}) do
    t = simec.clock()
    local pred, p = simec_row(sc, s, row[1], row[2])
    local name = ("mean+SimEc(%s)%s"):format(row[1], row[2] == "mask" and " masked" or "")
    add(sc, name, pred, s.test, t, {lr = p.lr, l2_reg_emb = p.l2_reg_emb, epochs = p.epochs, embedding = p.embedding,
                                  base = p.base})
  end
end

print(("%-9s %-26s %8s %8s %8s  %s"):format("scenario", "method", "RMSE", "MAE", "seconds", "chosen on validation"))
for _, r in ipairs(results) do
  local ps = r.params.lr and ("embedding %d, lr %g, l2_reg_emb %g, %d epochs%s")
    :format(r.params.embedding, r.params.lr, r.params.l2_reg_emb, r.params.epochs,
            r.params.base and ", base " .. r.params.base or "") or ""
  print(("%-9s %-26s %8.4f %8.4f %8.2f  %s"):format(r.scenario, r.method, r.rmse, r.mae, r.seconds, ps))
end

if opts.json then
  require("simec.report").json(opts.json, ds.name, results)
  print("wrote " .. opts.json)
end
