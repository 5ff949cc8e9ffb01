-- The SimEc family's Lua side: two SimEcs for new items and users, and the
-- SimEc methods written in Lua (similar items, rating explanations).
local simec = require "simec"
local rec = require "simec.rec"
local matrix, sparse, SimEc, lrp = simec.matrix, simec.sparse, simec.SimEc, simec.lrp
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse, sides = common.check_sparse, common.sides

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


TwoSimEc.__name = "two-SimEc model"
function TwoSimEc:__tostring()
  local function input(side) return self[side .. "_features"] and "features" or "identity" end
  return ("two-SimEc model: %s, embedding %d; items from %s, users from %s; %s trained first"):format(
    sides(self.R:nrows(), self.R:ncols()), self.item_model:config().embedding, input("item"), input("user"),
    self.first)
end

require("simec.help").add{
  "models.two_simec(R, {items = X, users = X, embedding, missing, first, finetune, simec = {...}, fit = {...}})", "Two " ..
  "SimEcs for new items and users: one side's SimEc learns R from its features, the other's learns R^T with its " ..
  "last layer fixed to those embeddings. A TwoSimEc object.",
  "TwoSimEc:predict(pattern, row_map, col_map [, {items = X, users = X}])", "Dot products of item and user " ..
  "embeddings at the stored positions of pattern (new ones embedded from their features).",
  "SimEc:similar(Xq, Xall, k [, {metric = \"cosine\" | \"dot\", exclude, include_self}])", "For each row of Xq the " ..
  "indices and scores of the k rows of Xall with the most similar embeddings (content-based suggestions); a row is " ..
  "not its own neighbour (Xq == Xall, or exclude = the query rows' own indices).",
  "SimEc:explain_rating(x, user, names [, {n = 10, rule = \"epsilon\", eps = 0}])", "One item's features ranked by " ..
  "their relevance for one user's output (LRP), and that output: a rating explanation.",
  "rating explanation", "What m:explain_rating returns: the list {{name, relevance}, ...}, most relevant first " ..
  "(only features with a non-zero relevance), with output (the model's output for the user), user and rule; " ..
  "printing it gives one line per feature.",
}

return {TwoSimEc = TwoSimEc}
