-- Pairwise relations with row and column kernels (drug-target
-- interactions): the GIP kernel, Kronecker regularised least squares and
-- neighbourhood-regularised logistic matrix factorisation.
local simec = require "simec"
local matrix = simec.matrix
local models = require "simec.models"
local rec = require "simec.rec"
local common = require "simec.models.common"
local check_sparse = common.check_sparse

-- Gaussian interaction-profile (GIP) kernel of the rows of Y (van
-- Laarhoven et al. 2011): exp(-gamma ||y_i - y_j||^2) with gamma the
-- bandwidth over the mean squared profile norm; a dense n x n matrix,
-- from Y Y' over the stored pairs (in C: rec.gip_kernel).
function models.gip_kernel(Y, bandwidth)
  check_sparse(Y, "Y")
  bandwidth = bandwidth or 1
  if type(bandwidth) ~= "number" or not (bandwidth >= 0) or bandwidth == math.huge then
    error(("models.gip_kernel: bandwidth must be a non-negative number, got %s"):format(tostring(bandwidth)), 2)
  end
  return rec.gip_kernel(Y, bandwidth)
end

-- Weighted nearest-neighbour profiles (van Laarhoven and Marchiori 2013):
-- a row without interactions of its own (a new drug) borrows those of the
-- training rows, the i-th most similar weighted T^(i-1) (down to 1e-4), so
-- that profile-based kernels and models have something to go by. Y: the
-- training profiles (training rows x columns, sparse 0/1); S_rows: the
-- query rows' similarities to the training rows (queries x training
-- rows). Returns the queries' profiles (dense, queries x columns), not
-- normalised, as in the paper's code (in C: rec.wnn_profiles).
function models.wnn_profiles(Y, S_rows, T)
  check_sparse(Y, "Y")
  common.check_dense(S_rows, "S_rows")
  T = T or 0.7
  if type(T) ~= "number" or not (T > 0 and T < 1) then
    error(("models.wnn_profiles: T must be in (0, 1), got %s"):format(tostring(T)), 2)
  end
  if S_rows:ncols() ~= Y:nrows() then
    error(("models.wnn_profiles: S_rows has %d columns for %d training rows"):format(S_rows:ncols(), Y:nrows()), 2)
  end
  return rec.wnn_profiles(Y, S_rows, T)
end

-- Kronecker regularised least squares (KronRLS): the pairwise kernel
-- Kd (x) Kt, solved through the two eigendecompositions in the training
-- space, A = Ud [(Ud' Y Ut) / (wd wt' + sigma)] Ut' (in C: rec.kronrls).
-- Y: training rows x training columns (sparse 0/1); Kd, Kt: their kernels
-- (dense, symmetric). Predictions for any rows and columns go through
-- their kernel rows against the training ones (KronRLS:scores).
local KronRLS = {}
-- A = Ud C Ut', the weights scores() reads, is formed on first use:
-- fitted() works in the eigenbases and never needs it
KronRLS.__index = function(m, k)
  if k == "A" then
    local A = m.Ud * m.C * m.Ut:t()
    rawset(m, "A", A)
    return A
  end
  return KronRLS[k]
end
KronRLS.__name = "KronRLS model"

function models.kronrls(Y, Kd, Kt, opts)
  check_sparse(Y, "Y")
  common.check_dense(Kd, "Kd")
  common.check_dense(Kt, "Kt")
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
  local wd, Ud, wt, Ut, C = rec.kronrls(Y, Kd, Kt, sigma)
  return setmetatable({sigma = sigma, Ud = Ud, Ut = Ut, wd = wd, wt = wt, C = C}, KronRLS)
end

