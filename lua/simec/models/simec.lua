-- The SimEc family's Lua side: two SimEcs for new items and users (the
-- SimEc methods written in Lua are simec_methods.lua).
local simec = require "simec"
local rec = require "simec.rec"
local SimEc = simec.SimEc
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse, sides = common.check_sparse, common.sides
-- the binding adds SimEc's Lua methods at their first use; loading them
-- with the models registers their help with the rest of the family's
require "simec.simec_methods"

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
-- first = "both" fits the pair in each order and predicts the mean of the
-- two: which side learns freely and which is fitted to it shapes what each
-- order gets right, and the mean keeps what both do.
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
  if first ~= "items" and first ~= "users" and first ~= "both" then
    error(("models.two_simec: first must be \"items\", \"users\" or \"both\", got %s"):format(tostring(first)), 2)
  end
  for _, side in ipairs{"items", "users"} do
    local X, n = opts[side], side == "items" and R:nrows() or R:ncols()
    if X and X:nrows() ~= n then
      error(("models.two_simec: %s features have %d rows, R has %d %s"):format(side, X:nrows(), n, side), 2)
    end
  end
  if first == "both" then
    local each = {}
    for k, v in pairs(opts) do each[k] = v end
    local pair = {}
    for i, side in ipairs{"items", "users"} do
      each.first = side
      pair[i] = models.two_simec(R, each)
    end
    return setmetatable({first = first, R = R, pair = pair}, TwoSimEc)
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
  if self.pair then
    local a = self.pair[1]:predict(pattern, row_map, col_map, X)
    return simec.sparse.from_values(a, (a:values() + self.pair[2]:predict(pattern, row_map, col_map, X):values()) * 0.5)
  end
  X = X or {}
  local Y, rmap = side_embeddings(self.item_model, self.item_features, X.items, row_map, pattern:nrows(), "item")
  local Z, cmap = side_embeddings(self.user_model, self.user_features, X.users, col_map, pattern:ncols(), "user")
  return rec.sample(Y, Z:t(), pattern, rmap, cmap)
end


TwoSimEc.__name = "two-SimEc model"
function TwoSimEc:__tostring()
  if self.pair then
    return (tostring(self.pair[1]):gsub("; items trained first$", "; fitted in both orders, predictions averaged"))
  end
  local function input(side) return self[side .. "_features"] and "features" or "identity" end
  return ("two-SimEc model: %s, embedding %d; items from %s, users from %s; %s trained first"):format(
    sides(self.R:nrows(), self.R:ncols()), self.item_model:config().embedding, input("item"), input("user"),
    self.first)
end

require("simec.help").add{
  "models.two_simec(R, {items = X, users = X, embedding, missing, first, finetune, simec = {...}, fit = {...}})", "Two " ..
  "SimEcs for new items and users: one side's SimEc learns R from its features, the other's learns R^T with its " ..
  "last layer fixed to those embeddings. first (\"items\") names the side that learns first; \"both\" fits the " ..
  "pair in each order and predicts the mean of the two. A TwoSimEc object.",
  "TwoSimEc:predict(pattern, row_map, col_map [, {items = X, users = X}])", "Dot products of item and user " ..
  "embeddings at the stored positions of pattern (new ones embedded from their features).",
}

return require("simec.help").classes{TwoSimEc = TwoSimEc}
