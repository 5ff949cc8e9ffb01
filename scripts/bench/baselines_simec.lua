-- The baseline pipeline timed stage by stage (scripts/bench/baselines.sh):
--   simec baselines_simec.lua RATINGS.tsv ITEM_FEATURES.tsv
-- prints "stage seconds" lines, then "rmse value", "svd_top value..." (the
-- pipeline's SVD: the default method) and a line for each other method.
local ratings_path, features_path = arg[1], arg[2]
local clock = simec.clock
local times, t = {}, clock()
local function stage(name) local now = clock(); times[#times + 1] = {name, now - t}; t = now end

local R, info = sparse.read(ratings_path, {row = 2, col = 1, order = true})
stage("load")
-- "item<TAB>token" pairs read as a binary items x tokens matrix, rows aligned with R's
local F = sparse.read(features_path, {delim = "\t", value = false})
local idx = {}
for i, id in ipairs(R:row_labels()) do
  idx[i] = F:row_index(id) or error("no features for item " .. id)
end
local X = F:select_rows(idx)
stage("features")
local s = splits.split(R, "T1", {order = info.order})
stage("split")
local m = models.means(s.train)
local resid = m:residuals(s.train)
stage("means")
local sv = models.svd(resid, 100)
stage("svd")
local reg = models.svd_regression(sv, {items = X:select_rows(s.train_items), alpha = 250})
stage("ridge")
local base = m:predict(s.test, s.row_map, s.col_map)
local p = reg:predict(s.test, s.row_map, s.col_map, {items = X})
local rmse = metrics.rmse(base + p, s.test)
stage("predict")
for _, st in ipairs(times) do print(st[1], ("%.3f"):format(st[2])) end
print("rmse", ("%.6f"):format(rmse))
local top = {}
for i = 1, 100 do top[i] = ("%.17g"):format(sv.s:get(i)) end
print("svd_top", table.concat(top, " "))
-- the other methods on the same residuals, outside the pipeline's total:
-- seconds and the largest relative difference from the pipeline's values
-- in the top 20 and the top 100 (and the values, for svds to judge)
for _, method in ipairs{"arpack", "randomized"} do
  t = clock()
  local sr = svd.values(resid, 100, {method = method})
  local rs = clock() - t
  local worst, worst20, vals = 0, 0, {}
  for i = 1, 100 do
    local e = math.abs(sr:get(i) / sv.s:get(i) - 1)
    worst = math.max(worst, e)
    if i <= 20 then worst20 = math.max(worst20, e) end
    vals[i] = ("%.17g"):format(sr:get(i))
  end
  print("svd_" .. method, ("%.3f"):format(rs), ("%.3g"):format(worst20), ("%.3g"):format(worst),
        table.concat(vals, " "))
end