-- the fitted values Kd A Kt from the eigenbases, Ud [C o (wd wt')] Ut'
-- (two products where Kd A Kt costs four more): at every training pair,
-- or at the stored positions of the sparse P only (one product, then a
-- dot product per pair)
function KronRLS:fitted(P)
  if P ~= nil then check_sparse(P, "P") end
  if P and (P:nrows() ~= self.C:nrows() or P:ncols() ~= self.C:ncols()) then
    error(("KronRLS:fitted: P is %dx%d, the training pairs %dx%d"):format(P:nrows(), P:ncols(), self.C:nrows(),
          self.C:ncols()), 2)
  end
  return rec.kronrls_fitted(self.wd, self.Ud, self.wt, self.Ut, self.C, P)
end

-- the scores Kd_rows A Kt_rows' for rows and columns given by their kernel
-- rows against the training rows (Kd_rows: m x training rows) and columns
function KronRLS:scores(Kd_rows, Kt_rows)
  return Kd_rows * self.A * Kt_rows:t()
end

function KronRLS:__tostring()
  return ("KronRLS model: %dx%d training pairs, sigma %g"):format(self.C:nrows(), self.C:ncols(), self.sigma)
end


-- Neighbourhood-regularised logistic matrix factorisation (NRLMF; Liu et
-- al. 2016): p(y_ij = 1) = sigmoid(u_i . v_j), each observed interaction
-- weighted c times against the unknown pairs, with l2 penalties and a
-- graph Laplacian over each side's k most similar members pulling similar
-- drugs (targets) towards similar factors. Fitted in C (rec.nrlmf, whose
-- defaults are the paper's settings) by AdaGrad on U, then V, each step a
-- full gradient; stops when the log-likelihood moves by less than 1e-5 of
-- itself. A row without training interactions (new, or none in this fold)
-- is scored from its n most similar rows that have some, weighted by their
-- similarity, as in the paper.
local NRLMF = {}
NRLMF.__index = NRLMF
NRLMF.__name = "NRLMF model"

local NRLMF_OPTIONS = {c = "number", k = "integer", n = "integer", factors = "integer", lambda_d = "number",
                       lambda_t = "number", alpha = "number", beta = "number", theta = "number",
                       iterations = "integer", seed = "integer"}

function models.nrlmf(Y, Sd, St, opts)
  check_sparse(Y, "Y")
  common.check_dense(Sd, "Sd")
  common.check_dense(St, "St")
  opts = opts or {}
  local o = {}
  for k, v in pairs(opts) do
    local kind = NRLMF_OPTIONS[k]
    if kind == nil then error(("models.nrlmf: unknown option '%s'"):format(tostring(k)), 2) end
    if type(v) ~= "number" or v < 0 or v ~= v or v == math.huge then
      error(("models.nrlmf: %s must be a non-negative number, got %s"):format(k, tostring(v)), 2)
    end
    if kind == "integer" then
      if v ~= math.floor(v) then error(("models.nrlmf: %s must be an integer, got %s"):format(k, tostring(v)), 2) end
      v = math.tointeger(v)
    end
    o[k] = v
  end
  if o.factors == 0 or o.theta == 0 then error("models.nrlmf: factors and theta must be positive", 2) end
  local nd, nt = Y:shape()
  if Sd:nrows() ~= nd or Sd:ncols() ~= nd or St:nrows() ~= nt or St:ncols() ~= nt then
    error(("models.nrlmf: Y is %dx%d, the similarities %dx%d and %dx%d"):format(nd, nt, Sd:nrows(), Sd:ncols(),
          St:nrows(), St:ncols()), 2)
  end
  local m = setmetatable(rec.nrlmf(Y, Sd, St, o), NRLMF)
  m.with_d, m.with_t = Y:row_sums(), Y:col_sums():t() -- training interactions per row and column
  return m
end

-- the factors of query rows from their similarity rows S_rows (queries x
-- training rows) and their training row (map[q] > 0) or none (0): a row
-- with training interactions keeps its own, others the similarity-weighted
-- mean of their n most similar rows that have some
local function query_factors(F, with, S_rows, map, n)
  local q, r = S_rows:nrows(), F:ncols()
  local out = matrix.zeros(q, r)
  local S = S_rows:copy()
  for j = 1, with:nrows() do
    if with:get(j, 1) == 0 then S:col(j):assign(-math.huge) end
  end
  local idx, val = S:topk(math.min(n, S:ncols()))
  for i = 1, q do
    local t = map and map[i] or 0
    if t > 0 and with:get(t, 1) > 0 then
      out:row(i):assign(F:row(t))
    else
      local acc, wsum = matrix.zeros(1, r), 0
      for a = 1, idx:ncols() do
        local w = val:get(i, a)
        if w > -math.huge and w > 0 then
          acc = acc + F:row(idx:get(i, a)) * w
          wsum = wsum + w
        end
      end
      if wsum > 0 then out:row(i):assign(acc / wsum) end
    end
  end
  return out
end

-- Scores (interaction probabilities) of query drugs x query targets:
-- Sd_rows / St_rows their similarities to the training drugs / targets,
-- row_map / col_map their training index (0: new), nil for none known
function NRLMF:scores(Sd_rows, St_rows, row_map, col_map)
  local U = query_factors(self.U, self.with_d, Sd_rows, row_map, self.n)
  local V = query_factors(self.V, self.with_t, St_rows, col_map, self.n)
  return (U * V:t()):apply("sigmoid")
end

function NRLMF:__tostring()
  return ("NRLMF model: %dx%d training pairs, %d factors, %d AdaGrad iterations, c %g"):format(self.U:nrows(),
    self.V:nrows(), self.U:ncols(), self.iterations, self.c)
end


require("simec.help").add{
  "models.gip_kernel(Y [, bandwidth = 1])", "The Gaussian interaction-profile kernel of Y's rows (van Laarhoven et " ..
  "al. 2011): exp(-gamma ||y_i - y_j||^2), gamma = bandwidth / the mean squared row norm; dense.",
  "models.kronrls(Y, Kd, Kt [, {sigma = 1}])", "Kronecker regularised least squares on the pairwise kernel Kd x Kt " ..
  "(rows x columns of Y), solved in C through the kernels' eigendecompositions. A KronRLS object.",
  "KronRLS:scores(Kd_rows, Kt_rows)", "Scores of any rows and columns from their kernel rows against the training " ..
  "rows and columns: Kd_rows A Kt_rows'.",
  "KronRLS:fitted([P])", "The fitted scores Kd A Kt, from the eigenbases: dense at every training pair, or at the " ..
  "stored positions of the sparse P (training rows x columns) only, as a sparse matrix of P's pattern.",
  "models.nrlmf(Y, Sd, St [, {c = 5, k = 5, n = 5, factors = 10, lambda_d = 0.625, lambda_t = 0.625, alpha = 0.1, " ..
  "beta = 0.1, theta = 1, iterations = 100, seed = 1}])", "Neighbourhood-regularised logistic matrix factorisation " ..
  "(Liu et al. 2016) of the 0/1 matrix Y (rows x columns) with row and column similarities Sd, St: positives weighted " ..
  "c times, l2 penalties lambda_d/lambda_t, graph Laplacians of each side's k nearest neighbours weighted alpha/beta, " ..
  "AdaGrad with step theta, in C. An NRLMF object; its fields hold the settings used.",
  "models.wnn_profiles(Y, S_rows [, T = 0.7])", "Weighted nearest-neighbour interaction profiles (van Laarhoven " ..
  "and Marchiori 2013) of query rows from their similarities to Y's training rows: the i-th most similar training " ..
  "row's profile weighted T^(i-1) (down to 1e-4), summed; dense, queries x columns.",
  "NRLMF:scores(Sd_rows, St_rows [, row_map, col_map])", "Interaction probabilities of query rows x query columns " ..
  "from their similarities to the training ones; the maps give each query's training index (0: new). A query without " ..
  "training interactions takes the similarity-weighted factors of its n nearest training members that have some.",
}

return require("simec.help").classes{KronRLS = KronRLS, NRLMF = NRLMF}
