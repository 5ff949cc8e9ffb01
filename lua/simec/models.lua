-- Baseline models of the study, with the per-rating work in C.
--   m = models.means(train, {shrinkage = 1, rows = true})
--   p = m:predict(test, s.row_map, s.col_map)   -- sparse, test's structure
--   r = m:residuals(train)                       -- train minus the model
local simec = require "simec"
local rec = require "simec.rec"
local matrix, sparse, svd, SimEc, lrp = simec.matrix, simec.sparse, simec.svd, simec.SimEc, simec.lrp
local models = {}

local function check_sparse(x, what)
  if not sparse.is(x) then error(("models: %s must be a sparse matrix, got %s"):format(what, type(x)), 3) end
end

-- maps as rec expects them: nil (identity) or a list/matrix of train indices (0: new)
local Means = {}
Means.__index = Means

function models.means(train, opts)
  check_sparse(train, "train")
  opts = opts or {}
  local s = opts.shrinkage or 1
  if type(s) ~= "number" or s < 0 or s > 1 then
    error(("models.means: shrinkage must be in [0, 1], got %s"):format(tostring(s)), 2)
  end
  if train:nnz() == 0 then error("models.means: empty train set", 2) end
  local sum, row_mean, row_count, col_mean, col_count = rec.stats(train)
  -- rows = false leaves out the row (item) term: the residuals then keep
  -- each item's effect, for a model that must learn it from features
  if opts.rows == false then row_mean = matrix.ones(train:nrows(), 1) * (sum / train:nnz())
  elseif opts.rows ~= nil and opts.rows ~= true then
    error(("models.means: rows must be a boolean, got %s"):format(tostring(opts.rows)), 2)
  end
  return setmetatable({mu = sum / train:nnz(), s = s, row_mean = row_mean, row_count = row_count,
                       col_mean = col_mean, col_count = col_count, rows = opts.rows ~= false}, Means)
end

-- mu + s*(user mean - mu) + s*(item mean - mu) at the stored positions of
-- pattern; unknown (map 0) or unrated items/users contribute 0
function Means:predict(pattern, row_map, col_map)
  check_sparse(pattern, "pattern")
  return rec.bias_predict(self, pattern, row_map, col_map)
end

function Means:residuals(train)
  check_sparse(train, "train")
  return rec.bias_residuals(self, train)
end

-- Learned, regularised biases: r = mu + b_item + b_user fitted by
-- alternating ridge steps (b_i = sum over i's ratings of (r - mu - b_u) /
-- (count_i + reg_items), likewise b_u), and, given features, ridge from the
-- features to the biases so new items and users get one too (the study's
-- means model gives them 0).
--   b = models.biases(train, {reg_items = 5, reg_users = 5, iters = 10,
--                             items = Xi_train, users = Xu_train, alpha = 10})
--   p = b:predict(test, s.row_map, s.col_map, {items = Xi_full, users = Xu_full})
--   r = b:residuals(train)
local Biases = {}
Biases.__index = Biases

function models.biases(train, opts)
  check_sparse(train, "train")
  opts = opts or {}
  if train:nnz() == 0 then error("models.biases: empty train set", 2) end
  local li, lu = opts.reg_items or 5, opts.reg_users or 5
  if type(li) ~= "number" or li < 0 or type(lu) ~= "number" or lu < 0 then
    error("models.biases: reg_items and reg_users must be non-negative numbers", 2)
  end
  local mu = train:sum() / train:nnz()
  local nr, nc = train:shape()
  local ci, cu = train:row_counts(), train:col_counts():t()
  local bi, bu = matrix.zeros(nr, 1), matrix.zeros(nc, 1)
  -- a Means-shaped table predicts mu + b_i + b_u with rec's kernels
  local function as_means(b_i, b_u)
    return {mu = mu, s = 1, row_mean = b_i + mu, row_count = ci, col_mean = b_u + mu, col_count = cu}
  end
  for _ = 1, opts.iters or 10 do
    local r = rec.bias_residuals(as_means(matrix.zeros(nr, 1), bu), train)
    bi = r:row_sums():div(ci + li)
    r = rec.bias_residuals(as_means(bi, matrix.zeros(nc, 1)), train)
    bu = r:col_sums():t():div(cu + lu)
  end
  local b = setmetatable(as_means(bi, bu), Biases)
  b.bi, b.bu, b.reg_items, b.reg_users = bi, bu, li, lu
  if opts.items then b.items = models.ridge(opts.items, bi, opts.alpha or 10) end
  if opts.users then b.users = models.ridge(opts.users, bu, opts.alpha or 10) end
  return b
end

-- biases of the full space: learned for training rows (map > 0), from
-- features for the others (0 without features)
local function full_biases(learned, count, map, n, model, X)
  local pred = model and X and model:predict(X) or nil
  local b, c = matrix.zeros(n, 1), matrix.ones(n, 1)
  for i = 1, n do
    local k = map and map[i] or i
    if k and k > 0 and count:get(k) > 0 then b:set(i, 1, learned:get(k))
    elseif pred then b:set(i, 1, pred:get(i)) end
  end
  return b, c
end

