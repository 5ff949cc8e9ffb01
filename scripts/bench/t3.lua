-- The T3 run of scripts/bench/t3.sh: synthetic data the size of
-- MovieLens-10M with item and user features, the study's T3 split, learned
-- biases with features, and two SimEcs (masked, 3 epochs each) on their
-- residuals; then the Bayesian factorization model (Gibbs sampling, k 8,
-- 5 + 15 sweeps; MCMC_SWEEPS=burn_in,samples changes them). Prints
-- "stage seconds" lines and "rmse method value".
--   simec t3.lua [RATINGS]
local n = math.tointeger(tonumber(arg[1] or "10000054"))
local clock, t = simec.clock, simec.clock()
local function stage(name) local now = clock(); print(("%s %.3f"):format(name, now - t)); t = now end
local ds = data.synthetic{items = 10681, users = 69878, ratings = n, rank = 20, item_features = 1000, item_tokens = 20,
                          user_features = 200, user_tokens = 5, seed = 13}
local Xi, Xu = ds.items.features, ds.users.features
stage("generate")
local s = splits.split(ds.ratings, "T3")
stage("split")
local b = models.biases(s.train, {items = Xi:select_rows(s.train_items), users = Xu:select_rows(s.train_users)})
local base = b:predict(s.test, s.row_map, s.col_map, {items = Xi, users = Xu})
stage("biases")
local ts = models.two_simec(b:residuals(s.train), {items = Xi:select_rows(s.train_items),
                            users = Xu:select_rows(s.train_users), embedding = 32, missing = "mask", seed = 28,
                            simec = {optimizer = {"adamax", lr = 0.002}, l2_reg_emb = 1e-4}, fit = {epochs = 3}})
stage("two_simec")
local p = ts:predict(s.test, s.row_map, s.col_map, {items = Xi, users = Xu})
stage("predict")
local burn, samples = (os.getenv("MCMC_SWEEPS") or "5,15"):match("^(%d+),(%d+)$")
if not burn then error("t3.lua: MCMC_SWEEPS must be burn_in,samples (e.g. 5,15)") end
local pm = models.fit_split(s, {items = Xi, users = Xu}, {model = "mcmc", k = 8, burn_in = tonumber(burn),
                                                         samples = tonumber(samples)})
stage("mcmc")
local mean = models.means(s.train):predict(s.test, s.row_map, s.col_map)
print(("rmse mean %.4f"):format(metrics.rmse(mean, s.test)))
print(("rmse biases+features %.4f"):format(metrics.rmse(base, s.test)))
print(("rmse biases+two-SimEc %.4f"):format(metrics.rmse(base + p, s.test)))
print(("rmse mcmc %.4f"):format(metrics.rmse(pm, s.test)))
print(("ratings train %d test %d"):format(s.train:nnz(), s.test:nnz()))
