-- One SimEc training run of scripts/bench/simec.sh:
--   simec simec_simec.lua RATINGS.tsv ITEM_FEATURES.tsv VARIANT EPOCHS [SEED]
-- VARIANT: X-mask (sparse item features, masked mse), X-zero (zero-filled),
-- I-mask (identity input). Targets: ratings minus their global mean.
-- Prints "epoch SECONDS LOSS" per epoch.
local ratings_path, features_path, variant, epochs = arg[1], arg[2], arg[3], tonumber(arg[4] or "3")
local seed = math.tointeger(tonumber(arg[5] or "1"))
local X, T = dofile("scripts/bench/simec_data.lua")(ratings_path, features_path)
local input, miss = variant:match("^(%a)%-(%a+)$")
local m = SimEc.new{input = input == "X" and X:ncols() or "identity", rows = T:nrows(), embedding = 100,
                    output = T:ncols(), missing = miss == "mask" and "mask" or "zero", l2_reg_emb = 0,
                    optimizer = {"adamax", lr = 0.001, eps = 1e-8}, seed = seed}
local h = m:fit(input == "X" and X or nil, T, {epochs = epochs, batch_size = 32, verbose = false, seed = seed})
for e = 1, h.epochs do print(("epoch %.3f %.6f"):format(h.seconds[e], h.loss[e])) end
