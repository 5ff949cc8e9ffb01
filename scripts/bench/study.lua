-- The study at scale (scripts/bench/study.sh): synthetic ratings the size
-- of MovieLens-10M (10,681 items x 69,878 users, 1000 item features, no
-- user features) or of ML-25M, the four tasks (or those asked) with
-- all_tasks' models on the default or quick grid; prints the study's table,
-- then "model seconds" per model over the tasks, the total and peak RSS.
--   simec study.lua ITEMS USERS RATINGS ITEM_FEATURES GRID SCENARIOS [MODELS]
local study, data = require "simec.study", require "simec.data"
local items, users, n, nf = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4])
local grid, scenarios = arg[5] or "quick", arg[6] or "T1,T2a,T2b,T3"
local t0 = simec.clock()
local ds = data.synthetic{items = math.tointeger(items), users = math.tointeger(users), ratings = math.tointeger(n),
                          rank = 20, item_features = math.tointeger(nf), item_tokens = 20, user_features = 0,
                          seed = 13}
ds.users.features = nil
ds.items.sets = {("synthetic (%d binary)"):format(nf)}
io.stderr:write(("generated %d ratings in %.1fs\n"):format(ds.ratings:nnz(), simec.clock() - t0))
local sc = {}
for s in scenarios:gmatch("[^,]+") do sc[#sc + 1] = s end
local models = {"mean", "biases", "svd", "simec", "simec_masked", "two_simec", "two_simec_masked", "biases_simec",
                "mcmc", "mf", "blend"}
if arg[7] then
  models = {}
  for m in arg[7]:gmatch("[^,]+") do models[#models + 1] = m end
end
local runs = study.run(ds, {models = models, scenarios = sc, grids = grid})
study.print(ds, runs)
local per, order = {}, {}
for _, r in ipairs(runs) do
  if r.seconds then
    if not per[r.model] then per[r.model] = 0; order[#order + 1] = r.model end
    per[r.model] = per[r.model] + r.seconds
  end
end
for _, m in ipairs(order) do print(("model %s %.1f"):format(m, per[m])) end
print(("total %.1f"):format(simec.clock() - t0))
