-- Matrix factorisation by stochastic gradient descent (src/core/mf.h):
-- Funk's SVD, with biases Koren's biased MF, the factorisation most
-- rating studies compare against.
local rec = require "simec.rec"
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse = common.check_sparse

-- Fits on train and predicts at the stored positions of pattern (one run):
--   p [, trace] = models.mf(train, pattern, {row_map =, col_map =, k = 100, epochs = 20, lr = 0.005,
--                          reg = 0.02, reg_bias = 0.02, biases = true, init_std = 0.1, seed = 1,
--                          trace = false})
-- Settings left out take the core's defaults (mf_opts_default). New items
-- or users (map 0) and those without training ratings get the mean and
-- the other side's bias. trace: the RMSE against pattern's values after
-- each epoch (pass validation ratings as the pattern to choose epochs).
local MF_OPTS = {row_map = true, col_map = true, k = true, epochs = true, lr = true, reg = true, reg_bias = true,
                 biases = true, init_std = true, seed = true, trace = true}

function models.mf(train, pattern, opts)
  check_sparse(train, "train")
  check_sparse(pattern, "pattern")
  opts = opts or {}
  local o = {}
  for key, v in pairs(opts) do
    if not MF_OPTS[key] then error(("models.mf: unknown option '%s'"):format(tostring(key)), 2) end
    o[key] = v
  end
  for _, key in ipairs{"k", "epochs", "seed"} do
    local v = opts[key]
    if v ~= nil and (math.type(v) ~= "integer" or v < 0) then
      error(("models.mf: %s must be a non-negative integer, got %s"):format(key, tostring(v)), 2)
    end
  end
  common.check_maps("models.mf", train, pattern, opts)
  return rec.mf(train, pattern, o)
end

require("simec.help").add{
  "models.mf(train, pattern, {row_map, col_map, k = 100, epochs = 20, lr = 0.005, reg = 0.02, reg_bias = 0.02, " ..
  "biases = true, init_std = 0.1, seed = 1, trace})",
  "Matrix factorisation (with biases: biased MF) by SGD over blocks of ratings, single precision, on the cores; the " ..
  "result does not depend on their number. Predictions at pattern, clipped to the training range; new items or users " ..
  "get the mean and the other side's bias. With trace = true also the RMSE against pattern's values after each epoch.",
}
