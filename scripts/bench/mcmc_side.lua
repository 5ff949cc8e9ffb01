-- The data and the simec side of scripts/bench/mcmc.sh: synthetic ratings
-- of a size (SIZES below), the study's T1 split (seed 13), item and user
-- features, a factorization machine of rank K by Gibbs sampling.
--   simec mcmc_side.lua write SIZE DIR         -- the split in libFM's block-structure files
--   simec mcmc_side.lua run SIZE K SWEEPS SEED -- models.mcmc on it: "seconds S setup S rmse R"
-- libFM's design per rating is two relations (-relation DIR/item,DIR/user):
-- an item's id and features, a user's id and features, each its own prior
-- group (.groups), as models.mcmc groups them; its predictions average
-- every sweep, so simec runs with burn_in 0.
local data, splits, models, metrics = require "simec.data", require "simec.splits", require "simec.models",
                                      require "simec.metrics"

local SIZES = {
  ["100k"] = {items = 1682, users = 943, ratings = 100000, item_features = 40, user_features = 30, seed = 13},
  ["10m"] = {items = 10681, users = 69878, ratings = 10000054, rank = 20, item_features = 1000, item_tokens = 20,
             user_features = 0, seed = 13},
}

local mode, size = arg[1], arg[2]
local spec = SIZES[size] or error(("mcmc_side: size must be 100k or 10m, got %s"):format(tostring(size)))
local ds = data.synthetic(spec)
local Xi, Xu = ds.items.features, spec.user_features > 0 and ds.users.features or nil
local s = splits.split(ds.ratings, "T1", {seed = 13})

-- lines written a block at a time: 10M single writes cost more than the data
local function writer(path)
  local f = assert(io.open(path, "w"))
  local buf = {}
  return function(line)
    if line == nil then
      f:write(table.concat(buf, "\n"), #buf > 0 and "\n" or "")
      f:close()
      return
    end
    buf[#buf + 1] = line
    if #buf == 65536 then
      f:write(table.concat(buf, "\n"), "\n")
      buf = {}
    end
  end
end

-- a relation: row r is entity r's id (attribute r - 1) and its features
-- (attributes n + f - 1); groups: ids 0, features 1
local function relation(dir, name, n, X)
  local x, groups = writer(dir .. "/" .. name .. ".libfm"), writer(dir .. "/" .. name .. ".groups")
  local feats = {}
  if X then
    for i, j, v in X:triplets() do
      feats[i] = feats[i] or {}
      local t = feats[i]
      t[#t + 1] = ("%d:%.17g"):format(n + j - 1, v)
    end
  end
  for r = 1, n do
    x(("0 %d:1%s"):format(r - 1, feats[r] and " " .. table.concat(feats[r], " ") or ""))
    groups("0")
  end
  for _ = 1, X and X:ncols() or 0 do groups("1") end
  x(nil)
  groups(nil)
end

-- a part (train or test): the targets (no other attributes) and each
-- case's row in the item and the user relation
local function cases(dir, part, S)
  local y, it, us = writer(("%s/%s.libfm"):format(dir, part)), writer(("%s/item.%s"):format(dir, part)),
                    writer(("%s/user.%s"):format(dir, part))
  for i, j, v in S:triplets() do
    y(("%.17g"):format(v))
    it(tostring(i - 1))
    us(tostring(j - 1))
  end
  y(nil)
  it(nil)
  us(nil)
end

if mode == "write" then
  local dir = arg[3]
  relation(dir, "item", ds.ratings:nrows(), Xi)
  relation(dir, "user", ds.ratings:ncols(), Xu)
  cases(dir, "train", s.train)
  cases(dir, "test", s.test)
  print(("%d train, %d test ratings"):format(s.train:nnz(), s.test:nnz()))
elseif mode == "run" then
  local k, sweeps, seed = math.tointeger(tonumber(arg[3])), math.tointeger(tonumber(arg[4])),
                          math.tointeger(tonumber(arg[5] or "1"))
  local function fit(n)
    local t = simec.clock()
    local p = models.mcmc(s.train, s.test, {items = Xi, users = Xu, k = k, burn_in = 0, samples = n, seed = seed,
                                            init_std = 0.1})
    return simec.clock() - t, p
  end
  -- one sweep alone: the setup (transposes, residuals, predictions) to
  -- take out of the per-sweep figure, as libFM's own timer leaves its out
  local setup = fit(1)
  local seconds, p = fit(sweeps)
  print(("seconds %.4f setup %.4f rmse %.6f"):format(seconds, setup, metrics.rmse(p, s.test)))
else
  error("mcmc_side: mode must be write or run")
end
