-- The study's baseline tables: means (shrinkage 0, .1, .5, .9, 1) for T1,
-- T2a, T2b, T3; mean+SVD (k = 100 and a small k) for T1; mean+SVD+regression
-- (ridge, alpha 250, from features to the SVD factors) for T1 and T2a, and
-- for T2b and T3 with user features where the data set has them.
--   simec examples/baselines.lua [DATA_DIR | --synthetic] [--json FILE]
--       [--item-features FILE] [--user-features FILE] [--k N] [--small-k N]
local data, splits = require "simec.data", require "simec.splits"
local models, metrics = require "simec.models", require "simec.metrics"

local cli = require "simec.cli"
local opts = cli.parse(arg, {json = "string", synthetic = "flag", item_features = "string", user_features = "string",
                             k = "integer", small_k = "integer"}, "baselines")
opts.k, opts.small_k = opts.k or 100, opts.small_k or 10
local t0 = simec.clock()
local ds = cli.dataset(opts, {items = 1682, users = 943, ratings = 100000, seed = 13},
                       {item_features = opts.item_features, user_features = opts.user_features})
local R = ds.ratings
print(("%s: %d items x %d users, %d ratings, %d item features, %s user features (%.2fs to load)")
  :format(ds.name, R:nrows(), R:ncols(), R:nnz(), ds.items.features:ncols(),
          ds.users.features and tostring(ds.users.features:ncols()) or "no", simec.clock() - t0))

local results = {}
local function add(scenario, method, pred, truth, t, params)
  results[#results + 1] = {scenario = scenario, method = method, rmse = metrics.rmse(pred, truth),
                           mae = metrics.mae(pred, truth), seconds = simec.clock() - t, params = params or {}}
end
local function plus(a, b) return sparse.from_values(a, a:values() + b:values()) end

for _, sc in ipairs{"T1", "T2a", "T2b", "T3"} do
  local t = simec.clock()
  local s = splits.split(R, sc, {order = ds.order})
  local split_s = simec.clock() - t
  for _, sh in ipairs{0, 0.1, 0.5, 0.9, 1} do
    t = simec.clock()
    local m = models.means(s.train, {shrinkage = sh})
    add(sc, sh == 1 and "mean" or ("mean(s=%g)"):format(sh), m:predict(s.test, s.row_map, s.col_map), s.test, t,
        {shrinkage = sh})
  end
  local m = models.means(s.train)
  local base = m:predict(s.test, s.row_map, s.col_map)
  local resid = m:residuals(s.train)
  local kmax = math.min(resid:nrows(), resid:ncols()) - 1
  local k = math.min(opts.k, kmax)
  t = simec.clock()
  local sv = models.svd(resid, k)
  local svd_s = simec.clock() - t
  if sc == "T1" then
    for _, kk in ipairs{k, math.min(opts.small_k, kmax)} do
      t = simec.clock()
      local skk = kk == k and sv or models.svd(resid, kk)
      add(sc, kk == 100 and "mean+SVD" or ("mean+SVD(k=%d)"):format(kk), plus(base, skk:predict(s.test, s.row_map, s.col_map)),
          s.test, t - (kk == k and svd_s or 0), {k = kk})
    end
  end
  local has_users = ds.users.features ~= nil
  local sides = {}
  if sc == "T1" or sc == "T2a" then sides[#sides + 1] = {items = true} end
  if (sc == "T2b" or sc == "T3") and has_users then
    sides[#sides + 1] = sc == "T2b" and {users = true} or {items = true, users = true}
  end
  for _, side in ipairs(sides) do
    t = simec.clock()
    local ro = {alpha = 250}
    if side.items then ro.items = ds.items.features:select_rows(s.train_items) end
    if side.users then ro.users = ds.users.features:select_rows(s.train_users) end
    local r = models.svd_regression(sv, ro)
    local p = r:predict(s.test, s.row_map, s.col_map, {items = ds.items.features, users = ds.users.features})
    local name = (side.items and side.users) and "mean+SVD+regression(both)" or "mean+SVD+regression"
    add(sc, name, plus(base, p), s.test, t - svd_s, {k = k, alpha = 250})
  end
  io.stderr:write(("%s: split %.2fs, %d train / %d test ratings\n"):format(sc, split_s, s.train:nnz(), s.test:nnz()))
end

print(("%-9s %-28s %8s %8s %8s"):format("scenario", "method", "RMSE", "MAE", "seconds"))
for _, r in ipairs(results) do
  print(("%-9s %-28s %8.4f %8.4f %8.3f"):format(r.scenario, r.method, r.rmse, r.mae, r.seconds))
end

if opts.json then
  require("simec.report").json(opts.json, ds.name, results)
  print("wrote " .. opts.json)
end
