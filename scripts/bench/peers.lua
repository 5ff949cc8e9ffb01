-- The data and the simec side of the benchmarks against peers built from
-- source (mcmc.sh: libFM, mf.sh: LIBMF): synthetic ratings of a size
-- (SIZES below), the study's T1 split (seed 13), in the peer's format, and
-- simec's model on the same split.
--   simec peers.lua libfm SIZE DIR             -- libFM's block-structure files
--   simec peers.lua mcmc SIZE K SWEEPS SEED    -- models.mcmc: "seconds S setup S rmse R"
--   simec peers.lua libmf SIZE DIR             -- LIBMF's "row col value" files (0-based)
--   simec peers.lua mf SIZE K EPOCHS SEED [sgd] -- SimEc(I) masked: "epoch E seconds S rmse R" per epoch
--                                                 (sgd: plain SGD, touched rows only, instead of Adamax)
--   simec peers.lua mfsgd SIZE K EPOCHS SEED [nobias] -- models.mf: "epoch E seconds S rmse R" per epoch
--   simec peers.lua interactions SIZE DIR      -- every rating as an interaction: "user item" lines (0-based),
--                                                 and "users items" in shape.txt
--   simec peers.lua ials SIZE K ITERS ALPHA LAMBDA STEPS -- iALS on them: "iter I seconds S", then "loss L"
--   simec peers.lua ease SIZE LAMBDA           -- EASE's fit on them: "seconds S items N sum B" (B's entries summed)
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
  -- EASE at the item count of issue 15's figure (20,000)
  ["20k"] = {items = 20000, users = 100000, ratings = 10000000, rank = 20, item_features = 0, user_features = 0,
             seed = 13},
}

local mode, size = arg[1], arg[2]
local spec = SIZES[size] or error(("peers: size must be 100k, 10m or 20k, got %s"):format(tostring(size)))
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

if mode == "libfm" then
  local dir = arg[3]
  relation(dir, "item", ds.ratings:nrows(), Xi)
  relation(dir, "user", ds.ratings:ncols(), Xu)
  cases(dir, "train", s.train)
  cases(dir, "test", s.test)
  print(("%d train, %d test ratings"):format(s.train:nnz(), s.test:nnz()))
elseif mode == "libmf" then
  -- rows users, columns items, as LIBMF's examples have them
  for _, part in ipairs{{"train", s.train}, {"test", s.test}} do
    local w = writer(("%s/%s.txt"):format(arg[3], part[1]))
    for i, j, v in part[2]:triplets() do w(("%d %d %.17g"):format(j - 1, i - 1, v)) end
    w(nil)
  end
  print(("%d train, %d test ratings"):format(s.train:nnz(), s.test:nnz()))
elseif mode == "mcmc" then
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
elseif mode == "mf" then
  -- the study's SimEc(I) masked (identity input, the means model's
  -- residuals as targets) at embedding k; an epoch's seconds run from the
  -- end of the previous epoch's scoring (the first's from the start, setup
  -- included), so scoring the test ratings is not counted
  local k, epochs, seed = math.tointeger(tonumber(arg[3])), math.tointeger(tonumber(arg[4])),
                          math.tointeger(tonumber(arg[5] or "1"))
  -- plain SGD (no momentum, the core's default rate) steps only the rows a
  -- batch touches: a zero gradient moves nothing, so no catch-up either
  local sgd = arg[6] == "sgd"
  local last = simec.clock()
  models.fit_split(s, {}, {model = "simec", input = "identity", missing = "mask", embedding = k, l2_reg_emb = 1e-3,
                           optimizer = sgd and "sgd" or "adamax", lr = not sgd and 0.01 or nil,
                           momentum = sgd and 0 or nil, epochs = epochs, seed = seed,
                           on_epoch = function(e, predict)
                             local secs = simec.clock() - last
                             print(("epoch %d seconds %.4f rmse %.6f"):format(e, secs, metrics.rmse(predict(), s.test)))
                             last = simec.clock()
                           end})
elseif mode == "mfsgd" then
  -- models.mf (SGD over rating blocks) at k: an epoch's seconds are a
  -- run of EPOCHS epochs less a one-epoch run (setup and the final
  -- predictions not counted); the test RMSE after each epoch comes from a
  -- third, untimed run with a trace (scoring every epoch)
  local k, epochs, seed = math.tointeger(tonumber(arg[3])), math.tointeger(tonumber(arg[4])),
                          math.tointeger(tonumber(arg[5] or "1"))
  local o = {row_map = s.row_map, col_map = s.col_map, k = k, seed = seed, biases = arg[6] ~= "nobias"}
  local function timed(n)
    o.epochs = n
    local t = simec.clock()
    models.mf(s.train, s.test, o)
    return simec.clock() - t
  end
  local one = timed(1)
  local per = (timed(epochs) - one) / (epochs - 1)
  o.trace = true
  local _, trace = models.mf(s.train, s.test, o)
  for e = 1, epochs do print(("epoch %d seconds %.4f rmse %.6f"):format(e, per, trace:get(e))) end
elseif mode == "interactions" then
  local w = writer(arg[3] .. "/interactions.txt")
  for i, j in ds.ratings:triplets() do w(("%d %d"):format(j - 1, i - 1)) end
  w(nil)
  w = writer(arg[3] .. "/shape.txt")
  w(("%d %d"):format(ds.ratings:ncols(), ds.ratings:nrows()))
  w(nil)
  print(("%d interactions, %d users x %d items"):format(ds.ratings:nnz(), ds.ratings:ncols(), ds.ratings:nrows()))
elseif mode == "ials" then
  -- models.ials's loop, timed a sweep at a time; the starting item
  -- factors are N(0, 0.01^2) as there
  local rec = require "simec.rec"
  local k, iters = math.tointeger(tonumber(arg[3])), math.tointeger(tonumber(arg[4]))
  local alpha, lambda, steps = tonumber(arg[5]), tonumber(arg[6]), math.tointeger(tonumber(arg[7]))
  local X = ds.ratings:t():map(function() return 1 end) -- users x items
  local Xt = X:t()
  local U, Y = nil, matrix.randn(X:ncols(), k, 13) * 0.01
  for it = 1, iters do
    local t = simec.clock()
    U = rec.ials_side(X, Y, alpha, lambda, {cg_steps = steps, start = U})
    Y = rec.ials_side(Xt, U, alpha, lambda, {cg_steps = steps, start = Y})
    print(("iter %d seconds %.4f"):format(it, simec.clock() - t))
  end
  -- the objective without the dense users x items product: every pair at
  -- confidence 1 is trace(U'U Y'Y); the stored ones add (1 + alpha)(1 - z)^2 - z^2
  local total = ((U:t() * U):mul(Y:t() * Y)):sum()
  local z = sparse.sample(U, Y:t(), X):values()
  total = total + ((1 - z):square() * (1 + alpha) - z:square()):sum()
  print(("loss %.10g"):format(total + lambda * (U:square():sum() + Y:square():sum())))
elseif mode == "ease" then
  -- EASE's fit on the interactions: the Gram matrix and its inverse
  local X = ds.ratings:t():map(function() return 1 end) -- users x items
  local t = simec.clock()
  local m = models.ease(X, {lambda = tonumber(arg[3])})
  print(("seconds %.4f items %d sum %.10g"):format(simec.clock() - t, m.B:nrows(), m.B:sum()))
else
  error("peers: mode must be libfm, mcmc, libmf, mf, mfsgd, interactions, ials or ease")
end
