-- What the model families share: argument checks and the pieces of the
-- one-line summaries their objects print as.
local simec = require "simec"
local common = {}

function common.check_sparse(x, what)
  if not simec.sparse.is(x) then error(("models: %s must be a sparse matrix, got %s"):format(what, type(x)), 3) end
end

function common.count(n) return require("simec.data").thousands(n) end
function common.cells(m) return m:nrows() * m:ncols() end
function common.sides(items, users) return ("%s items x %s users"):format(common.count(items), common.count(users)) end

-- the sides whose features a model regresses on, as "items (27 features)"
function common.feature_sides(model)
  local from = {}
  for _, side in ipairs{"items", "users"} do
    if model[side] then from[#from + 1] = ("%s (%d features)"):format(side, model[side].W:nrows()) end
  end
  return from
end

return common
