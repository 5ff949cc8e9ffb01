-- What the model families share: argument checks and the pieces of the
-- one-line summaries their objects print as.
local simec = require "simec"
local common = {}

function common.check_sparse(x, what)
  if not simec.sparse.is(x) then error(("models: %s must be a sparse matrix, got %s"):format(what, type(x)), 3) end
end

function common.check_dense(x, what)
  if not simec.matrix.is(x) then error(("models: %s must be a dense matrix, got %s"):format(what, type(x)), 3) end
end

-- A model fitted on train and predicting at pattern, whose rows (columns)
-- are the full space's: where the counts differ the side needs its map
-- (opts.row_map, opts.col_map) from the full space to train's indices.
function common.check_maps(fn, train, pattern, opts)
  for _, side in ipairs{{"row", "items", pattern:nrows(), train:nrows()},
                        {"col", "users", pattern:ncols(), train:ncols()}} do
    local key, name, n, ntrain = table.unpack(side)
    if opts[key .. "_map"] == nil and n ~= ntrain then
      error(("%s: train has %d %s, the pattern %d: give %s_map"):format(fn, ntrain, name, n, key), 3)
    end
  end
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