function Biases:predict(pattern, row_map, col_map, X)
  check_sparse(pattern, "pattern")
  X = X or {}
  local nr, nc = pattern:shape()
  local bi, ci = full_biases(self.bi, self.row_count, row_map, nr, self.items, X.items)
  local bu, cu = full_biases(self.bu, self.col_count, col_map, nc, self.users, X.users)
  return rec.bias_predict({mu = self.mu, s = 1, row_mean = bi + self.mu, row_count = ci, col_mean = bu + self.mu,
                           col_count = cu}, pattern, models.identity(nr), models.identity(nc))
end

Biases.residuals = Means.residuals -- a Biases table is Means-shaped

-- Truncated SVD of residuals: predictions U S Vt at given positions.
local SVD = {}
SVD.__index = SVD

function models.svd(residuals, k, opts)
  check_sparse(residuals, "residuals")
  local U, s, Vt = svd.truncated(residuals, k, opts)
  return setmetatable({U = U, s = s, Vt = Vt, k = k, US = U:mul(s:t())}, SVD)
end

-- (U S Vt) at the positions of pattern (full space) through the maps
function SVD:predict(pattern, row_map, col_map)
  return rec.sample(self.US, self.Vt, pattern, row_map or models.identity(pattern:nrows()),
                    col_map or models.identity(pattern:ncols()))
end

