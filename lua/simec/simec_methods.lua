-- SimEc's methods written in Lua: m:similar (similar items) and
-- m:explain_rating (LRP explanations). The binding loads this module at
-- the first lookup of a method its C table lacks and adds these to it
-- (l_simec.c), so they are methods like the others.
local simec = require "simec"
local matrix, sparse, lrp = simec.matrix, simec.sparse, simec.lrp
local help = require "simec.help"
local methods = {}


-- self must be a model: m.similar(x) instead of m:similar(x) is a usage slip
local function check_self(self, method)
  if not simec.SimEc.is(self) then
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
function methods.explain_rating(self, x, user, names, opts)
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
function methods.similar(self, Xq, Xall, k, opts)
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

help.add{
  "SimEc:similar(Xq, Xall, k [, {metric = \"cosine\" | \"dot\", exclude, include_self}])", "For each row of Xq the " ..
  "indices and scores of the k rows of Xall with the most similar embeddings (content-based suggestions); a row is " ..
  "not its own neighbour (Xq == Xall, or exclude = the query rows' own indices).",
  "SimEc:explain_rating(x, user, names [, {n = 10, rule = \"epsilon\", eps = 0}])", "One item's features ranked by " ..
  "their relevance for one user's output (LRP), and that output: a rating explanation.",
  "rating explanation", "What m:explain_rating returns: the list {{name, relevance}, ...}, most relevant first " ..
  "(only features with a non-zero relevance), with output (the model's output for the user), user and rule; " ..
  "printing it gives one line per feature.",
}

return methods
