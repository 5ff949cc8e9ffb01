-- Implicit feedback: EASE, the closed-form item-item model.
local simec = require "simec"
local matrix, sparse = simec.matrix, simec.sparse
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse = common.check_sparse

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


require("simec.help").add{
  "models.ease(X, {lambda})", "EASE (Steck 2019) for implicit feedback: the closed-form item-item ridge regression " ..
  "with a zero diagonal on X (users x items, 0/1); lambda is required (choose it on validation). An Ease object.",
  "Ease:scores(X)", "The dense users x items scores of the rows of X: X times the item-item weights.",
}

return {Ease = Ease}
