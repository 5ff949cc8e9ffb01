-- One size of scripts/bench/scale.sh: synthetic ratings of the ML-25M
-- shape (62,423 items x 162,541 users) written to a file, then each stage
-- timed: load (sparse.read), the T1 split, the means model (fit and test
-- predictions), the truncated SVD (k 100) of its residuals, one epoch of
-- SimEc(I) masked (embedding 10, Adamax), 20 MCMC sweeps (k 8, no
-- features). Prints "stage SECONDS PEAK_MB" per stage (the process's peak
-- RSS so far) and "ratings N".
--   simec scale.lua write RATINGS DIR   -- DIR/ratings.tsv
--   simec scale.lua run DIR             -- the stages on it
local data, splits, models = require "simec.data", require "simec.splits", require "simec.models"
local mode, dir = arg[1], arg[#arg]

local function peak_mb()
  local f = io.open("/proc/self/status")
  local kb = f and f:read("a"):match("VmHWM:%s*(%d+)")
  if f then f:close() end
  return kb and tonumber(kb) / 1024 or 0
end

if mode == "write" then -- in its own process, so the stages' peak RSS is theirs
  local ds = data.synthetic{items = 62423, users = 162541, ratings = math.tointeger(tonumber(arg[2])), rank = 20,
                            item_features = 0, user_features = 0, seed = 13}
  ds.ratings:write(dir .. "/ratings.tsv", {transpose = true})
  return
end
assert(mode == "run", "scale.lua: mode must be write or run")

local t = simec.clock()
local function stage(name)
  print(("%s %.4f %.1f"):format(name, simec.clock() - t, peak_mb()))
  io.stdout:flush()
  t = simec.clock()
end

local R = sparse.read(dir .. "/ratings.tsv", {row = 2, col = 1})
stage("load")
local s = splits.split(R, "T1", {seed = 13})
stage("split")
local mm = models.means(s.train, {shrinkage = 1})
local base = mm:predict(s.test, s.row_map, s.col_map)
stage("means")
local sv = models.svd(mm:residuals(s.train), 100)
local _ = sv:predict(s.test, s.row_map, s.col_map)
stage("svd")
local T = mm:residuals(s.train)
local m = SimEc.new{input = "identity", rows = T:nrows(), embedding = 10, output = T:ncols(), missing = "mask",
                    l2_reg_emb = 1e-3, optimizer = "adamax", seed = 28}
m:fit(nil, T, {epochs = 1, verbose = false, seed = 13})
stage("simec_epoch")
local p = models.mcmc(s.train, s.test, {k = 8, burn_in = 0, samples = 20, seed = 13})
stage("mcmc_20")
print(("ratings %d"):format(R:nnz()))
assert(base:nnz() == p:nnz())
