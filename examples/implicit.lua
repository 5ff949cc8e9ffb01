-- Implicit feedback: MovieLens ratings turned into binary "watched"
-- interactions, split as the study's T1 (70% of the interactions train).
-- A SimEc(I) over users (sigmoid outputs, binary cross-entropy, sampled
-- negatives) against ranking by popularity, EASE (Steck 2019, the
-- closed-form item-item model), EDLAE (Steck 2020, EASE trained under
-- emphasised dropout) and iALS (Hu et al. 2008), the methods the field
-- compares with, and a blend of EASE and the SimEc; precision, recall and
-- NDCG at 10, AUC and AUPR per user, known interactions excluded from the
-- candidates. Learning rate, negatives ratio and epochs (and EASE's,
-- EDLAE's and iALS's settings, and the blend's weight) are chosen on a
-- validation split of the training interactions (NDCG@10, every 4 epochs).
-- With --protocol strong: Liang et al. 2018's strong generalisation
-- instead (ratings of 4 or more as interactions, held-out validation and
-- test users whose interactions are 80% folded in and 20% scored; Recall@20,
-- Recall@50 and NDCG@100 as in that paper), with popularity, EASE, EDLAE, iALS
-- (new users folded in) and a SimEc over the users' interaction vectors.
-- Your own interactions: --ratings FILE (user,item pairs, or
-- user,item,value lines with --columns 1,2,3; every line an interaction),
-- read as --delim, --header, --columns and --duplicates say.
--   simec examples/implicit.lua [DATA_DIR | --synthetic | --ratings FILE [--columns 1,2]] [--json FILE]
--                               [--epochs N] [--protocol holdout|strong] [--threshold V]
local data, splits = require "simec.data", require "simec.splits"
local models, metrics = require "simec.models", require "simec.metrics"

local cli = require "simec.cli"
local opts = cli.parse(arg, cli.ratings_options({json = "string", synthetic = "flag", epochs = "integer",
                             protocol = {"string", "holdout (default: the study's T1 split of the interactions) " ..
                                                   "or strong (Liang et al. 2018: held-out users)."},
                             threshold = {"number", "--protocol strong: values from this on are interactions " ..
                                                    "(default 4 on MovieLens and synthetic ratings, as Liang et " ..
                                                    "al.; every line of a --ratings file)."}},
                             "Interactions of your own: user,item pairs, or lines with a value (--columns).",
                             "USER,ITEM[,VALUE] field numbers (default 1,2,3; 1,2 for pairs)."), "implicit")
opts.epochs = opts.epochs or 12
if opts.protocol and opts.protocol ~= "holdout" and opts.protocol ~= "strong" then
  cli.fail("implicit", ("--protocol must be holdout or strong, got %s"):format(opts.protocol))
end
local threshold = opts.threshold
if threshold and opts.protocol ~= "strong" then
  cli.fail("implicit", "--threshold applies to --protocol strong (the holdout protocol counts every line)")
end
if threshold == nil and not opts.ratings then threshold = 4 end
local ds = cli.dataset(opts, {items = 1682, users = 943, ratings = 100000, seed = 13})

-- The grids both protocols choose from, declared here before any run
local EASE_LAMBDAS = {50, 100, 200, 500, 1000, 2000}
local EDLAE_GRID = {lambda = EASE_LAMBDAS, dropout = {0, 0.1, 0.25, 0.33, 0.5, 0.67}}
local IALS_GRID = {alpha = {10, 40}, lambda = {1, 10}}
local SIMEC_GRID = {lr = {0.002, 0.01}, negatives = {1, 4}}

-- iALS at setting p: 64 factors, 10 sweeps
local function ials(X, p)
  return models.ials(X, {alpha = p.alpha, lambda = p.lambda, k = 64, iterations = 10, seed = 13})
end

-- The SimEc both protocols fit to T (users x items, 0/1): with X (users x
-- items) as its input, else with identity input over T's rows; sigmoid
-- outputs, binary cross-entropy, p.negatives sampled negatives per
-- interaction, Adam at p.lr
local function simec_fit(X, T, p, epochs, on_epoch)
  local m = SimEc.new{input = X and X:ncols() or "identity", rows = not X and T:nrows() or nil, embedding = 64,
                      output = T:ncols(), missing = "mask", ll_activation = "sigmoid", loss = "bce",
                      l2_reg_emb = 1e-6, optimizer = {"adam", lr = p.lr}, seed = 28}
  m:fit(X, T, {epochs = epochs, verbose = false, seed = 13, negatives = p.negatives,
               on_epoch = on_epoch and function(e) return on_epoch(m, e) end})
  return m
end

-- SIMEC_GRID's setting and epoch with the lowest loss(m) on validation,
-- scored every 4th epoch and at the last (the ranking metrics are the
-- slow part)
local function tune_simec(X, T, loss)
  return models.tune(SIMEC_GRID, function(p)
    local best, best_epoch = math.huge, 0
    simec_fit(X, T, p, opts.epochs, function(m, e)
      if e % 4 ~= 0 and e ~= opts.epochs then return end
      local v = loss(m)
      if v < best then best, best_epoch = v, e end
    end)
    return best, {epochs = best_epoch}
  end)
end

-- Liang et al. 2018's protocol: every model fitted to the training users,
-- settings chosen by NDCG@100 on the validation users, scored once on the
-- test users (their fold-in interactions excluded from the candidates)
local function strong()
  local s = splits.strong(ds.ratings, {threshold = threshold, seed = 13})
  local K = {20, 50, 100}
  print(("%s: %d items (of the training users), %d training users, %d validation and %d test users (their " ..
         "interactions 80%% folded in, 20%% scored); %s; seed 13"):format(ds.name, #s.items, #s.train_users,
         #s.val_users, #s.test_users, threshold and ("values of %g or more"):format(threshold) or "every line"))
  local function score(S, part) return metrics.ranking(S, s[part .. "_out"], {k = K, exclude = s[part .. "_in"]}) end
  local function val(S) return -score(S, "val")["ndcg@100"] end
  local results = {}
  local function add(method, fn, t, params)
    local r = score(fn("test"), "test")
    r.scenario, r.method, r.seconds, r.params = "strong", method, simec.clock() - t, params or {}
    results[#results + 1] = r
  end
  local t = simec.clock()
  local counts = s.train:col_sums() -- 1 x items
  add("popularity", function(part) return matrix.ones(s[part .. "_in"]:nrows(), 1) * counts end, t)

  t = simec.clock()
  local ease_best = models.tune({lambda = EASE_LAMBDAS}, function(p)
    return val(models.ease(s.train, p):scores(s.val_in))
  end)
  local ease = models.ease(s.train, ease_best)
  add("EASE", function(part) return ease:scores(s[part .. "_in"]) end, t, ease_best)

  t = simec.clock()
  local edlae_best = models.tune(EDLAE_GRID, function(p) return val(models.ease(s.train, p):scores(s.val_in)) end)
  local edlae = models.ease(s.train, edlae_best)
  add("EDLAE", function(part) return edlae:scores(s[part .. "_in"]) end, t, edlae_best)

  t = simec.clock()
  local ials_best = models.tune(IALS_GRID, function(p) return val(ials(s.train, p):scores(s.val_in)) end)
  local im = ials(s.train, ials_best)
  add("iALS", function(part) return im:scores(s[part .. "_in"]) end, t, ials_best)

  -- a SimEc from a user's interactions (as input features) to all items:
  -- trained on the training users' whole rows, it scores a new user from
  -- her fold-in items alone
  t = simec.clock()
  local simec_best = tune_simec(s.train, s.train, function(m) return val(m:predict(s.val_in)) end)
  local sm = simec_fit(s.train, s.train, simec_best, simec_best.epochs)
  add("SimEc(X) of the user's items", function(part) return sm:predict(s[part .. "_in"]) end, t,
      {lr = simec_best.lr, negatives = simec_best.negatives, epochs = simec_best.epochs, embedding = 64})
  io.stderr:write(("chose EASE lambda %g; EDLAE lambda %g, dropout %g; iALS alpha %g, lambda %g; SimEc lr %g, " ..
                   "%g negatives, %d epochs (NDCG@100 of the validation users)\n"):format(ease_best.lambda,
                   edlae_best.lambda, edlae_best.dropout, ials_best.alpha, ials_best.lambda, simec_best.lr,
                   simec_best.negatives, simec_best.epochs))
  print(("%-30s %10s %10s %10s %8s"):format("method", "Recall@20", "Recall@50", "NDCG@100", "seconds"))
  for _, r in ipairs(results) do
    print(("%-30s %10.4f %10.4f %10.4f %8.2f"):format(r.method, r["nrecall@20"], r["nrecall@50"], r["ndcg@100"],
                                                   r.seconds))
  end
  print(("(%d test users scored; Recall@k = hits in the top k / min(k, held-out interactions), Liang et al.'s)")
    :format(results[1].rows))
  if opts.json then
    require("simec.report").json(opts.json, ds.name, results, {seed = 13, protocol = "strong (Liang et al. 2018)"})
    print("wrote " .. opts.json)
  end
end
if opts.protocol == "strong" then
  strong()
  return
end
local B = ds.ratings:map(function() return 1 end)
print(("%s: %d users x %d items, %d interactions (%s); no features; split seed 13 (T1, 70/30)")
  :format(ds.name, B:ncols(), B:nrows(), B:nnz(), opts.ratings and "every line" or "the ratings as 0/1"))

-- users x items scores of popularity: each item's number of train interactions
local function popularity(train)
  local counts = train:row_sums() -- items x 1
  return matrix.ones(train:ncols(), 1) * counts:t()
end

local s = splits.split(B, "T1", {order = ds.order, seed = 13})
local inner = splits.split(s.train, "T1", {seed = 13})
-- users x items, as the rankings and the item models read them
local train_ui, test_ui = s.train:t(), s.test:t()
local inner_train_ui, inner_test_ui = inner.train:t(), inner.test:t()
local t0 = simec.clock()
local best = tune_simec(nil, inner_train_ui, function(m)
  return -metrics.ranking(m:predict(), inner_test_ui, {k = 10, exclude = inner_train_ui})["ndcg@10"]
end)
local tune_s = simec.clock() - t0
io.stderr:write(("chose lr %g, %g negatives per interaction, %d epochs on the validation split (%.1fs)\n")
  :format(best.lr, best.negatives, best.epochs, tune_s))

-- EASE's lambda, chosen on the same validation split
t0 = simec.clock()
local ease_best = models.tune({lambda = EASE_LAMBDAS}, function(p)
  local e = models.ease(inner_train_ui, p)
  return -metrics.ranking(e:scores(inner_train_ui), inner_test_ui, {k = 10, exclude = inner_train_ui})["ndcg@10"]
end)
io.stderr:write(("chose EASE lambda %g on the validation split (%.1fs)\n"):format(ease_best.lambda,
                                                                                 simec.clock() - t0))

-- EDLAE's lambda and dropout, likewise
t0 = simec.clock()
local edlae_best = models.tune(EDLAE_GRID, function(p)
  local e = models.ease(inner_train_ui, p)
  return -metrics.ranking(e:scores(inner_train_ui), inner_test_ui, {k = 10, exclude = inner_train_ui})["ndcg@10"]
end)
io.stderr:write(("chose EDLAE lambda %g, dropout %g on the validation split (%.1fs)\n"):format(edlae_best.lambda,
                edlae_best.dropout, simec.clock() - t0))

-- iALS's confidence weight and penalty, likewise (64 factors, 10 sweeps)
t0 = simec.clock()
local ials_best = models.tune(IALS_GRID, function(p)
  return -metrics.ranking(ials(inner_train_ui, p):scores(), inner_test_ui,
                          {k = 10, exclude = inner_train_ui})["ndcg@10"]
end)
io.stderr:write(("chose iALS alpha %g, lambda %g on the validation split (%.1fs)\n"):format(ials_best.alpha,
                                                                                          ials_best.lambda,
                                                                                          simec.clock() - t0))

local results = {}
local function add(method, scores, t, params)
  local r = metrics.ranking(scores, test_ui, {k = 10, exclude = train_ui})
  r.scenario, r.method, r.seconds, r.params = "T1", method, simec.clock() - t, params or {}
  results[#results + 1] = r
  r.scores = scores -- for the blend; not written to the JSON
end
local t = simec.clock()
add("popularity", popularity(s.train), t)
t = simec.clock()
local m = simec_fit(nil, train_ui, best, best.epochs)
add("SimEc(I) bce+negatives", m:predict(), t, {lr = best.lr, negatives = best.negatives, epochs = best.epochs,
                                               embedding = 64})
t = simec.clock()
add("EASE", models.ease(train_ui, ease_best):scores(train_ui), t, {lambda = ease_best.lambda})
t = simec.clock()
add("iALS", ials(train_ui, ials_best):scores(), t, {alpha = ials_best.alpha, lambda = ials_best.lambda})
t = simec.clock()
add("EDLAE", models.ease(train_ui, edlae_best):scores(train_ui), t, {lambda = edlae_best.lambda,
                                                                    dropout = edlae_best.dropout})

-- A blend of EASE and the SimEc(I): each user's scores standardised (mean
-- 0, sd 1 over the items), then w x EASE + (1 - w) x SimEc with w from a
-- declared grid, chosen by NDCG@10 on the validation split with both
-- models fitted to its training part as above
local BLEND_W = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}
local function standardised(S)
  local n = S:ncols()
  local mean = S:sum(2) / n
  local C = S - mean
  local sd = (C:mul(C):sum(2) / n):apply("sqrt"):maximum(1e-12)
  return C:div(sd)
end
t = simec.clock()
local v_ease = standardised(models.ease(inner_train_ui, ease_best):scores(inner_train_ui))
local v_simec = standardised(simec_fit(nil, inner_train_ui, best, best.epochs):predict())
local blend_best = models.tune({w = BLEND_W}, function(p)
  return -metrics.ranking(v_ease * p.w + v_simec * (1 - p.w), inner_test_ui,
                          {k = 10, exclude = inner_train_ui})["ndcg@10"]
end)
io.stderr:write(("chose the blend's EASE weight %g on the validation split (%.1fs)\n"):format(blend_best.w,
                                                                                          simec.clock() - t))
t = simec.clock()
add("blend(EASE, SimEc(I))", standardised(results[3].scores) * blend_best.w +
    standardised(results[2].scores) * (1 - blend_best.w), t, {w = blend_best.w})

print(("%-24s %8s %8s %8s %8s %8s %8s"):format("method", "p@10", "r@10", "ndcg@10", "auc", "aupr", "seconds"))
for _, r in ipairs(results) do
  print(("%-24s %8.4f %8.4f %8.4f %8.4f %8.4f %8.2f"):format(r.method, r["p@10"], r["r@10"], r["ndcg@10"], r.auc,
                                                            r.aupr, r.seconds))
end

if opts.json then
  for _, r in ipairs(results) do r.scores = nil end
  require("simec.report").json(opts.json, ds.name, results, {seed = 13})
  print("wrote " .. opts.json)
end
