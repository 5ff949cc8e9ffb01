-- Drug-target interaction prediction (Yamanishi et al.'s data) in the usual
-- protocol: 10-fold cross-validation (seeded) in four settings — pairs,
-- new drugs, new targets, both new (T1, T2a, T2b, T3 with drugs as rows) —
-- reporting mean AUPR and AUC over the folds' held-out pairs, interacting or
-- not. Models: similarity smoothing (scores K_d Y K_t^T with the training
-- interactions Y and the row-normalised similarities to training drugs and
-- targets), KronRLS with GIP kernels, WNN-GIP and NRLMF (the field's
-- standard methods, with their papers' settings; NRLMF also with its
-- regularisation chosen on inner folds), two SimEcs (drug and target
-- similarity rows as features, with the ids of a side that has no new
-- members, sigmoid outputs, binary cross-entropy, sampled negatives,
-- fitted in both orders), and a blend of KronRLS,
-- WNN-GIP, NRLMF and the SimEcs. The SimEcs' embedding size and epochs are
-- chosen per fold by AUPR on one fold of the same setting inside the
-- training drugs and targets, the blend's weights by the mean AUPR over
-- five such folds (drawn again until they have held out 500 positives),
-- never on the test fold. A side without a similarity file uses the GIP
-- kernel of its training interactions, and the settings with new members
-- on that side are skipped.
--   simec examples/dti.lua [DATA_DIR] [NAME] [--synthetic] [--json FILE] [--folds K] [--quick]
--                          [--models kron,wnn,nrlmf,...]
--   simec examples/dti.lua --interactions FILE [--row-similarity F] [--col-similarity F]
--                          [--row-features F] [--col-features F]
-- (your own data: rows take the drugs' role, columns the targets')
-- DATA_DIR: the path given, else data/dti, else ../shared/data/dti; with
-- --synthetic data.synthetic_dti's 200 drugs x 100 targets.
local data, models, metrics = require "simec.data", require "simec.models", require "simec.metrics"
local splits = require "simec.splits"

local cli = require "simec.cli"
local opts = cli.parse(arg, {_args = "DATA_DIR NAME: a folder of Yamanishi's files (default dti: the path, then " ..
                                     "data/dti, then ../shared/data/dti) and the set (nr, the default; gpcr, ic, " ..
                                     "e); a set's name alone runs it from the default folder.",
                             json = "string", folds = {"integer", "Cross-validation folds (10).", 2}, synthetic = "flag",
                             interactions = {"string", "Your own interaction matrix (rows the drugs' role, columns " ..
                                             "the targets'): a labelled 0/1 table or row<TAB>column[<TAB>0|1] lines."},
                             row_similarity = {"string", "A labelled similarity table of its rows."},
                             col_similarity = {"string", "A labelled similarity table of its columns."},
                             row_features = {"string", "A feature file of its rows (cosine similarities of them " ..
                                             "stand in for a missing similarity table)."},
                             col_features = {"string", "A feature file of its columns, likewise."},
                             protocol = {"string", "simec (one split, fold seed 13; the default) or liu2016 (Liu " ..
                                         "et al.'s folds for their five trial seeds; pairs, new drugs, new targets)."},
                             models = {"string", "The models to run, comma-separated (default all): smooth, " ..
                                       "kron, wnn, nrlmf, nrlmf_tuned, simec, blend."},
                             quick = {"flag", "A small declared grid for a classroom run: the two-SimEc at embedding " ..
                                      "30 and 30 epochs, NRLMF tuned over two settings, the blend's inner folds " ..
                                      "drawn once."}},
                       "dti", "Drug-target interactions: similarity smoothing, KronRLS-GIP, WNN-GIP, NRLMF (as " ..
                       "shipped and tuned on inner folds), two-SimEcs and their blend, 10-fold CV.")
opts.folds = opts.folds or 10
-- the models in the table's order (names for --models; rows below)
local MODEL_NAMES = {"smooth", "kron", "wnn", "nrlmf", "nrlmf_tuned", "simec", "blend"}
local run_model = {}
for _, name in ipairs(MODEL_NAMES) do run_model[name] = not opts.models end
if opts.models then
  for name in (opts.models .. ","):gmatch("([^,]*),") do
    name = name:match("^%s*(.-)%s*$")
    if run_model[name] == nil then
      cli.fail("dti", ("--models: unknown model '%s' (one of %s)"):format(name, table.concat(MODEL_NAMES, ", ")))
    end
    run_model[name] = true
  end
end
local protocol = opts.protocol or "simec"
if protocol ~= "simec" and protocol ~= "liu2016" then
  cli.fail("dti", ("--protocol must be simec or liu2016, got %s"):format(protocol))
end
-- the folds of every setting: one seeded split, or Liu et al.'s five trials
local CV = protocol == "liu2016" and {folds = opts.folds, seeds = splits.LIU2016_SEEDS} or {folds = opts.folds, seed = 13}

-- one argument naming one of Yamanishi's sets, where no folder of that
-- name is found, is the set in the default folder (simec examples/dti.lua gpcr)
local set_alone = false
for _, set in ipairs(data.DTI_SETS) do
  if opts[1] == set and not opts[2] and not data.find(set) then set_alone = true end
end
if set_alone then opts[1], opts[2] = nil, opts[1] end
local name = opts[2] or "nr"
local d
if opts.interactions and (opts.synthetic or opts[1]) then
  cli.fail("dti", "give one of DATA_DIR [NAME], --synthetic and --interactions")
end
if (opts.row_similarity or opts.col_similarity or opts.row_features or opts.col_features) and not opts.interactions then
  cli.fail("dti", "--row-similarity, --col-similarity, --row-features and --col-features describe --interactions")
end
-- a side with features and no similarity table: the cosine similarities
-- of its feature rows (a row without features is similar to itself only)
local function with_similarity(side)
  if side.similarity or not side.features then return side end
  local D = side.features:dense()
  local G = D * D:t()
  local n = G:nrows()
  local norms = matrix.zeros(n, 1)
  for i = 1, n do norms:set(i, 1, math.sqrt(G:get(i, i))) end
  G = G:div((norms * norms:t()):maximum(1e-300)) -- a zero row's entries stay 0
  for i = 1, n do G:set(i, i, 1) end
  side.similarity = G
  side.from_features = true
  return side
end
if opts.interactions then
  local ok, own = pcall(data.interactions, opts.interactions, {row_similarity = opts.row_similarity,
                                                               col_similarity = opts.col_similarity,
                                                               row_features = opts.row_features,
                                                               col_features = opts.col_features})
  if not ok then cli.fail("dti", tostring(own)) end
  d = setmetatable({name = own.name, interactions = own.interactions:t(), drugs = with_similarity(own.rows),
                    targets = with_similarity(own.cols)}, data.DataSet)
elseif opts.synthetic then d = data.synthetic_dti()
else
  local ok, dir = pcall(require("simec.study").find_data, opts[1] or "dti",
                        "give a folder of Yamanishi et al.'s files (DATA_DIR NAME) or --interactions FILE")
  if not ok then cli.fail("dti", dir.msg or tostring(dir)) end
  d = data.dti(dir, name)
end
name = d.name
local Y = d.interactions:t() -- drugs x targets
local function kernel_of(side)
  if d[side].from_features then return side:sub(1, -2) .. " cosine similarities of features" end
  return d[side].similarity and side:sub(1, -2) .. " similarities" or
         side:sub(1, -2) .. " GIP kernels of the training interactions (no similarity file)"
end
print(("%s: %d drugs x %d targets, %d interactions; features: %s and %s; %d-fold cross-validation, %s")
  :format(name, Y:nrows(), Y:ncols(), Y:nnz(), kernel_of("drugs"), kernel_of("targets"), opts.folds,
          protocol == "liu2016" and "Liu et al.'s folds, trial seeds " .. table.concat(splits.LIU2016_SEEDS, ", ")
          or "fold seed 13") .. (opts.quick and "; quick grid" or ""))

-- similarity rows restricted to the training columns, normalised to sum 1
local function kernel(S, cols)
  local K = S:select_cols(cols)
  return K:div(K:sum(2):maximum(1e-12))
end

local SETTINGS = {
  {"T1", "pairs"}, {"T2a", "new drugs"}, {"T2b", "new targets"}, {"T3", "both new"},
}
-- The two SimEcs: fitted in each order (the drugs' SimEc first, or the
-- targets') and their predictions averaged, with 10 sampled negatives per
-- interaction and Adam 0.03; a few hundred rows give an epoch few steps,
-- so the grid runs to 100 epochs.
local GRID = opts.quick and {embedding = {30}, epochs = {30}} or {embedding = {10, 30}, epochs = {30, 100}}

local function simec_opts(p)
  return {embedding = p.embedding, missing = "mask", seed = 28, first = "both",
          simec = {ll_activation = "sigmoid", loss = "bce", l2_reg_emb = 1e-4, optimizer = {"adam", lr = 0.03}},
          fit = {epochs = p.epochs, batch_size = 16, negatives = 10}}
end

-- too few drugs, targets or pairs for --folds (splits.cv's error, its
-- setting named as the table names it): a usage error, not a crash
local function too_many_folds(err, label)
  local msg = tostring(err):gsub("^splits%.cv: ", ""):gsub(" in the %a+ setting", " in the " .. label .. " setting")
  cli.fail("dti", msg .. " (set fewer with --folds)")
end

-- Cross-validation of one setting on a problem {Y, Sd, St} (splits.cv's
-- folds for cvopts: {folds, seed} or {seeds}; drawn: those folds, drawn
-- already); models maps a name to
-- function(P, train_d, train_t, Ytr, pattern, setting, seed) -> scores at
-- the pattern's entries. only: the first folds only. Returns per model the
-- mean over the folds of AUPR (average precision), AUPR-tr (trapezoid) and
-- AUC, and the standard deviation of the trials' means (0 for one trial),
-- counting the folds that have test interactions and non-interactions, and
-- the seconds the model took over those folds (its tuning included).
-- inner: folds inside a training fold, where a matrix too small for them
-- gives none (used = 0) instead of ending the run.
local function cv(P, setting, cvopts, models_, only, inner, drawn)
  local vals, used, seconds = {}, 0, {}
  local KEYS = {"aupr", "auc", "aupr_trapz"}
  for m in pairs(models_) do vals[m], seconds[m] = {}, 0 end
  local ok, folds = true, drawn
  if not folds then ok, folds = pcall(splits.cv, P.Y, setting, cvopts) end
  if not ok and inner then return {}, 0 end -- a training side too small for inner folds has none
  if not ok then error(folds, 0) end
  for _, f in ipairs(folds) do
    if only and f.fold > only then break end
    if f.positives > 0 and f.positives < #f.labels and f.train:nnz() > 0 then -- else no AUC
      used = used + 1
      for m, fn in pairs(models_) do
        local seed = cvopts.seeds and f.seed or f.seed + f.fold
        local t0 = simec.clock()
        local scores = fn(P, f.train_rows, f.train_cols, f.train, f.test, setting, seed)
        seconds[m] = seconds[m] + simec.clock() - t0
        local auc, aupr, trapz = metrics.auc_aupr(scores, f.labels)
        local t = vals[m][f.trial] or {n = 0, aupr = 0, auc = 0, aupr_trapz = 0}
        vals[m][f.trial] = t
        t.n, t.aupr, t.auc, t.aupr_trapz = t.n + 1, t.aupr + aupr, t.auc + auc, t.aupr_trapz + trapz
      end
    end
  end
  local out = {}
  for m, trials in pairs(vals) do
    out[m] = {seconds = seconds[m]}
    for _, key in ipairs(KEYS) do
      local sum, n, means = 0, 0, {}
      for _, t in pairs(trials) do sum, n, means[#means + 1] = sum + t[key], n + t.n, t[key] / t.n end
      out[m][key] = n > 0 and sum / n or 0
      out[m][key .. "_sd"] = #means > 1 and select(2, metrics.mean_sd(means)) or 0
    end
  end
  return out, used
end

-- a dense score matrix read at the pattern's entries, in its order
local function at(sc, pattern)
  local out = {}
  for a, b in pattern:triplets() do out[#out + 1] = sc:get(a, b) end
  return out
end

local function smoothing(P, train_d, train_t, Ytr, pattern)
  local sc = kernel(P.Sd, train_d) * Ytr:dense() * kernel(P.St, train_t):t()
  return at(sc, pattern)
end

-- KronRLS with GIP kernels (van Laarhoven et al. 2011), one of the field's
-- standard methods: each side's kernel is the average of its similarity and
-- the Gaussian kernel of the training interaction profiles. A new drug
-- (target) has no profile, so its kernel row against the training ones is
-- its similarity row. sigma and the weight are the paper's (1, 0.5).
local KRON = {sigma = 1, gip_weight = 0.5}
local function kronrls_gip(P, train_d, train_t, Ytr, pattern)
  local function side(S, train, Yrows)
    local K = S:select_rows(train):select_cols(train) * (1 - KRON.gip_weight) +
              models.gip_kernel(Yrows) * KRON.gip_weight
    local rows = S:select_cols(train)
    for q, v in ipairs(train) do rows:row(v):assign(K:row(q)) end
    return K, rows
  end
  local Kd, Kd_rows = side(P.Sd, train_d, Ytr)
  local Kt, Kt_rows = side(P.St, train_t, Ytr:t())
  local sc = models.kronrls(Ytr, Kd, Kt, {sigma = KRON.sigma}):scores(Kd_rows, Kt_rows)
  return at(sc, pattern)
end

-- KronRLS with GIP kernels and weighted nearest-neighbour profiles (WNN-GIP;
-- van Laarhoven and Marchiori 2013) over every drug and target: a drug
-- (target) without training interactions first gets a profile from its
-- nearest training drugs (T 0.7), then the GIP kernels are taken of the
-- completed profiles and the scores are KronRLS's fitted values.
-- Similarities get 0.1 on the diagonal, kernel weight 0.5 and sigma 1 as
-- published. (Their code instead gives such a drug its similarity row as
-- its kernel row, which leaves the kernel indefinite; docs/results.md.)
local WNN = {T = 0.7, weight = 0.5, sigma = 1, ridge = 0.1}
local function wnn_kronrls(P, train_d, train_t, Ytr, pattern)
  local nd, nt = P.Sd:nrows(), P.St:nrows()
  local I, J = {}, {}
  for a, b in Ytr:triplets() do I[#I + 1], J[#J + 1] = train_d[a], train_t[b] end
  local D = sparse.from_triplets(I, J, 1, {rows = nd, cols = nt}):dense()
  -- the rows of M without interactions take WNN profiles from those with
  local function complete(M, S)
    local counts, with, new = M:sum(2), {}, {}
    for i = 1, M:nrows() do
      if counts:get(i, 1) > 0 then with[#with + 1] = i else new[#new + 1] = i end
    end
    if #new > 0 and #with > 0 then
      local prof = models.wnn_profiles(sparse.from_dense(M:select_rows(with)), S:select_rows(new):select_cols(with),
                                       WNN.T)
      for q, i in ipairs(new) do M:row(i):assign(prof:row(q)) end
    end
    return M
  end
  D = complete(D, P.Sd)
  D = complete(D:t(), P.St):t()
  local Dsp = sparse.from_dense(D)
  local Kd = (P.Sd + matrix.eye(nd) * WNN.ridge) * (1 - WNN.weight) + models.gip_kernel(Dsp) * WNN.weight
  local Kt = (P.St + matrix.eye(nt) * WNN.ridge) * (1 - WNN.weight) + models.gip_kernel(Dsp:t()) * WNN.weight
  local sc = models.kronrls(Dsp, Kd, Kt, {sigma = WNN.sigma}):scores(Kd, Kt)
  return at(sc, pattern)
end

-- NRLMF (Liu et al. 2016) with the settings their code (PyDTI) ships: c 5,
-- 5 neighbours for the Laplacians and for new members, 50 factors,
-- lambda_d = lambda_t = 0.125, alpha 0.25, beta 0.125, theta 0.5, 100
-- iterations. Trained on the training drugs and targets only (their code
-- keeps the held-out ones in the Laplacians).
local NRLMF = {c = 5, k = 5, n = 5, factors = 50, lambda_d = 0.125, lambda_t = 0.125, alpha = 0.25, beta = 0.125,
               theta = 0.5, iterations = 100}
-- NRLMF with settings p over NRLMF's (nil: NRLMF's own)
local function nrlmf_with(p)
  return function(P, train_d, train_t, Ytr, pattern, _, seed)
    local function map(train, n)
      local m = {}
      for i = 1, n do m[i] = 0 end
      for q, v in ipairs(train) do m[v] = q end
      return m
    end
    local o = {seed = seed}
    for k, v in pairs(NRLMF) do o[k] = v end
    for k, v in pairs(p or {}) do o[k] = v end
    local m = models.nrlmf(Ytr, P.Sd:select_rows(train_d):select_cols(train_d),
                           P.St:select_rows(train_t):select_cols(train_t), o)
    local sc = m:scores(P.Sd:select_cols(train_d), P.St:select_cols(train_t), map(train_d, P.Sd:nrows()),
                        map(train_t, P.St:nrows()))
    return at(sc, pattern)
  end
end
local nrlmf = nrlmf_with(nil)

-- A side without new members in the setting (both in pairs, the targets
-- with new drugs, the drugs with new targets) has its one-hot ids beside
-- its similarity rows as input (an identity SimEc's input): a member's own
-- interactions then shape its embedding, not only its similarities. A side
-- with new members has the similarity rows alone (a new member's id was
-- never trained). Chosen on inner folds of the training side
-- (docs/results.md, "Ids beside the similarities").
local function inputs(S, ids)
  return ids and matrix.hstack{S, matrix.eye(S:nrows())} or S
end
local function two_simec(p)
  return function(P, train_d, train_t, Ytr, pattern, setting)
    local o = simec_opts(p)
    local new_d, new_t = splits.cv_new(setting)
    local Xd, Xt = inputs(P.Sd, not new_d), inputs(P.St, not new_t)
    o.items, o.users = Xd:select_rows(train_d), Xt:select_rows(train_t)
    return models.two_simec(Ytr, o):predict(pattern, nil, nil, {items = Xd, users = Xt}):values()
  end
end

-- the two SimEcs with embedding size and epochs chosen by AUPR on one fold of
-- the same setting inside the training drugs and targets
local chosen = {}
local function tuned_simec(P, train_d, train_t, Ytr, pattern, setting, seed)
  local sub = {Y = Ytr, Sd = P.Sd:select_rows(train_d):select_cols(train_d),
               St = P.St:select_rows(train_t):select_cols(train_t)}
  -- a grid of one setting (--quick) has nothing to choose
  local best = #GRID.embedding * #GRID.epochs == 1 and {embedding = GRID.embedding[1], epochs = GRID.epochs[1]} or
               models.tune(GRID, function(p)
                 local r, used = cv(sub, setting, {folds = 5, seed = seed * 7}, {simec = two_simec(p)}, 1, true)
                 return used > 0 and -r.simec.aupr or 0
               end)
  chosen[#chosen + 1] = ("%d/%d"):format(best.embedding, best.epochs)
  return two_simec(best)(P, train_d, train_t, Ytr, pattern, setting)
end

-- NRLMF with its regularisation chosen per fold, as Liu et al. chose theirs
-- by cross-validation, but on the five folds of the same setting inside the
-- training drugs and targets (mean AUPR), never the test fold: lambda_d =
-- lambda_t and (alpha, beta) from a fixed grid around the shipped settings
-- (docs/results.md, "NRLMF tuned on inner folds").
local NRLMF_GRID = opts.quick and {lambda = {1 / 8, 1 / 2}, neighbours = {{1 / 4, 1 / 8}}} or
                   {lambda = {1 / 32, 1 / 8, 1 / 2}, neighbours = {{1 / 16, 1 / 32}, {1 / 4, 1 / 8}, {1, 1 / 2}}}
local nrlmf_chosen = {}
local function tuned_nrlmf(P, train_d, train_t, Ytr, pattern, setting, seed)
  local sub = {Y = Ytr, Sd = P.Sd:select_rows(train_d):select_cols(train_d),
               St = P.St:select_rows(train_t):select_cols(train_t)}
  local function settings(p)
    return {lambda_d = p.lambda, lambda_t = p.lambda, alpha = p.neighbours[1], beta = p.neighbours[2]}
  end
  local best = models.tune(NRLMF_GRID, function(p)
    local r, used = cv(sub, setting, {folds = 5, seed = seed * 7}, {nrlmf = nrlmf_with(settings(p))}, nil, true)
    return used > 0 and -r.nrlmf.aupr or 0
  end)
  nrlmf_chosen[#nrlmf_chosen + 1] = ("%g/%g/%g"):format(best.lambda, best.neighbours[1], best.neighbours[2])
  return nrlmf_with(settings(best))(P, train_d, train_t, Ytr, pattern, setting, seed)
end

-- Scores as their ranks among the pattern's pairs (tied scores share their
-- mean rank), in (0, 1]: the blend averages models whose scores live on
-- different scales
local function ranks(v)
  local r = metrics.ranks(v)
  return r / r:nrows()
end

-- A blend of KronRLS-GIP, WNN-GIP, NRLMF and the two-SimEc (its grid's
-- largest setting, 30 / 100): the mean of their score ranks with weights on
-- a declared grid (steps of 0.25 summing to 1), chosen per fold by the
-- mean AUPR over the five folds of the same setting inside the training
-- drugs and targets (those with positives and negatives to test). AUPR on
-- a handful of positives scatters that choice (NR's five inner folds hold
-- about 80), so the inner folds are drawn again with further seeds until
-- they have held out BLEND_POSITIVES positives in all, at most
-- BLEND_REPEATS times.
local BLEND_POSITIVES, BLEND_REPEATS = 500, opts.quick and 1 or 5
local BLEND_MEMBERS = {"kron", "wnn", "nrlmf", "simec"}
local BLEND_WEIGHTS = {}
for a = 0, 4 do
  for b = 0, 4 - a do
    for c = 0, 4 - a - b do BLEND_WEIGHTS[#BLEND_WEIGHTS + 1] = {a / 4, b / 4, c / 4, (4 - a - b - c) / 4} end
  end
end
local blend_chosen, blend_passes = {}, {}
local function blend(P, train_d, train_t, Ytr, pattern, setting, seed)
  local members = {kron = kronrls_gip, wnn = wnn_kronrls, nrlmf = nrlmf,
                   simec = two_simec{embedding = GRID.embedding[#GRID.embedding], epochs = GRID.epochs[#GRID.epochs]}}
  local function combined(scores, w)
    local out = scores[1] * w[1]
    for m = 2, #scores do out = out + scores[m] * w[m] end
    return out
  end
  local sub = {Y = Ytr, Sd = P.Sd:select_rows(train_d):select_cols(train_d),
               St = P.St:select_rows(train_t):select_cols(train_t)}
  local sums, used, held, passes = {}, 0, 0, 0
  for k = 1, #BLEND_WEIGHTS do sums[k] = 0 end
  repeat
    -- a training matrix too small for five inner folds has none: equal weights below
    local ok, inner = pcall(splits.cv, Ytr, setting, {folds = 5, seed = seed * 7 + 1000 * passes})
    if not ok then break end
    for _, f in ipairs(inner) do
      if f.positives > 0 and f.positives < #f.labels and f.train:nnz() > 0 then
        local sc = {}
        for m, name in ipairs(BLEND_MEMBERS) do
          sc[m] = ranks(members[name](sub, f.train_rows, f.train_cols, f.train, f.test, setting, seed + f.fold))
        end
        for k, w in ipairs(BLEND_WEIGHTS) do
          local _, aupr = metrics.auc_aupr(combined(sc, w), f.labels)
          sums[k] = sums[k] + aupr
        end
        used, held = used + 1, held + f.positives
      end
    end
    passes = passes + 1
  until held >= BLEND_POSITIVES or passes >= BLEND_REPEATS
  blend_passes[#blend_passes + 1] = passes
  -- no usable inner fold: equal weights
  local best_w, best = {0.25, 0.25, 0.25, 0.25}, -1
  if used > 0 then
    for k, w in ipairs(BLEND_WEIGHTS) do
      if sums[k] > best then best_w, best = w, sums[k] end
    end
  end
  blend_chosen[#blend_chosen + 1] = ("%g/%g/%g/%g"):format(table.unpack(best_w))
  local sc = {}
  for m, name in ipairs(BLEND_MEMBERS) do
    sc[m] = ranks(members[name](P, train_d, train_t, Ytr, pattern, setting, seed))
  end
  return combined(sc, best_w)
end

-- A side without a similarity file takes, in each fold, the GIP kernel of
-- its training interaction profiles in place of one; such a side has no
-- new members in the settings that run (a new row would have no profile).
local function with_kernels(fn)
  return function(P, train_d, train_t, Ytr, ...)
    local Q = {Y = P.Y, Sd = P.Sd or models.gip_kernel(Ytr), St = P.St or models.gip_kernel(Ytr:t())}
    return fn(Q, train_d, train_t, Ytr, ...)
  end
end

-- "a x3, b x1": how often each setting was chosen
local function tally(list)
  local counts, out = {}, {}
  for _, c in ipairs(list) do counts[c] = (counts[c] or 0) + 1 end
  for c, k in pairs(counts) do out[#out + 1] = ("%s x%d"):format(c, k) end
  table.sort(out)
  return table.concat(out, ", ")
end

-- each model's row label and function
local MODEL_ROWS = {smooth = {"similarity smoothing", smoothing}, kron = {"KronRLS-GIP", kronrls_gip},
                    wnn = {"WNN-GIP", wnn_kronrls}, nrlmf = {"NRLMF", nrlmf}, nrlmf_tuned = {"NRLMF tuned", tuned_nrlmf},
                    simec = {"two-SimEc bce+negatives", tuned_simec}, blend = {"blend(Kron, WNN, NRLMF, SimEc)", blend}}
local RUN = {}
for _, name in ipairs(MODEL_NAMES) do
  if run_model[name] then RUN[#RUN + 1] = {name, MODEL_ROWS[name][1], MODEL_ROWS[name][2]} end
end

local P = {Y = Y, Sd = d.drugs.similarity, St = d.targets.similarity}
-- why setting st does not run (nil: it runs)
local function skipped(st)
  local new_d, new_t = splits.cv_new(st[1])
  local lacking = (new_d and not P.Sd and "drug") or (new_t and not P.St and "target")
  if protocol == "liu2016" and st[1] == "T3" then
    return "both new: skipped (Liu et al.'s protocol has no both-new setting)"
  end
  if lacking then
    return ("%s: skipped (no %s similarity file: a new %s would have nothing to go by)"):format(st[2], lacking, lacking)
  end
end
-- folds the data cannot give end the run before any setting runs, not after the first
local outer = {}
for _, st in ipairs(SETTINGS) do
  local ok, folds = true, nil
  if not skipped(st) then ok, folds = pcall(splits.cv, P.Y, st[1], CV) end
  if not ok then too_many_folds(folds, st[2]) end
  outer[st[1]] = folds
end
local results = {}
for _, st in ipairs(SETTINGS) do
  chosen, blend_chosen, blend_passes, nrlmf_chosen = {}, {}, {}, {}
  local why = skipped(st)
  if why then
    io.stderr:write(why, "\n")
    goto next_setting
  end
  local fns = {}
  for _, m in ipairs(RUN) do fns[m[1]] = with_kernels(m[3]) end
  local r, used = cv(P, st[1], CV, fns, nil, nil, outer[st[1]])
  for _, m in ipairs(RUN) do
    local v = r[m[1]]
    results[#results + 1] = {scenario = st[1], setting = st[2], method = m[2], aupr = v.aupr, aupr_sd = v.aupr_sd,
                             aupr_trapz = v.aupr_trapz, aupr_trapz_sd = v.aupr_trapz_sd, auc = v.auc,
                             auc_sd = v.auc_sd, folds = used, seconds = v.seconds}
  end
  if #chosen > 0 then io.stderr:write(("%s: embedding/epochs chosen per fold: %s\n"):format(st[2], tally(chosen))) end
  if #nrlmf_chosen > 0 then
    io.stderr:write(("%s: NRLMF lambda/alpha/beta chosen per fold: %s\n"):format(st[2], tally(nrlmf_chosen)))
  end
  if #blend_chosen > 0 then
    io.stderr:write(("%s: blend weights (Kron/WNN/NRLMF/SimEc) chosen per fold: %s\n"):format(st[2],
                                                                                           tally(blend_chosen)))
    io.stderr:write(("%s: passes of the blend's inner folds per fold (until %d positives are held out): %s\n")
      :format(st[2], BLEND_POSITIVES, tally(blend_passes)))
  end
  ::next_setting::
end

-- AUPR as average precision and as the trapezoid under the PR curve (papers
-- use either; Liu et al. the trapezoid), AUC; means over the folds, and
-- with several trials the standard deviation of the trials' means
local trials = protocol == "liu2016" and #splits.LIU2016_SEEDS or 1
if trials > 1 then
  print(("%-9s %-12s %-30s %8s %8s %6s %8s %6s %6s %8s"):format("scenario", "setting", "method", "AUPR", "AUPR-tr",
                                                               "sd", "AUC", "sd", "folds", "seconds"))
else
  print(("%-9s %-12s %-30s %8s %8s %8s %6s %8s"):format("scenario", "setting", "method", "AUPR", "AUPR-tr", "AUC",
                                                       "folds", "seconds"))
end
for _, r in ipairs(results) do
  if trials > 1 then
    print(("%-9s %-12s %-30s %8.4f %8.4f %6.3f %8.4f %6.3f %6d %8.2f"):format(r.scenario, r.setting, r.method,
      r.aupr, r.aupr_trapz, r.aupr_trapz_sd, r.auc, r.auc_sd, r.folds, r.seconds))
  else
    print(("%-9s %-12s %-30s %8.4f %8.4f %8.4f %6d %8.2f"):format(r.scenario, r.setting, r.method, r.aupr,
                                                                 r.aupr_trapz, r.auc, r.folds, r.seconds))
  end
end
if opts.json then
  for _, r in ipairs(results) do r.params = {folds = r.folds, protocol = protocol} end
  require("simec.report").json(opts.json, "dti-" .. name, results,
                               {seed = protocol == "liu2016" and splits.LIU2016_SEEDS or 13})
  print("wrote " .. opts.json)
end
