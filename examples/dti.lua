-- Drug-target interaction prediction (Yamanishi et al.'s data) in the usual
-- protocol: 10-fold cross-validation (seeded) in four settings — pairs,
-- new drugs, new targets, both new (T1, T2a, T2b, T3 with drugs as rows) —
-- reporting mean AUPR and AUC over the folds' held-out pairs, interacting or
-- not. Models: similarity smoothing (scores K_d Y K_t^T with the training
-- interactions Y and the row-normalised similarities to training drugs and
-- targets) and two SimEcs (drug and target similarity rows as features,
-- sigmoid outputs, binary cross-entropy, sampled negatives). The SimEc
-- settings are fixed beforehand, not tuned.
--   simec examples/dti.lua [DATA_DIR] [NAME] [--json FILE] [--folds K]
local data, models, metrics = require "simec.data", require "simec.models", require "simec.metrics"

local opts = {folds = 10}
local pos = {}
local i = 1
while arg[i] do
  local a = arg[i]
  if a == "--json" then opts.json = arg[i + 1]; i = i + 2
  elseif a == "--folds" then opts.folds = math.tointeger(tonumber(arg[i + 1])); i = i + 2
  elseif a:sub(1, 2) == "--" then error("dti: unknown option " .. a)
  else pos[#pos + 1] = a; i = i + 1 end
end
local dir, name = pos[1] or "../shared/data/dti", pos[2] or "nr"
local d = data.dti(dir, name)
local Y = d.interactions:t() -- drugs x targets
local Sd, St = d.drugs.similarity, d.targets.similarity
local nd, nt = Y:nrows(), Y:ncols()
print(("%s: %d drugs x %d targets, %d interactions; %d-fold cross-validation"):format(name, nd, nt, Y:nnz(), opts.folds))

-- fold of each of n things (1..K), from a seeded permutation
local function folds_of(n, seed)
  local perm, f = rng.new(seed):permutation(n), {}
  for p = 1, n do f[perm[p]] = (p - 1) * opts.folds // n + 1 end
  return f
end

local function list_where(n, keep)
  local t = {}
  for k = 1, n do if keep(k) then t[#t + 1] = k end end
  return t
end

-- similarity rows restricted to the training columns, normalised to sum 1
local function kernel(S, cols)
  local K = S:select_cols(cols)
  return K:div(K:sum(2):maximum(1e-12))
end

local SIMEC = {embedding = 20, missing = "mask",
               simec = {ll_activation = "sigmoid", loss = "bce", l2_reg_emb = 1e-4, optimizer = {"adam", lr = 0.01}},
               fit = {epochs = 40, batch_size = 16, negatives = 5}}

-- one fold: training drugs/targets, the training interactions among them
-- (minus hidden pairs) and the test pairs; returns scores per model
local function run_fold(train_d, train_t, hidden, test_i, test_j)
  local dmap, tmap = {}, {}
  for k, v in ipairs(train_d) do dmap[v] = k end
  for k, v in ipairs(train_t) do tmap[v] = k end
  local ri, ci = {}, {}
  for a, b in Y:triplets() do
    if dmap[a] and tmap[b] and not hidden[(a - 1) * nt + b] then ri[#ri + 1], ci[#ci + 1] = dmap[a], tmap[b] end
  end
  local Ytr = sparse.from_triplets(ri, ci, 1, {rows = #train_d, cols = #train_t})
  local P = sparse.from_triplets(test_i, test_j, 1, {rows = nd, cols = nt})
  local out = {}
  -- similarity smoothing at the test pairs
  local smooth = kernel(Sd, train_d) * Ytr:dense() * kernel(St, train_t):t()
  out.smooth = {}
  for a, b in P:triplets() do out.smooth[#out.smooth + 1] = smooth:get(a, b) end
  -- two SimEcs on the similarity rows
  local o = {items = Sd:select_rows(train_d), users = St:select_rows(train_t)}
  for k, v in pairs(SIMEC) do o[k] = v end
  local ts = models.two_simec(Ytr, o)
  out.simec = ts:predict(P, nil, nil, {items = Sd, users = St}):values()
  local labels = {}
  for a, b in P:triplets() do labels[#labels + 1] = Y:get(a, b) end
  return out, labels
end

local settings = {
  {"T1", "pairs", function(f, df, tf, pf) return function(a, b) return pf[(a - 1) * nt + b] == f end end},
  {"T2a", "new drugs", function(f, df) return function(a) return df[a] == f end end},
  {"T2b", "new targets", function(f, df, tf) return function(_, b) return tf[b] == f end end},
  {"T3", "both new", function(f, df, tf) return function(a, b) return df[a] == f and tf[b] == f end end},
}
local results = {}
for _, st in ipairs(settings) do
  local t0 = simec.clock()
  local df, tf, pf = folds_of(nd, 13), folds_of(nt, 14), folds_of(nd * nt, 15)
  local sums = {smooth = {0, 0}, simec = {0, 0}}
  local used = 0
  for f = 1, opts.folds do
    local is_test = st[3](f, df, tf, pf)
    local test_i, test_j, hidden = {}, {}, {}
    for a = 1, nd do
      for b = 1, nt do
        if is_test(a, b) then test_i[#test_i + 1], test_j[#test_j + 1] = a, b; hidden[(a - 1) * nt + b] = true end
      end
    end
    -- new drugs (targets) leave the test fold's drugs (targets) out of training entirely
    local train_d = list_where(nd, function(a) return not ((st[1] == "T2a" or st[1] == "T3") and df[a] == f) end)
    local train_t = list_where(nt, function(b) return not ((st[1] == "T2b" or st[1] == "T3") and tf[b] == f) end)
    local out, labels = run_fold(train_d, train_t, hidden, test_i, test_j)
    local npos = 0
    for _, l in ipairs(labels) do npos = npos + l end
    if npos > 0 and npos < #labels then -- a fold without interactions has no AUC
      used = used + 1
      for m, scores in pairs(out) do
        local auc, aupr = metrics.auc_aupr(scores, labels)
        sums[m][1], sums[m][2] = sums[m][1] + aupr, sums[m][2] + auc
      end
    end
  end
  for _, m in ipairs{{"smooth", "similarity smoothing"}, {"simec", "two-SimEc bce+negatives"}} do
    results[#results + 1] = {scenario = st[1], setting = st[2], method = m[2], aupr = sums[m[1]][1] / used,
                             auc = sums[m[1]][2] / used, folds = used, seconds = simec.clock() - t0}
  end
end

print(("%-9s %-12s %-26s %8s %8s %6s %8s"):format("scenario", "setting", "method", "AUPR", "AUC", "folds", "seconds"))
for _, r in ipairs(results) do
  print(("%-9s %-12s %-26s %8.4f %8.4f %6d %8.2f"):format(r.scenario, r.setting, r.method, r.aupr, r.auc, r.folds,
                                                         r.seconds))
end
if opts.json then
  local f = assert(io.open(opts.json, "w"))
  local parts = {}
  for _, r in ipairs(results) do
    parts[#parts + 1] = ('{"scenario": %q, "method": %q, "aupr": %.6f, "auc": %.6f, "seconds": %.4f, ' ..
                         '"params": {"folds": %d}}'):format(r.scenario, r.method, r.aupr, r.auc, r.seconds, r.folds)
  end
  f:write(('{"dataset": %q, "seed": 13, "results": [\n  %s]}\n'):format("dti-" .. name, table.concat(parts, ",\n  ")))
  f:close()
  print("wrote " .. opts.json)
end
