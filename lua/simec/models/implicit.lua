-- Implicit feedback: EASE, the closed-form item-item model, and weighted
-- alternating least squares (iALS).
local simec = require "simec"
local matrix, sparse = simec.matrix, simec.sparse
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse = common.check_sparse

-- EASE (Steck 2019): the item-item ridge regression of every item's column
-- of the interactions on the other items', in closed form: P = (X'X +
-- lambda I)^-1, B = -P / diag(P) with a zero diagonal; a user's scores are
-- her row of X times B. X is users x items (sparse, 0/1). With dropout p
-- (EDLAE, Steck 2020: the same model trained under emphasised dropout of
-- its inputs) item i's weights take the penalty lambda + p / (1 - p) G_ii
-- (G = X'X): popular items, which dominate the Gram matrix, are shrunk
-- harder, and the closed form is unchanged.
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
  local p = opts.dropout or 0
  if type(p) ~= "number" or not (p >= 0 and p < 1) then
    error(("models.ease: dropout must be a number in [0, 1), got %s"):format(tostring(p)), 2)
  end
  local n = X:ncols()
  -- at most two items x items matrices alive at once (3.2 GB each at
  -- 20,000 items): the Gram matrix is dropped once inverted, and B is one
  -- division of P by its negated diagonal
  local G = X:gram() -- without X dense (users x items)
  local emphasis = p / (1 - p)
  for i = 1, n do
    local g = G:get(i, i)
    G:set(i, i, g + lambda + emphasis * g)
  end
  local P = G:inv_spd()
  G = nil
  local d = matrix.zeros(1, n)
  for j = 1, n do d:set(1, j, -P:get(j, j)) end
  local B = P / d
  P = nil
  for i = 1, n do B:set(i, i, 0) end
  return setmetatable({B = B, lambda = lambda, dropout = p}, Ease)
end

-- the dense users x items scores of the rows of X (users x items)
function Ease:scores(X)
  check_sparse(X, "X")
  return X * self.B
end

function Ease:__tostring()
  return ("EASE model: %s items, lambda %g%s"):format(require("simec.data").thousands(self.B:nrows()), self.lambda,
                                                      self.dropout > 0 and (", dropout %g"):format(self.dropout) or "")
end

-- iALS (Hu, Koren and Volinsky 2008): factors x_u, y_i minimising
-- sum over all pairs of c_ui (p_ui - x_u . y_i)^2 + lambda (|x|^2 + |y|^2),
-- p_ui = 1 where X has an interaction (confidence c = 1 + alpha) and 0
-- elsewhere (c = 1), by alternating half-steps in C (rec.ials_side): each
-- side's factors given the other's, a row at a time, at the cost of the
-- row's interactions. solver "cg" (default) takes cg_steps (3)
-- conjugate-gradient steps from the factors' current values per row
-- (Takacs et al. 2011), "exact" solves each row's normal equations.
local IALS = {}
IALS.__index = IALS
IALS.__name = "iALS model"
local rec = require "simec.rec"

-- the objective, for tests and for watching convergence
function IALS:loss(X)
  local S = self.users * self.items:t()
  local total = S:square():sum() -- every pair at confidence 1 and preference 0
  for u, i in X:triplets() do
    local z = S:get(u, i)
    total = total - z * z + (1 + self.alpha) * (1 - z) ^ 2
  end
  return total + self.lambda * (self.users:square():sum() + self.items:square():sum())
end

function models.ials(X, opts)
  check_sparse(X, "X")
  opts = opts or {}
  local k, alpha, lambda, iters = opts.k or 64, opts.alpha, opts.lambda, opts.iterations or 10
  for _, name in ipairs{"alpha", "lambda"} do
    local v = opts[name]
    if type(v) ~= "number" or not (v > 0) then
      error(("models.ials: %s must be a positive number (chosen on validation), got %s"):format(name, tostring(v)), 2)
    end
  end
  if math.type(k) ~= "integer" or k < 1 or math.type(iters) ~= "integer" or iters < 1 then
    error("models.ials: k and iterations must be positive integers", 2)
  end
  local solver, steps = opts.solver or "cg", opts.cg_steps or 3
  if solver ~= "cg" and solver ~= "exact" then
    error(("models.ials: solver must be \"cg\" or \"exact\", got %s"):format(tostring(solver)), 2)
  end
  if math.type(steps) ~= "integer" or steps < 1 then
    error(("models.ials: cg_steps must be a positive integer, got %s"):format(tostring(steps)), 2)
  end
  local m = setmetatable({alpha = alpha, lambda = lambda, k = k, iterations = iters, solver = solver,
                          cg_steps = solver == "cg" and steps or nil}, IALS)
  m.items = matrix.randn(X:ncols(), k, opts.seed or 13) * 0.01
  local Xt = X:t()
  local o = {cg_steps = solver == "cg" and steps or 0}
  for _ = 1, iters do
    o.start = m.users
    m.users = rec.ials_side(X, m.items, alpha, lambda, o)
    o.start = m.items
    m.items = rec.ials_side(Xt, m.users, alpha, lambda, o)
  end
  return m
end

-- the dense users x items scores of the model's users, or of new users
-- (the rows of X, users x items) folded in: each one's factors solved
-- against the fitted item factors, as a training sweep solves them
function IALS:scores(X)
  if X == nil then return self.users * self.items:t() end
  check_sparse(X, "X")
  if X:ncols() ~= self.items:nrows() then
    error(("iALS:scores: X has %d items, the model %d"):format(X:ncols(), self.items:nrows()), 2)
  end
  return rec.ials_side(X, self.items, self.alpha, self.lambda) * self.items:t() -- exact: no earlier factors to start from
end

function IALS:__tostring()
  return ("iALS model: %s users x %s items, k %d, alpha %g, lambda %g, %d iterations, %s"):format(
    require("simec.data").thousands(self.users:nrows()), require("simec.data").thousands(self.items:nrows()),
    self.k, self.alpha, self.lambda, self.iterations,
    self.solver == "cg" and ("%d conjugate-gradient steps per row"):format(self.cg_steps) or "exact solves")
end

require("simec.help").add{
  "models.ease(X, {lambda, dropout = 0})", "EASE (Steck 2019) for implicit feedback: the closed-form item-item " ..
  "ridge regression with a zero diagonal on X (users x items, 0/1); lambda is required (choose it on validation). " ..
  "dropout p in [0, 1) gives EDLAE (Steck 2020): item i's weights penalised lambda + p / (1 - p) (X'X)_ii. An " ..
  "Ease object.",
  "Ease:scores(X)", "The dense users x items scores of the rows of X: X times the item-item weights.",
  "models.ials(X, {alpha, lambda, k = 64, iterations = 10, seed = 13, solver = \"cg\", cg_steps = 3})", "Weighted " ..
  "alternating least squares for implicit feedback (Hu, Koren and Volinsky 2008) on X (users x items, 0/1): " ..
  "confidence 1 + alpha on interactions, 1 elsewhere; half-steps in C that cost each user's (item's) " ..
  "interactions: cg_steps conjugate-gradient steps per row from the current factors, or (solver \"exact\") " ..
  "each row's normal equations solved. An IALS object.",
  "IALS:scores([X])", "The dense users x items scores of the training users, or of new users (the rows of X, " ..
  "users x items) folded in: their factors solved against the fitted item factors.",
  "IALS:loss(X)", "The weighted objective on X (every pair) plus the penalty.",
}

return require("simec.help").classes{Ease = Ease, IALS = IALS}
