-- The dense stages of scripts/bench/flops.sh, on its MovieLens-10M-sized
-- data: each prints "stage NAME SECONDS FLOPS" (the median over its
-- repetitions; FLOPS counted by simec.flops, the core's level-3 BLAS work).
--   simec flops.lua RATINGS.tsv ITEM_FEATURES.tsv EPOCHS BATCHES
-- BATCHES: the SimEc batch sizes to time, e.g. "32,256" (32 is the study's).
local ratings_path, features_path = arg[1], arg[2]
local epochs = math.tointeger(tonumber(arg[3] or "3"))
local batches = {}
for b in (arg[4] or "32"):gmatch("%d+") do batches[#batches + 1] = math.tointeger(tonumber(b)) end

local function median(xs)
  table.sort(xs)
  local n = #xs
  return n % 2 == 1 and xs[(n + 1) // 2] or (xs[n // 2] + xs[n // 2 + 1]) / 2
end

local function stage(name, seconds, flops)
  print(("stage %s %.4f %.0f"):format(name, seconds, flops))
  io.stdout:flush()
end

-- three runs of f; its median time and the flops of one run
local function timed(name, f)
  local times, flops = {}, 0
  for k = 1, 3 do
    collectgarbage() -- the last run's result goes before the next is made
    simec.flops(true)
    local t0 = simec.clock()
    f()
    times[k] = simec.clock() - t0
    flops = simec.flops(true)
  end
  stage(name, median(times), flops)
end

local X, T = dofile("scripts/bench/simec_data.lua")(ratings_path, features_path)
local items, users = T:shape()

-- the zero-filled SimEc(X) of the study: sparse features -> 100-d -> every user
for _, b in ipairs(batches) do
  local m = SimEc.new{input = X:ncols(), embedding = 100, output = users, missing = "zero", l2_reg_emb = 0,
                      optimizer = {"adamax", lr = 0.001, eps = 1e-8}, seed = 1}
  simec.flops(true)
  local h = m:fit(X, T, {epochs = epochs, batch_size = b, verbose = false, seed = 1})
  local per_epoch = simec.flops(true) / h.epochs
  local times = {}
  for e = 1, h.epochs do times[e] = h.seconds[e] end
  stage(("simec_zero_epoch_batch%d"):format(b), median(times), per_epoch)
end

-- ridge from the features to 100 targets (the study's SVD + regression)
local Y = matrix.randn(items, 100, 7)
timed("ridge_features_to_100", function() return models.ridge(X, Y, 250) end)

-- predictions for a block of 2000 items: 2000 x 100 times 100 x users (the
-- whole items x users product is 6 GB, and its page faults would be timed)
local E, V = matrix.randn(2000, 100, 3), matrix.randn(100, users, 5)
timed("product_2000_x_users", function() return E * V end)

-- square products, the shape BLAS is tuned for
local A, B = matrix.randn(3000, 3000, 11), matrix.randn(3000, 3000, 12)
timed("product_3000", function() return A * B end)
