-- Pairwise relations with row and column kernels (drug-target
-- interactions): the GIP kernel and Kronecker regularised least squares.
local simec = require "simec"
local matrix, sparse = simec.matrix, simec.sparse
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse = common.check_sparse

-- Gaussian interaction-profile (GIP) kernel of the rows of Y (van
-- Laarhoven et al. 2011): exp(-gamma ||y_i - y_j||^2) with gamma the
-- bandwidth over the mean squared profile norm; a dense n x n matrix.
function models.gip_kernel(Y, bandwidth)
  check_sparse(Y, "Y")
  bandwidth = bandwidth or 1
  local D = Y:dense()
  local G = D * D:t()
  local n = G:nrows()
  local sq, mean = {}, 0
  for i = 1, n do sq[i] = G:get(i, i); mean = mean + sq[i] end
  mean = mean / math.max(n, 1)
  local gamma = mean > 0 and bandwidth / mean or 0
  local K = matrix.zeros(n, n)
  for i = 1, n do
    for j = i, n do
      local v = math.exp(-gamma * math.max(sq[i] + sq[j] - 2 * G:get(i, j), 0))
      K:set(i, j, v)
      K:set(j, i, v)
    end
  end
  return K
end

-- Kronecker regularised least squares (KronRLS): the pairwise kernel
-- Kd (x) Kt, solved through the two eigendecompositions in the training
-- space, A = Ud [(Ud' Y Ut) / (wd wt' + sigma)] Ut'. Y: training rows x
-- training columns (sparse 0/1); Kd, Kt: their kernels (dense, symmetric).
-- Predictions for any rows and columns go through their kernel rows
-- against the training ones (KronRLS:scores).
local KronRLS = {}
KronRLS.__index = KronRLS
KronRLS.__name = "KronRLS model"

function models.kronrls(Y, Kd, Kt, opts)
  check_sparse(Y, "Y")
  opts = opts or {}
  local sigma = opts.sigma or 1
  if type(sigma) ~= "number" or not (sigma > 0) then
    error(("models.kronrls: sigma must be a positive number, got %s"):format(tostring(sigma)), 2)
  end
  local nd, nt = Y:shape()
  if Kd:nrows() ~= nd or Kd:ncols() ~= nd or Kt:nrows() ~= nt or Kt:ncols() ~= nt then
    error(("models.kronrls: Y is %dx%d, the kernels %dx%d and %dx%d"):format(nd, nt, Kd:nrows(), Kd:ncols(),
          Kt:nrows(), Kt:ncols()), 2)
  end
  local wd, Ud = Kd:eigh()
  local wt, Ut = Kt:eigh()
  local C = Ud:t() * Y:dense() * Ut
  for i = 1, nd do
    local a = wd:get(i, 1)
    for j = 1, nt do C:set(i, j, C:get(i, j) / (a * wt:get(j, 1) + sigma)) end
  end
  return setmetatable({A = Ud * C * Ut:t(), sigma = sigma}, KronRLS)
end

-- the scores Kd_rows A Kt_rows' for rows and columns given by their kernel
-- rows against the training rows (Kd_rows: m x training rows) and columns
function KronRLS:scores(Kd_rows, Kt_rows)
  return Kd_rows * self.A * Kt_rows:t()
end

function KronRLS:__tostring()
  return ("KronRLS model: %dx%d training pairs, sigma %g"):format(self.A:nrows(), self.A:ncols(), self.sigma)
end


require("simec.help").add{
  "models.gip_kernel(Y [, bandwidth = 1])", "The Gaussian interaction-profile kernel of Y's rows (van Laarhoven et " ..
  "al. 2011): exp(-gamma ||y_i - y_j||^2), gamma = bandwidth / the mean squared row norm; dense.",
  "models.kronrls(Y, Kd, Kt [, {sigma = 1}])", "Kronecker regularised least squares on the pairwise kernel Kd x Kt " ..
  "(rows x columns of Y), solved through the kernels' eigendecompositions. A KronRLS object.",
  "KronRLS:scores(Kd_rows, Kt_rows)", "Scores of any rows and columns from their kernel rows against the training " ..
  "rows and columns: Kd_rows A Kt_rows'.",
}

return require("simec.help").classes{KronRLS = KronRLS}
