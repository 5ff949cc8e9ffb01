-- One size of scripts/bench/scale.sh: synthetic ratings of the ML-25M
-- shape (62,423 items x 162,541 users) written to a file, then each stage
-- timed: load (sparse.read), the T1 split, the means model (fit and test
-- predictions), the truncated SVD (k 100) of its residuals, one epoch of
-- SimEc(I) masked (embedding 10, Adamax), 20 MCMC sweeps (k 8, no
-- features). Prints "stage SECONDS PEAK_MB" per stage (the process's peak
-- RSS so far; the median of three or more runs of the stage) and
-- "ratings N".
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

-- A stage's seconds: the median of at least three runs, and of as many as
-- fill 0.5 s (at most 25), each after a full collection (the last run's
-- garbage is not this one's): a first run's fresh pages, one page fault
-- or one collector pause would otherwise set the growth exponent, and a
-- stage of milliseconds would be its noise. Returns fn's results of the
-- first run (so the peak RSS counts two copies of a stage's result).
local function stage(name, fn)
  collectgarbage()
  collectgarbage()
  local t0 = simec.clock()
  local out = table.pack(fn())
  local times, total = {simec.clock() - t0}, simec.clock() - t0
  while (total < 0.5 or #times < 3) and #times < 25 do
    collectgarbage()
    local t1 = simec.clock()
    fn()
    times[#times + 1] = simec.clock() - t1
    total = total + times[#times]
  end
  table.sort(times)
  print(("%s %.4f %.1f"):format(name, times[(#times + 1) // 2], peak_mb()))
  io.stdout:flush()
  return table.unpack(out, 1, out.n)
end

local R = stage("load", function() return sparse.read(dir .. "/ratings.tsv", {row = 2, col = 1}) end)
local s = stage("split", function() return splits.split(R, "T1", {seed = 13}) end)
local mm, base = stage("means", function()
  local m = models.means(s.train, {shrinkage = 1})
  return m, m:predict(s.test, s.row_map, s.col_map)
end)
stage("svd", function()
  local sv = models.svd(mm:residuals(s.train), 100)
  return sv:predict(s.test, s.row_map, s.col_map)
end)
local T = mm:residuals(s.train)
stage("simec_epoch", function()
  local m = SimEc.new{input = "identity", rows = T:nrows(), embedding = 10, output = T:ncols(), missing = "mask",
                      l2_reg_emb = 1e-3, optimizer = "adamax", seed = 28}
  m:fit(nil, T, {epochs = 1, verbose = false, seed = 13})
end)
local p = stage("mcmc_20", function()
  return models.mcmc(s.train, s.test, {k = 8, burn_in = 0, samples = 20, seed = 13})
end)
print(("ratings %d"):format(R:nnz()))
assert(base:nnz() == p:nnz())
