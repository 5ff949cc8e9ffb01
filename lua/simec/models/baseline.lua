-- The baselines: the study's means model, learned and regularised biases
-- (with ridge from features to them for new items and users) and ridge
-- regression, with the per-rating work in C.
--   m = models.means(train, {shrinkage = 1, rows = true})
--   p = m:predict(test, s.row_map, s.col_map)   -- sparse, test's structure
--   r = m:residuals(train)                       -- train minus the model
local simec = require "simec"
local rec = require "simec.rec"
local matrix, sparse = simec.matrix, simec.sparse
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse, sides, cells, feature_sides = common.check_sparse, common.sides, common.cells, common.feature_sides

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


Means.__name = "means model"
function Means:__tostring()
  return ("means model: mu %.4f, shrinkage %g%s; %s"):format(self.mu, self.s,
    self.rows and "" or ", no item term", sides(cells(self.row_count), cells(self.col_count)))
end
Biases.__name = "biases model"
function Biases:__tostring()
  local from = feature_sides(self)
  return ("biases model: mu %.4f, reg items %g, users %g; %s%s"):format(self.mu, self.reg_items, self.reg_users,
    sides(self.bi:nrows(), self.bu:nrows()),
    #from > 0 and ("; new ones from %s, alpha %g"):format(table.concat(from, " and "), self.items and
      self.items.alpha or self.users.alpha) or "")
end
Ridge.__name = "ridge model"
function Ridge:__tostring()
  return ("ridge model: %d features -> %d outputs, alpha %g (%s)"):format(self.W:nrows(), self.W:ncols(), self.alpha,
    tostring(self.method))
end

require("simec.help").add{
  "models.means(train, {shrinkage = 1, rows = true})", "mu + s (user mean - mu) + s (item mean - mu); unknown " ..
  "items or users contribute 0; rows = false leaves out the item term. A Means object.",
  "models.biases(train, {reg_items = 5, reg_users = 5, iters = 10, items = X, users = X, alpha = 10})", "Learned, " ..
  "regularised item and user biases (alternating ridge steps), and ridge from features to them so new items and " ..
  "users get one. A Biases object.",
  "models.ridge(X, Y, alpha [, {intercept = true, method = \"auto\" | \"cholesky\" | \"cg\"}])", "Multi-output " ..
  "ridge regression from X (sparse or dense) to Y. A Ridge object.",
  "models.ridge_cv(X, Y, alphas, k [, opts])", "Ridge with alpha chosen by k-fold cross-validation over the rows; " ..
  "m.cv holds the scores.",
  "Means:predict(pattern, row_map, col_map)", "The means model at the stored positions of pattern (sparse, " ..
  "pattern's structure); maps take full indices to train indices (0: new).",
  "Means:residuals(train)", "train minus the model at its stored entries.",
  "Biases:predict(pattern, row_map, col_map [, {items = X, users = X}])", "mu + item bias + user bias; new items " ..
  "(users) get the bias their features predict.",
  "Biases:residuals(train)", "train minus the biases at its stored entries.",
  "Ridge:predict(X)", "X W + b.",
}

return require("simec.help").classes{Means = Means, Biases = Biases, Ridge = Ridge}