function models.identity(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return t
end

-- SVD + regression (the study's "SVD+reg"): ridge from feature vectors to
-- the SVD factors, so every item (and, with user features, every user)
-- gets its factors from its features.
--   r = models.svd_regression(sv, {items = Xi_train, users = Xu_train, alpha = 250})
-- alpha is required: the study's 250 lives in simec.study (study.RIDGE_ALPHA).
--   p = r:predict(test, s.row_map, s.col_map, {items = Xi_full, users = Xu_full})
local SVDReg = {}
SVDReg.__index = SVDReg

function models.svd_regression(sv, opts)
  opts = opts or {}
  if getmetatable(sv) ~= SVD then error("models.svd_regression: expects a models.svd model", 2) end
  if not opts.items and not opts.users then error("models.svd_regression: give items and/or users features", 2) end
  if type(opts.alpha) ~= "number" or not (opts.alpha >= 0) then
    error(("models.svd_regression: alpha must be a non-negative number (the study's is 250), got %s"):format(
      tostring(opts.alpha)), 2)
  end
  local r = setmetatable({svd = sv, alpha = opts.alpha}, SVDReg)
  if opts.items then r.items = models.ridge(opts.items, sv.U, r.alpha, opts) end
  if opts.users then r.users = models.ridge(opts.users, sv.Vt:t(), r.alpha, opts) end
  return r
end

function SVDReg:predict(pattern, row_map, col_map, X)
  X = X or {}
  local sv = self.svd
  local left, right, rmap, cmap = sv.US, sv.Vt, row_map, col_map
  if self.items then
    if not X.items then error("svd_regression:predict: needs the item features of the full space", 2) end
    left = self.items:predict(X.items):mul(sv.s:t())
    rmap = models.identity(pattern:nrows())
  end
  if self.users then
    if not X.users then error("svd_regression:predict: needs the user features of the full space", 2) end
    right = self.users:predict(X.users):t()
    cmap = models.identity(pattern:ncols())
  end
  return rec.sample(left, right, pattern, rmap or models.identity(pattern:nrows()),
                    cmap or models.identity(pattern:ncols()))
end

-- Ridge regression X -> Y (multi-output), with intercept.
local Ridge = {}
Ridge.__index = Ridge

function models.ridge(X, Y, alpha, opts)
  opts = opts or {}
  if not (sparse.is(X) or matrix.is(X)) then error("models.ridge: X must be sparse or a matrix", 2) end
  local W, b, method, iters = rec.ridge(X, Y, alpha or 1.0, opts.intercept ~= false, opts.method or "auto")
  return setmetatable({W = W, b = b, alpha = alpha or 1.0, method = method, iterations = iters}, Ridge)
end

function Ridge:predict(X)
  return X * self.W + self.b
end

-- alpha chosen by k-fold cross-validation over the rows (seeded), mean
-- squared error on the held-out rows; refits on all rows with it.
function models.ridge_cv(X, Y, alphas, k, opts)
  opts = opts or {}
  k = k or 5
  if type(alphas) ~= "table" or #alphas == 0 then error("models.ridge_cv: alphas must be a non-empty list", 2) end
  local n = X:nrows()
  if k < 2 or k > n then error(("models.ridge_cv: k must be in 2..%d, got %s"):format(n, tostring(k)), 2) end
  local perm = simec.rng.new(opts.seed or 13):permutation(n)
  local scores = {}
  for a, alpha in ipairs(alphas) do
    local se = 0
    for f = 1, k do
      local tr, te = {}, {}
      for p = 1, n do
        if p > (f - 1) * n // k and p <= f * n // k then te[#te + 1] = perm[p] else tr[#tr + 1] = perm[p] end
      end
      local m = models.ridge(X:select_rows(tr), Y:select_rows(tr), alpha, opts)
      local d = m:predict(X:select_rows(te)) - Y:select_rows(te)
      se = se + d:norm() ^ 2
    end
    scores[a] = se / (n * Y:ncols())
  end
  local best = 1
  for a = 2, #alphas do if scores[a] < scores[best] then best = a end end
  local m = models.ridge(X, Y, alphas[best], opts)
  m.cv = {alphas = alphas, mse = scores, best = alphas[best]}
  return m
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
  local o = {k = opts.k, burn_in = opts.burn_in, samples = opts.samples, seed = opts.seed, init_std = opts.init_std,
             row_map = opts.row_map, col_map = opts.col_map, link = opts.link, trace = opts.trace}
  local sides = {{"items", "row", pattern:nrows(), train:nrows()}, {"users", "col", pattern:ncols(), train:ncols()}}
  for _, side in ipairs(sides) do
    local name, key, n, ntrain = table.unpack(side)
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
    if opts[key .. "_map"] == nil and n ~= ntrain then
      error(("models.mcmc: train has %d %s, the pattern %d: give %s_map"):format(ntrain, name, n, key), 2)
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

-- Two SimEcs for new items and new users (T2b, T3; the study's scheme):
-- the first side's SimEc learns R (items x users) from its features, then
-- the other side's SimEc learns R^T with its last layer fixed to the first
-- side's embeddings, so both map into one space where a rating is the dot
-- product of an item's and a user's embedding. A side without features
-- (nil) uses identity input: its rows must then be known ones.
--   ts = models.two_simec(R, {items = Xi, users = Xu, embedding = 100, missing = "mask", seed = 28,
--                             first = "items" | "users", finetune = 0, simec = {...}, fit = {...}})
--   p = ts:predict(test, s.row_map, s.col_map, {items = Xi_full, users = Xu_full})
-- missing and seed default to SimEc.new's (the core's); embedding is required.
-- finetune = n alternates n more rounds, each side refitted against the
-- other's current embeddings (frozen); simec and fit pass options through.
local TwoSimEc = {}
TwoSimEc.__index = TwoSimEc

local function side_model(X, rows, out, o, extra)
  local cfg = {input = X and X:ncols() or "identity", rows = rows, embedding = o.embedding, output = out,
               missing = o.missing, seed = o.seed}
  for k, v in pairs(o.simec or {}) do cfg[k] = v end
  for k, v in pairs(extra or {}) do cfg[k] = v end
  return SimEc.new(cfg)
end

function models.two_simec(R, opts)
  check_sparse(R, "R")
  opts = opts or {}
  if math.type(opts.embedding) ~= "integer" or opts.embedding < 1 then
    error(("models.two_simec: embedding must be a positive integer, got %s"):format(tostring(opts.embedding)), 2)
  end
  local first = opts.first or "items"
  if first ~= "items" and first ~= "users" then
    error(("models.two_simec: first must be \"items\" or \"users\", got %s"):format(tostring(first)), 2)
  end
  for _, side in ipairs{"items", "users"} do
    local X, n = opts[side], side == "items" and R:nrows() or R:ncols()
    if X and X:nrows() ~= n then
      error(("models.two_simec: %s features have %d rows, R has %d %s"):format(side, X:nrows(), n, side), 2)
    end
  end
  local fit = {epochs = 10, verbose = false}
  for k, v in pairs(opts.fit or {}) do fit[k] = v end
  local Xa, Xb, Ra = opts[first], opts[first == "items" and "users" or "items"], first == "items" and R or R:t()
  local Rb = Ra:t()
  local a = side_model(Xa, Ra:nrows(), Ra:ncols(), opts)
  a:fit(Xa, Ra, fit)
  local b = side_model(Xb, Rb:nrows(), Rb:ncols(), opts, {W_ll = a:transform(Xa):t(), wll_frozen = true})
  b:fit(Xb, Rb, fit)
  for _ = 1, opts.finetune or 0 do
    local last_a = #a:layers()
    a:set_layer(last_a, {W = b:transform(Xb):t()})
    a.wll_frozen = true
    a:fit(Xa, Ra, fit)
    b:set_layer(#b:layers(), {W = a:transform(Xa):t()})
    b:fit(Xb, Rb, fit)
  end
  local t = setmetatable({first = first, R = R}, TwoSimEc)
  if first == "items" then t.item_model, t.user_model = a, b else t.item_model, t.user_model = b, a end
  t.item_features, t.user_features = opts.items ~= nil, opts.users ~= nil
  return t
end

-- the embeddings of every item (or user) of the full space, and the map to use
local function side_embeddings(model, has_features, X, map, n, what)
  if has_features then
    if not X then error(("two_simec:predict: needs the %s features of the full space"):format(what), 3) end
    return model:transform(X), models.identity(n)
  end
  return model:transform(), map or models.identity(n)
end

function TwoSimEc:predict(pattern, row_map, col_map, X)
  check_sparse(pattern, "pattern")
  X = X or {}
  local Y, rmap = side_embeddings(self.item_model, self.item_features, X.items, row_map, pattern:nrows(), "item")
  local Z, cmap = side_embeddings(self.user_model, self.user_features, X.users, col_map, pattern:ncols(), "user")
  return rec.sample(Y, Z:t(), pattern, rmap, cmap)
end

-- Fits the means model (base = "biases": learned biases, see models.biases,
-- with reg (or reg_items and reg_users) and bias_alpha for the ridge from
-- features to biases) and, on its residuals, the model a split's scenario
-- needs, with features for the sides that may be new, and returns the
-- predicted ratings at s.test (sparse, its structure):
--   p = models.fit_split(s, {items = Xi, users = Xu},    -- full-space features
--                        {model = "svd_regression" | "simec" | "two_simec", missing = "mask",
--                         embedding = 10, lr = 0.002, epochs = 10, l2_reg_emb = 1e-3, seed = 13,
--                         k = 100, alpha = 250, base = "means" | "biases", reg = 5, reg_items =, reg_users =,
--                         bias_alpha = 10, on_epoch = function(epoch, predict) ... end})
-- base "users": global and user means only (the item effects stay in the
-- residuals, for the features to learn). input = "identity" gives a T1
-- SimEc identity input even where item features exist.
-- SimEc settings left out take SimEc.new's and fit's defaults (the core's);
-- embedding is required for the SimEc models. seed seeds the training
-- shuffles and, as seed + 15, the initial weights (so the default 13 draws
-- the study's initial weights, those of seed 28). on_epoch (model "simec")
-- is called after every epoch with a function giving the predictions at
-- s.test of the weights so far; it returns false to stop.
-- "simec" is one-sided: the item side for T1 and T2a (identity input for T1
-- without item features), the user side for T2b; T3 needs two sides.
-- "mcmc" (models.mcmc; k, burn_in, samples, seed, link) learns its own
-- biases (no base) and predicts new items or users without features from
-- the population, with the features of every side given (features =
-- "all") or of the new sides only ("new"); implicit = "users" (or true)
-- adds models.implicit to the user features, "items" the users who rated
-- each item to the item features, "both" both.
local NEEDS = {T1 = {}, T2a = {items = true}, T2b = {users = true}, T3 = {items = true, users = true}}

function models.fit_split(s, X, opts)
  X, opts = X or {}, opts or {}
  local need = NEEDS[s.scenario] or error(("models.fit_split: unknown scenario %s"):format(tostring(s.scenario)), 2)
  local kind = opts.model or "two_simec"
  for side in pairs(need) do
    if not X[side] and kind ~= "mcmc" then error(("models.fit_split: %s has new %s: give their features (%s = ...)"):format(
      s.scenario, side, side), 2) end
  end
  for side, n in pairs{items = s.test:nrows(), users = s.test:ncols()} do
    if X[side] and X[side]:nrows() ~= n then
      error(("models.fit_split: %s features have %d rows, the ratings have %d %s"):format(side, X[side]:nrows(), n,
            side), 2)
    end
  end
  if kind == "simec" and s.scenario == "T3" then
    error("models.fit_split: T3 has new items and new users: a one-sided SimEc cannot serve it (use two_simec)", 2)
  end
  if kind == "mcmc" then -- its own biases: no base model
    local f = opts.features or "all"
    if f ~= "all" and f ~= "new" then
      error(("models.fit_split: features must be \"all\" or \"new\", got %s"):format(tostring(f)), 2)
    end
    local users = (f == "all" or need.users) and X.users or nil
    local items = (f == "all" or need.items) and X.items or nil
    local imp = opts.implicit
    if imp == true then imp = "users" end
    if imp and imp ~= "users" and imp ~= "items" and imp ~= "both" then
      error(("models.fit_split: implicit must be false, true or \"users\", \"items\" or \"both\", got %s"):format(
        tostring(imp)), 2)
    end
    local function with(X0, extra)
      return X0 and sparse.hstack{sparse.is(X0) and X0 or sparse.from_dense(X0), extra} or extra
    end
    if imp == "users" or imp == "both" then -- the items each user rated in training, next to its features
      users = with(users, models.implicit(s.train, s.col_map, s.test:ncols()))
    end
    if imp == "items" or imp == "both" then -- the users who rated each item in training
      items = with(items, models.implicit(s.train:t(), s.row_map, s.test:nrows()))
    end
    return models.mcmc(s.train, s.test, {row_map = s.row_map, col_map = s.col_map, k = opts.k,
                                         items = items, users = users,
                                         burn_in = opts.burn_in, samples = opts.samples, seed = opts.seed,
                                         link = opts.link})
  end
  local Xi = X.items and X.items:select_rows(s.train_items) or nil
  local Xu = X.users and X.users:select_rows(s.train_users) or nil
  local bm
  if opts.base == "users" then -- global and user means only: the residuals keep each item's effect
    bm = models.means(s.train, {rows = false})
  elseif opts.base == "biases" then -- learned biases, from features for new items and users
    bm = models.biases(s.train, {reg_items = opts.reg_items or opts.reg or 5, reg_users = opts.reg_users or opts.reg or 5,
                                 items = Xi, users = Xu, alpha = opts.bias_alpha})
  elseif opts.base == nil or opts.base == "means" then
    bm = models.means(s.train)
  else
    error(("models.fit_split: base must be \"means\", \"users\" or \"biases\", got %s"):format(tostring(opts.base)), 2)
  end
  local base = bm:predict(s.test, s.row_map, s.col_map, X)
  local resid = bm:residuals(s.train)
  if kind ~= "svd_regression" and (math.type(opts.embedding) ~= "integer" or opts.embedding < 1) then
    error(("models.fit_split: embedding must be a positive integer, got %s"):format(tostring(opts.embedding)), 2)
  end
  if opts.on_epoch ~= nil and kind ~= "simec" then
    error("models.fit_split: on_epoch needs model \"simec\"", 2)
  end
  local seed = opts.seed or 13
  local fit = {epochs = opts.epochs, verbose = false, seed = seed}
  local cfg = {embedding = opts.embedding, missing = opts.missing, seed = seed + 15, l2_reg_emb = opts.l2_reg_emb,
               optimizer = {opts.optimizer or "adamax", lr = opts.lr}}
  local p
  if kind == "svd_regression" then
    if math.type(opts.k) ~= "integer" or opts.k < 1 then
      error(("models.fit_split: k must be a positive integer (the study's is 100), got %s"):format(tostring(opts.k)), 2)
    end
    local sv = models.svd(resid, math.min(opts.k, math.min(resid:shape()) - 1))
    if not need.items and not need.users then
      p = sv:predict(s.test, s.row_map, s.col_map)
    else
      local r = models.svd_regression(sv, {items = need.items and Xi or nil, users = need.users and Xu or nil,
                                           alpha = opts.alpha})
      p = r:predict(s.test, s.row_map, s.col_map, X)
    end
  elseif kind == "two_simec" then
    local ts = models.two_simec(resid, {items = Xi, users = Xu, embedding = cfg.embedding, missing = cfg.missing,
                                        seed = cfg.seed, fit = fit,
                                        simec = {l2_reg_emb = cfg.l2_reg_emb, optimizer = cfg.optimizer}})
    p = ts:predict(s.test, s.row_map, s.col_map, X)
  elseif kind == "simec" then
    local users = s.scenario == "T2b"
    local F, T = users and Xu or Xi, users and resid:t() or resid
    if opts.input == "identity" then
      if s.scenario ~= "T1" then error("models.fit_split: identity input needs known items (T1)", 2) end
      F = nil
    elseif opts.input ~= nil and opts.input ~= "features" then
      error(("models.fit_split: input must be \"features\" or \"identity\", got %s"):format(tostring(opts.input)), 2)
    end
    cfg.input, cfg.rows, cfg.output = F and F:ncols() or "identity", T:nrows(), T:ncols()
    local m = SimEc.new(cfg)
    -- embeddings of every row of the full space (identity input: the training
    -- rows, through the split's map, so test rows without training ratings,
    -- as a given split may have, get 0) times the last layer, at the test
    -- entries; the outputs are training columns, reached through the other map
    local function predict()
      local V = m:layers()[#m:layers()].W
      if users then
        return rec.sample(m:transform(X.users), V, s.test:t(), models.identity(s.test:ncols()), s.row_map):t()
      elseif F then
        return rec.sample(m:transform(X.items), V, s.test, models.identity(s.test:nrows()), s.col_map)
      end
      return rec.sample(m:transform(), V, s.test, s.row_map, s.col_map)
    end
    if opts.on_epoch then
      fit.on_epoch = function(epoch) return opts.on_epoch(epoch, function()
        return base + predict()
      end) end
    end
    m:fit(F, T, fit)
    p = predict()
  else
    error(("models.fit_split: model must be \"svd_regression\", \"simec\", \"two_simec\" or \"mcmc\", got %s"):format(
      tostring(kind)), 2)
  end
  return base + p
end

-- Methods of the SimEc userdata written in Lua (its method table lives in
-- the registry under the type's name).
local simec_methods = debug.getregistry()["SimEc"].__index
local SIMEC_META = debug.getregistry()["SimEc"]

-- self must be a model: m.similar(x) instead of m:similar(x) is a usage slip
local function check_self(self, method)
  if getmetatable(self) ~= SIMEC_META then
    local what = type(self) == "userdata" and (getmetatable(self) or {}).__name or type(self)
    error(("%s: expected a SimEc as self (call m:%s(...)), got %s"):format(method, method, tostring(what)), 3)
  end
end

-- What explain_rating returns: the list {{name, relevance}, ...} (most
-- relevant first), with output, user and rule; it prints as a small table.
local Explanation = require("simec.help").shape{__name = "rating explanation"}
Explanation.__tostring = function(e)
  local out = {("explanation (LRP, %s) of output %d = %.4f:"):format(e.rule, e.user, e.output)}
  local w = 0
  for _, t in ipairs(e) do w = math.max(w, #t[1]) end
  for _, t in ipairs(e) do out[#out + 1] = ("  %-" .. w .. "s  %+.4f"):format(t[1], t[2]) end
  if #e == 0 then out[#out + 1] = "  (no feature has a non-zero relevance)" end
  return table.concat(out, "\n")
end

-- m:explain_rating(x, user, names, {n = 10, rule = "epsilon", eps = 0}):
-- the features of one item (x: a 1-row matrix or sparse matrix) ranked by
-- their share of the model's output for user (its pre-activation), as
-- {{name, relevance}, ...}, and that output
function simec_methods.explain_rating(self, x, user, names, opts)
  check_self(self, "explain_rating")
  opts = opts or {}
  if (sparse.is(x) and x:nrows() or (matrix.is(x) and x:nrows())) ~= 1 then
    error("explain_rating: x must be one item's feature row (a 1-row matrix or sparse matrix)", 2)
  end
  local rule = opts.rule or "epsilon"
  local R = lrp.explain(self, x, {output = user, rule = rule, eps = opts.eps or 0})
  local V = self:layers()[#self:layers()].W
  local z = (self:transform(x) * V:select_cols({user})):get(1, 1)
  local top = setmetatable(lrp.top(R, names, opts.n or 10), Explanation)
  top.output, top.user, top.rule = z, user, rule
  return top, z
end

-- m:similar(Xq, Xall, k, {metric = "dot" | "cosine", exclude, include_self}):
-- for each row of Xq (nil: identity input, all rows) the k most similar
-- rows of Xall by their embeddings; returns indices (nq x k, 1-based) and
-- scores, best first. A row is not its own neighbour: where Xq is Xall (or
-- both are nil) query i leaves out row i unless include_self; exclude
-- gives, per query row, the index of Xall to leave out (e.g. the query's
-- own row when Xq is a selection of Xall's rows).
function simec_methods.similar(self, Xq, Xall, k, opts)
  check_self(self, "similar")
  opts = opts or {}
  local metric = opts.metric or "cosine"
  if metric ~= "dot" and metric ~= "cosine" then
    error(("similar: metric must be \"dot\" or \"cosine\", got %s"):format(tostring(metric)), 2)
  end
  local Yq, Ya = self:transform(Xq), self:transform(Xall)
  if math.type(k) ~= "integer" or k < 1 or k > Ya:nrows() then
    error(("similar: k must be between 1 and %d (the rows of Xall), got %s"):format(Ya:nrows(), tostring(k)), 2)
  end
  if metric == "cosine" then
    Yq = Yq:div(Yq:norm(2):maximum(1e-300))
    Ya = Ya:div(Ya:norm(2):maximum(1e-300))
  end
  local S = Yq * Ya:t()
  local exclude = opts.exclude
  if exclude == nil and not opts.include_self and rawequal(Xq, Xall) then
    exclude = {}
    for i = 1, S:nrows() do exclude[i] = i end
  end
  if exclude ~= nil then
    if type(exclude) == "number" then exclude = {exclude} end
    if type(exclude) ~= "table" or #exclude ~= S:nrows() then
      error(("similar: exclude must list one row of Xall per query row (%d), got %s"):format(S:nrows(),
            type(exclude) == "table" and #exclude .. " entries" or type(exclude)), 2)
    end
    if k > Ya:nrows() - 1 then
      error(("similar: k must be at most %d when each query leaves one row out, got %d"):format(Ya:nrows() - 1, k), 2)
    end
    for i, j in ipairs(exclude) do
      if math.type(j) ~= "integer" or j < 1 or j > S:ncols() then
        error(("similar: exclude[%d] must be a row of Xall (1..%d), got %s"):format(i, S:ncols(), tostring(j)), 2)
      end
      S:set(i, j, -math.huge)
    end
  end
  return S:topk(k)
end

-- EASE (Steck 2019): the item-item ridge regression of every item's column
-- of the interactions on the other items', in closed form: P = (X'X +
-- lambda I)^-1, B = -P / diag(P) with a zero diagonal; a user's scores are
-- her row of X times B. X is users x items (sparse, 0/1).
local Ease = {}
Ease.__index = Ease
Ease.__name = "EASE model"

function models.ease(X, opts)
  check_sparse(X, "X")
  opts = opts or {}
  local lambda = opts.lambda
  if type(lambda) ~= "number" or not (lambda > 0) then
    error(("models.ease: lambda must be a positive number (chosen on validation), got %s"):format(tostring(lambda)), 2)
  end
  local n = X:ncols()
  local D = X:dense()
  local G = D:t() * D
  for i = 1, n do G:set(i, i, G:get(i, i) + lambda) end
  local P = matrix.solve(G, matrix.eye(n))
  local d = matrix.zeros(1, n)
  for j = 1, n do d:set(1, j, P:get(j, j)) end
  local B = -(P / d)
  for i = 1, n do B:set(i, i, 0) end
  return setmetatable({B = B, lambda = lambda}, Ease)
end

-- the dense users x items scores of the rows of X (users x items)
function Ease:scores(X)
  check_sparse(X, "X")
  return X * self.B
end

function Ease:__tostring()
  return ("EASE model: %s items, lambda %g"):format(require("simec.data").thousands(self.B:nrows()), self.lambda)
end

-- Gaussian interaction-profile (GIP) kernel of the rows of Y (van
-- Laarhoven et al. 2011): exp(-gamma ||y_i - y_j||^2) with gamma the
-- bandwidth over the mean squared profile norm; a dense n x n matrix.
function models.gip_kernel(Y, bandwidth)
  check_sparse(Y, "Y")
  bandwidth = bandwidth or 1
  local D = Y:dense()
  local G = D * D:t()
  local n = G:nrows()
  local sq, mean = {}, 0
  for i = 1, n do sq[i] = G:get(i, i); mean = mean + sq[i] end
  mean = mean / math.max(n, 1)
  local gamma = mean > 0 and bandwidth / mean or 0
  local K = matrix.zeros(n, n)
  for i = 1, n do
    for j = i, n do
      local v = math.exp(-gamma * math.max(sq[i] + sq[j] - 2 * G:get(i, j), 0))
      K:set(i, j, v)
      K:set(j, i, v)
    end
  end
  return K
end

-- Kronecker regularised least squares (KronRLS): the pairwise kernel
-- Kd (x) Kt, solved through the two eigendecompositions in the training
-- space, A = Ud [(Ud' Y Ut) / (wd wt' + sigma)] Ut'. Y: training rows x
-- training columns (sparse 0/1); Kd, Kt: their kernels (dense, symmetric).
-- Predictions for any rows and columns go through their kernel rows
-- against the training ones (KronRLS:scores).
local KronRLS = {}
KronRLS.__index = KronRLS
KronRLS.__name = "KronRLS model"

function models.kronrls(Y, Kd, Kt, opts)
  check_sparse(Y, "Y")
  opts = opts or {}
  local sigma = opts.sigma or 1
  if type(sigma) ~= "number" or not (sigma > 0) then
    error(("models.kronrls: sigma must be a positive number, got %s"):format(tostring(sigma)), 2)
  end
  local nd, nt = Y:shape()
  if Kd:nrows() ~= nd or Kd:ncols() ~= nd or Kt:nrows() ~= nt or Kt:ncols() ~= nt then
    error(("models.kronrls: Y is %dx%d, the kernels %dx%d and %dx%d"):format(nd, nt, Kd:nrows(), Kd:ncols(),
          Kt:nrows(), Kt:ncols()), 2)
  end
  local wd, Ud = Kd:eigh()
  local wt, Ut = Kt:eigh()
  local C = Ud:t() * Y:dense() * Ut
  for i = 1, nd do
    local a = wd:get(i, 1)
    for j = 1, nt do C:set(i, j, C:get(i, j) / (a * wt:get(j, 1) + sigma)) end
  end
  return setmetatable({A = Ud * C * Ut:t(), sigma = sigma}, KronRLS)
end

-- the scores Kd_rows A Kt_rows' for rows and columns given by their kernel
-- rows against the training rows (Kd_rows: m x training rows) and columns
function KronRLS:scores(Kd_rows, Kt_rows)
  return Kd_rows * self.A * Kt_rows:t()
end

function KronRLS:__tostring()
  return ("KronRLS model: %dx%d training pairs, sigma %g"):format(self.A:nrows(), self.A:ncols(), self.sigma)
end

-- What the model objects print as in the REPL: kind, sizes and settings
local function count(n) return require("simec.data").thousands(n) end
local function cells(m) return m:nrows() * m:ncols() end
local function sides(items, users) return ("%s items x %s users"):format(count(items), count(users)) end
Means.__name = "means model"
function Means:__tostring()
  return ("means model: mu %.4f, shrinkage %g%s; %s"):format(self.mu, self.s,
    self.rows and "" or ", no item term", sides(cells(self.row_count), cells(self.col_count)))
end
-- the sides whose features a model regresses on, as "items (27 features)"
local function feature_sides(model)
  local from = {}
  for _, side in ipairs{"items", "users"} do
    if model[side] then from[#from + 1] = ("%s (%d features)"):format(side, model[side].W:nrows()) end
  end
  return from
end
Biases.__name = "biases model"
function Biases:__tostring()
  local from = feature_sides(self)
  return ("biases model: mu %.4f, reg items %g, users %g; %s%s"):format(self.mu, self.reg_items, self.reg_users,
    sides(self.bi:nrows(), self.bu:nrows()),
    #from > 0 and ("; new ones from %s, alpha %g"):format(table.concat(from, " and "), self.items and
      self.items.alpha or self.users.alpha) or "")
end
SVD.__name = "SVD model"
function SVD:__tostring()
  return ("SVD model: rank %d of %s, singular values %.4g .. %.4g"):format(self.k,
    sides(self.U:nrows(), self.Vt:ncols()), self.s:max(), self.s:min())
end
SVDReg.__name = "SVD + regression model"
function SVDReg:__tostring()
  local from = feature_sides(self)
  return ("SVD + regression model: rank %d, factors of new %s by ridge (alpha %g)"):format(self.svd.k,
    table.concat(from, " and "), self.alpha)
end
Ridge.__name = "ridge model"
function Ridge:__tostring()
  return ("ridge model: %d features -> %d outputs, alpha %g (%s)"):format(self.W:nrows(), self.W:ncols(), self.alpha,
    tostring(self.method))
end
TwoSimEc.__name = "two-SimEc model"
function TwoSimEc:__tostring()
  local function input(side) return self[side .. "_features"] and "features" or "identity" end
  return ("two-SimEc model: %s, embedding %d; items from %s, users from %s; %s trained first"):format(
    sides(self.R:nrows(), self.R:ncols()), self.item_model:config().embedding, input("item"), input("user"),
    self.first)
end

-- the classes of the model objects, for help() and their tests
models.classes = {Means = Means, Biases = Biases, SVD = SVD, SVDReg = SVDReg, Ridge = Ridge, TwoSimEc = TwoSimEc,
                  Ease = Ease, KronRLS = KronRLS}

require("simec.help").add{
  "models", "Rating models: the study's baselines, learned biases, SVD (+ regression from features), ridge, " ..
  "two-SimEc cold start, a per-scenario helper and hyper-parameter tuning on validation data. Every model object " ..
  "predicts at a sparse pattern (e.g. the test ratings) with the split's row and column maps.",
  "models.means(train, {shrinkage = 1, rows = true})", "mu + s (user mean - mu) + s (item mean - mu); unknown items " ..
  "or users contribute 0; rows = false leaves out the item term. A Means object.",
  "models.biases(train, {reg_items = 5, reg_users = 5, iters = 10, items = X, users = X, alpha = 10})", "Learned, " ..
  "regularised item and user biases (alternating ridge steps), and ridge from features to them so new items and " ..
  "users get one. A Biases object.",
  "models.svd(residuals, k [, opts])", "A truncated SVD of the residuals (svd.truncated options). An SVD object.",
  "models.svd_regression(sv, {items = X, users = X, alpha = 250})", "Ridge from item (user) features to the SVD's " ..
  "factors, so new items (users) get factors from their features (alpha required). An SVDReg object.",
  "models.ridge(X, Y, alpha [, {intercept = true, method = \"auto\" | \"cholesky\" | \"cg\"}])", "Multi-output " ..
  "ridge regression from X (sparse or dense) to Y. A Ridge object.",
  "models.ridge_cv(X, Y, alphas, k [, opts])", "Ridge with alpha chosen by k-fold cross-validation over the rows; " ..
  "m.cv holds the scores.",
  "models.tune(grid, evaluate)", "Grid search: evaluate(params) returns a validation score (lower is better, never " ..
  "computed on the test set) and optional extras; returns the best params, its score and all trials.",
  "models.ease(X, {lambda})", "EASE (Steck 2019) for implicit feedback: the closed-form item-item ridge " ..
  "regression with a zero diagonal on X (users x items, 0/1); lambda is required (choose it on validation). " ..
  "An Ease object.",
  "Ease:scores(X)", "The dense users x items scores of the rows of X: X times the item-item weights.",
  "models.gip_kernel(Y [, bandwidth = 1])", "The Gaussian interaction-profile kernel of Y's rows (van Laarhoven " ..
  "et al. 2011): exp(-gamma ||y_i - y_j||^2), gamma = bandwidth / the mean squared row norm; dense.",
  "models.kronrls(Y, Kd, Kt [, {sigma = 1}])", "Kronecker regularised least squares on the pairwise kernel Kd x Kt " ..
  "(rows x columns of Y), solved through the kernels' eigendecompositions. A KronRLS object.",
  "KronRLS:scores(Kd_rows, Kt_rows)", "Scores of any rows and columns from their kernel rows against the training " ..
  "rows and columns: Kd_rows A Kt_rows'.",
  "models.two_simec(R, {items = X, users = X, embedding, missing, first, finetune, simec = {...}, fit = {...}})",
  "Two SimEcs for new items and users: one side's SimEc learns R from its features, the other's learns R^T with its " ..
  "last layer fixed to those embeddings. A TwoSimEc object.",
  "models.mcmc(train, pattern, {row_map, col_map, items = X, users = X, k = 8, burn_in = 50, samples = 150, seed, " ..
  "init_std = 0.1, link, trace})", "Bayesian factorization model (biases, k factors, ids and features of items and " ..
  "users) by Gibbs sampling: predictions at pattern averaged over the sweeps after burn-in; new items or users are " ..
  "predicted from their features (link = true: features predict the ids' parameters). With trace = true also the " ..
  "running RMSE against pattern's values.",
  "models.implicit(train, col_map, n)", "Implicit feedback as user features (SVD++ style): the training items each " ..
  "of the n users rated, weighted 1/sqrt(count); empty rows for new users (col_map 0).",
  "models.fit_split(s, X, {model, base = \"means\" | \"biases\", ...})", "Fits the model a split's scenario needs " ..
  "(\"svd_regression\", \"simec\", \"two_simec\" or \"mcmc\") and returns the predictions at s.test.",
  "models.identity(n)", "The identity map 1..n (a row or column map for the full index space).",
  "Means:predict(pattern, row_map, col_map)", "The means model at the stored positions of pattern (sparse, pattern's " ..
  "structure); maps take full indices to train indices (0: new).",
  "Means:residuals(train)", "train minus the model at its stored entries.",
  "Biases:predict(pattern, row_map, col_map [, {items = X, users = X}])", "mu + item bias + user bias; new items " ..
  "(users) get the bias their features predict.",
  "Biases:residuals(train)", "train minus the biases at its stored entries.",
  "SVD:predict(pattern, row_map, col_map)", "U S Vt at the stored positions of pattern only.",
  "SVDReg:predict(pattern, row_map, col_map [, {items = X, users = X}])", "U S Vt with the factors of every item " ..
  "(user) predicted from its features.",
  "Ridge:predict(X)", "X W + b.",
  "TwoSimEc:predict(pattern, row_map, col_map [, {items = X, users = X}])", "Dot products of item and user " ..
  "embeddings at the stored positions of pattern (new ones embedded from their features).",
  "SimEc:similar(Xq, Xall, k [, {metric = \"cosine\" | \"dot\", exclude, include_self}])", "For each row of Xq " ..
  "the indices and scores of the k rows of Xall with the most similar embeddings (content-based suggestions); " ..
  "a row is not its own neighbour (Xq == Xall, or exclude = the query rows' own indices).",
  "SimEc:explain_rating(x, user, names [, {n = 10, rule = \"epsilon\", eps = 0}])", "One item's features ranked by " ..
  "their relevance for one user's output (LRP), and that output: a rating explanation.",
  "rating explanation", "What m:explain_rating returns: the list {{name, relevance}, ...}, most relevant first (only " ..
  "features with a non-zero relevance), with output (the model's output for the user), user and rule; printing " ..
  "it gives one line per feature.",
}

return models
