-- simec's side of scripts/bench/dti.sh: KronRLS with GIP kernels (each
-- side's kernel 0.5 similarity + 0.5 GIP of the training profiles, sigma
-- 1, as examples/dti.lua runs it) over 10-fold cross-validation in the
-- pairs setting (CVS1), every drug and target in training, a fold's pairs
-- scored from the fitted values at those pairs.
--   simec dti.lua write DIR [DATA_DIR NAME | DRUGS TARGETS]   the data and folds as text for the peer
--   simec dti.lua kron DIR [DATA_DIR NAME | DRUGS TARGETS]    per fold: "fold F seconds S sum Z"
-- Without DATA_DIR, synthetic data the shape of Yamanishi's Enzyme set
-- (445 drugs x 664 targets, 2,926 interactions: density 0.0099), or of
-- DRUGS x TARGETS at that density (the tests' small fixture).
local simec = require "simec"
local data, splits, models = require "simec.data", require "simec.splits", require "simec.models"

local mode, dir, data_dir, name = arg[1], arg[2], arg[3], arg[4]
if (mode ~= "write" and mode ~= "kron") or not dir then
  io.stderr:write("usage: simec dti.lua write|kron DIR [DATA_DIR NAME | DRUGS TARGETS]\n")
  os.exit(2)
end

-- drugs x targets interactions and both similarity matrices
local ds
local nd, nt = math.tointeger(tonumber(data_dir)), math.tointeger(tonumber(name))
if data_dir and not (nd and nt) then
  ds = data.dti(data_dir, name)
else
  ds = data.synthetic_dti{drugs = nd or 445, targets = nt or 664, rank = 10, density = 2926 / (445 * 664), noise = 1,
                          seed = 7}
end
local Y, Sd, St = ds.interactions:t(), ds.drugs.similarity, ds.targets.similarity
local folds = splits.cv(Y, "pairs", {folds = 10, seed = 13})

if mode == "write" then
  local function dense(path, M)
    local f = assert(io.open(path, "w"))
    for i = 1, M:nrows() do
      local row = {}
      for j = 1, M:ncols() do row[j] = ("%.17g"):format(M:get(i, j)) end
      f:write(table.concat(row, " "), "\n")
    end
    f:close()
  end
  dense(dir .. "/Sd.txt", Sd)
  dense(dir .. "/St.txt", St)
  local f = assert(io.open(dir .. "/Y.txt", "w"))
  f:write(("%d %d\n"):format(Y:shape()))
  for i, j in Y:triplets() do f:write(("%d %d\n"):format(i - 1, j - 1)) end
  f:close()
  f = assert(io.open(dir .. "/folds.txt", "w"))
  for k, fold in ipairs(folds) do
    for i, j in fold.test:triplets() do f:write(("%d %d %d\n"):format(k, i - 1, j - 1)) end
  end
  f:close()
  print(("%dx%d, %d interactions, %d folds"):format(Y:nrows(), Y:ncols(), Y:nnz(), #folds))
  os.exit(0)
end

for k, fold in ipairs(folds) do
  local t = simec.clock()
  local Ytr = fold.train
  local Kd = Sd * 0.5 + models.gip_kernel(Ytr) * 0.5
  local Kt = St * 0.5 + models.gip_kernel(Ytr:t()) * 0.5
  local sum = models.kronrls(Ytr, Kd, Kt, {sigma = 1}):fitted(fold.test):sum() -- the fitted values at the fold's pairs
  print(("fold %d seconds %.4f sum %.10g"):format(k, simec.clock() - t, sum))
end
