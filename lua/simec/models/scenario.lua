-- One call per split: the model a scenario needs on the residuals of a base
-- model (models.fit_split).
local simec = require "simec"
local rec = require "simec.rec"
local sparse, SimEc = simec.sparse, simec.SimEc
local models = require "simec.models"

-- Fits the means model (base = "biases": learned biases, see models.biases,
-- with reg (or reg_items and reg_users) and bias_alpha for the ridge from
-- features to biases) and, on its residuals, the model a split's scenario
-- needs, with features for the sides that may be new, and returns the
-- predicted ratings at s.test (sparse, its structure):
--   p = models.fit_split(s, {items = Xi, users = Xu},    -- full-space features
--                        {model = "svd_regression" | "simec" | "two_simec", missing = "mask",
--                         embedding = 10, optimizer = "adamax" | "adam" | "sgd", lr = 0.002, momentum,
--                         epochs = 10, l2_reg_emb = 1e-3, seed = 13,
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
-- each item to the item features, "both" both. "mf" (models.mf; k, epochs,
-- lr, reg, reg_bias, seed, trace) learns its own biases too and uses no
-- features: new items or users get the mean and the other side's bias.
local NEEDS = {T1 = {}, T2a = {items = true}, T2b = {users = true}, T3 = {items = true, users = true}}

-- The sides whose implicit feedback fit_split's implicit option adds:
-- false (or nil) none, true or "users" the users', "items" the items',
-- "both" both; nil for any other value.
local IMPLICIT = {users = {"users"}, items = {"items"}, both = {"users", "items"}}
function models.implicit_sides(v)
  if not v then return {} end
  local sides = IMPLICIT[v == true and "users" or v]
  return sides and {table.unpack(sides)} or nil
end

function models.fit_split(s, X, opts)
  X, opts = X or {}, opts or {}
  local need = NEEDS[s.scenario] or error(("models.fit_split: unknown scenario %s"):format(tostring(s.scenario)), 2)
  local kind = opts.model or "two_simec"
  for side in pairs(need) do
    if not X[side] and kind ~= "mcmc" and kind ~= "mf" then
      error(("models.fit_split: %s has new %s: give their features (%s = ...)"):format(s.scenario, side, side), 2)
    end
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
    local sides = models.implicit_sides(opts.implicit) or
                  error(("models.fit_split: implicit must be false, true or \"users\", \"items\" or \"both\", got %s")
                        :format(tostring(opts.implicit)), 2)
    local function with(X0, extra)
      return X0 and sparse.hstack{sparse.is(X0) and X0 or sparse.from_dense(X0), extra} or extra
    end
    for _, side in ipairs(sides) do
      if side == "users" then -- the items each user rated in training, next to its features
        users = with(users, models.implicit(s.train, s.col_map, s.test:ncols()))
      else -- the users who rated each item in training
        items = with(items, models.implicit(s.train:t(), s.row_map, s.test:nrows()))
      end
    end
    return models.mcmc(s.train, s.test, {row_map = s.row_map, col_map = s.col_map, k = opts.k,
                                         items = items, users = users,
                                         burn_in = opts.burn_in, samples = opts.samples, seed = opts.seed,
                                         link = opts.link})
  end
  if kind == "mf" then -- its own biases, no base model, no features
    return models.mf(s.train, s.test, {row_map = s.row_map, col_map = s.col_map, k = opts.k, epochs = opts.epochs,
                                       lr = opts.lr, reg = opts.reg, reg_bias = opts.reg_bias, seed = opts.seed,
                                       trace = opts.trace})
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
  if opts.optimizer ~= nil and type(opts.optimizer) ~= "string" then
    error(("models.fit_split: optimizer must be a name (adamax, adam or sgd; lr and momentum are options of " ..
           "their own), got %s"):format(type(opts.optimizer)), 2)
  end
  local seed = opts.seed or 13
  local fit = {epochs = opts.epochs, verbose = false, seed = seed}
  local cfg = {embedding = opts.embedding, missing = opts.missing, seed = seed + 15, l2_reg_emb = opts.l2_reg_emb,
               optimizer = {opts.optimizer or "adamax", lr = opts.lr, momentum = opts.momentum}}
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
    error(("models.fit_split: model must be \"svd_regression\", \"simec\", \"two_simec\", \"mcmc\" or \"mf\", got %s"):format(
      tostring(kind)), 2)
  end
  return base + p
end


require("simec.help").add{
  "models.implicit_sides(v)", "The sides ({\"users\"}, {\"items\"}, both or none) whose implicit feedback " ..
  "fit_split's implicit value (false, true, \"users\", \"items\", \"both\") adds; nil for another value.",
  "models.fit_split(s, X, {model, base = \"means\" | \"biases\", ...})", "Fits the model a split's scenario needs " ..
  "(\"svd_regression\", \"simec\", \"two_simec\", \"mcmc\" or \"mf\") and returns the predictions at s.test.",
}

return {}
