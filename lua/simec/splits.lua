-- The study's train/test splits, with NumPy-identical permutations.
--   s = splits.split(R, "T2a", {seed = 13, order = ml.order})
-- Protocol: item ids and user ids sorted as strings; one rng.new(seed)
-- permutes the items, then the users, then the list of ratings (in file
-- order when opts.order gives it, else in the matrix's row-major order).
-- T1: the first 70% of the permuted ratings train; T2a: the first 70% of
-- the permuted items are train items (every rating of another item is
-- test); T2b: the same with 70% of users; T3: 85% of items and 80% of users
-- train, a rating is test when its item or its user is not a train one.
-- A fraction f of n elements trains floor(f * n) of them. With opts.fold =
-- k and opts.folds = K (T2a, T2b, T3) each new side holds out instead the
-- k-th block of its permuted order, of n / K elements or of the scenario's
-- share where that is smaller (T3's items, 15%): the K folds of one seed
-- hold out disjoint sets, together every item or user of a side whose
-- blocks are n / K (cross-validation).
local simec = require "simec"
local rec = require "simec.rec"
local rng, sparse = simec.rng, simec.sparse
local splits = {}

local DEFAULTS = {T1 = {pairs = 0.7}, T2a = {items = 0.7}, T2b = {users = 0.7}, T3 = {items = 0.85, users = 0.8}}

local function fraction(opts, key, default)
  local f = opts[key] or default
  if type(f) ~= "number" or not (f > 0 and f < 1) then
    error(("splits: %s must be in (0, 1), got %s"):format(key, tostring(f)), 3)
  end
  return f
end

-- indices 1..n ordered by their labels compared as strings
local function sorted_by_label(labels, n)
  local idx = {}
  for i = 1, n do idx[i] = i end
  if labels then table.sort(idx, function(a, b) return labels[a] < labels[b] end) end
  return idx
end

-- map (full index -> train index, 0 if held out), train list (train index
-- -> full index) and held-out list when positions from+1..to of the
-- permuted sorted order are held out and the rest train in that order
local function held_out_map(sorted, perm, n, from, to)
  local map, list, held = {}, {}, {}
  for i = 1, n do map[i] = 0 end
  for p = 1, n do
    local full = sorted[perm[p]]
    if p > from and p <= to then held[#held + 1] = full else list[#list + 1] = full; map[full] = #list end
  end
  return map, list, held
end

-- the positions a split holds out of a side of n: the last 1 - fraction of
-- them, or with opts.fold the fold-th of consecutive blocks of n / folds,
-- or of as many as the scenario's split holds out where that is fewer
-- (T3's items: a fold then holds out items and users in the scenario's
-- proportion). The folds of one seed are disjoint; blocks of n / folds hold
-- out every element once.
local function held_out_block(opts, key, default, n)
  if not opts.fold then return math.floor(fraction(opts, key, default) * n), n end
  local k, folds = opts.fold, opts.folds
  local from, to = (k - 1) * n // folds, k * n // folds
  local share = n - math.floor(default * n)
  if share * folds < n then from, to = math.min(n, (k - 1) * share), math.min(n, k * share) end
  if from == to then
    error(("splits.split: fold %d of %d holds out no %s (%d of them)"):format(k, folds, key, n), 3)
  end
  return from, to
end

local function check_fold(opts, def, scenario)
  if opts.fold == nil and opts.folds == nil then return end
  if def.pairs then
    error(("splits.split: folds hold out new items or users (T2a, T2b, T3), not %s's ratings"):format(scenario), 3)
  end
  if opts.items or opts.users then error("splits.split: give fractions (items, users) or a fold, not both", 3) end
  local k, n = opts.fold, opts.folds
  if math.type(n) ~= "integer" or n < 1 then
    error(("splits.split: folds must be a positive integer, got %s"):format(tostring(n)), 3)
  end
  if math.type(k) ~= "integer" or k < 1 or k > n then
    error(("splits.split: fold must be an integer from 1 to %d, got %s"):format(n, tostring(k)), 3)
  end
end

local count = require("simec.data").thousands

-- What a split table prints as in the REPL:
--   split T2a: 67,431 train / 32,569 test ratings; 1,345 train items, 337 new items; 943 users
local Split = require("simec.help").shape{__name = "split"}
Split.__tostring = function(s)
  local parts = {}
  for _, side in ipairs{{"items", s.train_items, s.test_items}, {"users", s.train_users, s.test_users}} do
    local name, train, new = side[1], side[2] or {}, side[3] or {}
    parts[#parts + 1] = #new > 0 and ("%s train %s, %s new %s"):format(count(#train), name, count(#new), name)
                        or ("%s %s"):format(count(#train), name)
  end
  local what = s.given and " (given)" or s.scenario and s.fold and (" (fold %d of %d)"):format(s.fold, s.folds) or ""
  return ("split %s%s: %s train / %s test ratings; %s"):format(s.scenario or ("fold " .. tostring(s.fold)), what,
    count(s.train:nnz()), count(s.test:nnz()), table.concat(parts, "; "))
end

local function identity(n)
  local m = {}
  for i = 1, n do m[i] = i end
  return m
end

function splits.split(R, scenario, opts)
  opts = opts or {}
  local def = DEFAULTS[scenario]
  if not def then
    error(("splits.split: unknown scenario '%s' (T1, T2a, T2b or T3)"):format(tostring(scenario)), 2)
  end
  check_fold(opts, def, scenario)
  local nitems, nusers = R:shape()
  local g = rng.new(opts.seed or 13)
  local item_sorted = sorted_by_label(R:row_labels(), nitems)
  local user_sorted = sorted_by_label(R:col_labels(), nusers)
  local item_perm, user_perm = g:permutation(nitems), g:permutation(nusers)
  local s = {scenario = scenario, seed = opts.seed or 13, fold = opts.fold, folds = opts.folds}
  local row_map, col_map = identity(nitems), identity(nusers)
  local ntr_items, ntr_users = nitems, nusers
  local train_items, train_users = row_map, col_map
  local pairs_opts
  if def.items then
    local from, to = held_out_block(opts, "items", def.items, nitems)
    row_map, train_items = held_out_map(item_sorted, item_perm, nitems, from, to)
    ntr_items = #train_items
  end
  if def.users then
    local from, to = held_out_block(opts, "users", def.users, nusers)
    col_map, train_users = held_out_map(user_sorted, user_perm, nusers, from, to)
    ntr_users = #train_users
  end
  if def.pairs then
    local nlines = opts.order and opts.order:nrows() or R:nnz()
    local ntrain = math.floor(fraction(opts, "pairs", def.pairs) * nlines)
    pairs_opts = {rng = g, order = opts.order, test_from = ntrain, test_to = nlines}
  end
  if ntr_items == 0 or ntr_users == 0 then
    error(("splits.split: empty train set (%d train items, %d train users)"):format(ntr_items, ntr_users), 2)
  end
  s.train, s.test = rec.split(R, row_map, ntr_items, col_map, ntr_users, pairs_opts)
  if s.train:nnz() == 0 then error("splits.split: empty train set (no training ratings)", 2) end
  s.row_map, s.col_map = row_map, col_map         -- full index -> train index (0: new)
  s.train_items, s.train_users = train_items, train_users -- train index -> full index
  local function new(map, n)
    local t = {}
    for i = 1, n do if map[i] == 0 then t[#t + 1] = i end end
    return t
  end
  s.test_items, s.test_users = new(row_map, nitems), new(col_map, nusers)
  s.item_perm, s.user_perm = item_perm, user_perm
  s.item_sorted, s.user_sorted = item_sorted, user_sorted
  return setmetatable(s, Split)
end

-- A split given as two labelled rating matrices (e.g. ml-100k's u1.base and
-- u1.test), as a T1 split table. The full space is item_ids x user_ids (the
-- data set's, so its features line up), or, without them, the train ids
-- followed by the ids only the test set has. Test ratings of items or users
-- without training ratings keep map 0: models predict them as new ones. A
-- test rating of a pair the training set also rates is an error: scored,
-- it would measure the fit, not the prediction.
--   s = splits.given(train, test [, item_ids, user_ids])
function splits.given(train, test, item_ids, user_ids)
  local function full_ids(a, b, given, what)
    if given then return given end
    local out, seen = {}, {}
    for _, list in ipairs{a, b} do
      for _, id in ipairs(list) do
        if not seen[id] then seen[id] = true; out[#out + 1] = id end
      end
    end
    return out
  end
  local tr_items, tr_users, te_items, te_users = train:row_labels(), train:col_labels(), test:row_labels(),
                                                 test:col_labels()
  if not (tr_items and tr_users and te_items and te_users) then
    error("splits.given: train and test must be labelled (read with sparse.read)", 2)
  end
  item_ids, user_ids = full_ids(tr_items, te_items, item_ids), full_ids(tr_users, te_users, user_ids)
  local function maps(full, tr, side, which)
    local index = {}
    for i, id in ipairs(full) do index[id] = i end
    local map, list = {}, {}
    for i = 1, #full do map[i] = 0 end
    for k, id in ipairs(tr) do
      local i = index[id] or error(("splits.given: %s %s of the %s set is not in the data set's %ss"):format(side,
                                   id, which, side), 3)
      map[i], list[k] = k, i
    end
    return map, list, index
  end
  local row_map, train_items, iindex = maps(item_ids, tr_items, "item", "training")
  local col_map, train_users, uindex = maps(user_ids, tr_users, "user", "training")
  -- the test ratings in the full space, and how many rate a pair the
  -- training set rates too (its row's columns read once per test row)
  -- test ratings of an item or user the training set lacks (cold): the models predict them as new ones
  local I, J, V, n = {}, {}, {}, 0
  local shared, first, row, cols, cold = 0, nil, nil, nil, 0
  for r, c, v in test:triplets() do
    n = n + 1
    I[n] = iindex[te_items[r]] or error(("splits.given: item %s of the test set is not in the data set's items")
                                        :format(te_items[r]), 2)
    J[n] = uindex[te_users[c]] or error(("splits.given: user %s of the test set is not in the data set's users")
                                        :format(te_users[c]), 2)
    V[n] = v
    if row_map[I[n]] == 0 or col_map[J[n]] == 0 then cold = cold + 1 end
    if r ~= row then
      row, cols = r, {}
      if row_map[I[n]] > 0 then
        local idx = train:row(row_map[I[n]])
        for q = 1, idx:nrows() do cols[idx:get(q, 1)] = true end
      end
    end
    if cols[col_map[J[n]]] then
      shared = shared + 1
      first = first or ("item %s, user %s"):format(te_items[r], te_users[c])
    end
  end
  if shared > 0 then
    error(("splits.given: %d of the test set's %d ratings rate a pair the training set rates too (first: %s); a " ..
           "test set must hold other pairs"):format(shared, test:nnz(), first), 2)
  end
  local s = {scenario = "T1", given = true, train = train,
             test = sparse.from_triplets(I, J, V, {rows = #item_ids, cols = #user_ids, duplicates = "error"}),
             row_map = row_map, col_map = col_map, train_items = train_items, train_users = train_users,
             item_ids = item_ids, user_ids = user_ids}
  local function new(map)
    local t = {}
    for i = 1, #map do if map[i] == 0 then t[#t + 1] = i end end
    return t
  end
  s.test_items, s.test_users = new(row_map), new(col_map)
  s.cold_ratings = cold
  return setmetatable(s, Split)
end

-- A uniform sample of n of R's ratings (all of them when R has no more),
-- in R's shape and labels: the ratings are permuted with rng.new(seed) as
-- a T1 split permutes them and the first n are kept.
function splits.sample(R, n, seed)
  if math.type(n) ~= "integer" or n < 1 then
    error(("splits.sample: n must be a positive integer, got %s"):format(tostring(n)), 2)
  end
  if n >= R:nnz() then return R end
  local nitems, nusers = R:shape()
  local kept = rec.split(R, identity(nitems), nitems, identity(nusers), nusers,
                         {rng = rng.new(seed or 13), test_from = n, test_to = R:nnz()})
  return kept
end

-- Whole columns (users) of R, drawn in the order of a permutation by
-- rng.new(seed) until they hold at least n ratings: every kept user keeps
-- all her ratings, so a user's row is as dense as in R (a uniform sample of
-- ratings would thin every row), and the matrix is narrower, which is what
-- the zero-filled models' cost follows. Returns the columns (in R's order,
-- with their labels) and their indices in R; R itself and nil when it has
-- no more than n ratings.
function splits.sample_users(R, n, seed)
  if math.type(n) ~= "integer" or n < 1 then
    error(("splits.sample_users: n must be a positive integer, got %s"):format(tostring(n)), 2)
  end
  if n >= R:nnz() then return R, nil end
  local counts = R:col_counts()
  local keep, total = {}, 0
  for _, j in ipairs(rng.new(seed or 13):permutation(R:ncols())) do
    if total >= n then break end
    keep[#keep + 1] = j
    total = total + counts:get(1, j)
  end
  table.sort(keep)
  return R:select_cols(keep), keep
end

-- The strong-generalisation protocol of Liang et al. 2018 (variational
-- autoencoders for collaborative filtering) on R (items x users, values the
-- ratings): interactions are the entries >= opts.threshold (every entry
-- without it); users with fewer than min_items (5) of them are dropped; the
-- users are permuted with rng.new(seed) and the last 2 h held out (h =
-- heldout_users, default min(10000, a tenth of the users): the ML-20M
-- setting), the first h of those for validation, the rest for test; items
-- without a training user's interaction are dropped; each held-out user's
-- interactions are split at random (the same generator, user by user):
-- floor(holdout x n) of her n (holdout 0.2) held out when she has at least
-- min_items, the rest (all of them otherwise) to fold in. Matrices are
-- users x items (0/1): train, val_in, val_out, test_in, test_out; items,
-- train_users, val_users, test_users index R's rows and columns.
function splits.strong(R, opts)
  opts = opts or {}
  local min_items, holdout, threshold = opts.min_items or 5, opts.holdout or 0.2, opts.threshold
  if math.type(min_items) ~= "integer" or min_items < 1 then
    error(("splits.strong: min_items must be a positive integer, got %s"):format(tostring(min_items)), 2)
  end
  if type(holdout) ~= "number" or not (holdout > 0 and holdout < 1) then
    error(("splits.strong: holdout must be in (0, 1), got %s"):format(tostring(holdout)), 2)
  end
  if threshold ~= nil and type(threshold) ~= "number" then
    error(("splits.strong: threshold must be a number, got %s"):format(tostring(threshold)), 2)
  end
  local nitems, nusers = R:shape()
  local per_user, count = {}, {}
  for i, j, v in R:triplets() do
    if threshold == nil or v >= threshold then
      local t = per_user[j]
      if not t then t = {}; per_user[j] = t end
      t[#t + 1] = i
    end
  end
  local kept = {}
  for j = 1, nusers do
    count[j] = per_user[j] and #per_user[j] or 0
    if count[j] >= min_items then kept[#kept + 1] = j end
  end
  local h = opts.heldout_users or math.min(10000, #kept // 10)
  if math.type(h) ~= "integer" or h < 1 or 2 * h >= #kept then
    error(("splits.strong: heldout_users must be an integer in 1..%d (%d users have %d or more interactions), got %s")
      :format(math.max(1, (#kept - 1) // 2), #kept, min_items, tostring(h)), 2)
  end
  local g = rng.new(opts.seed or 13)
  local perm = g:permutation(#kept)
  local s = {train_users = {}, val_users = {}, test_users = {}, heldout_users = h, holdout = holdout,
             min_items = min_items, threshold = threshold, seed = opts.seed or 13}
  for p = 1, #kept do
    local list = p <= #kept - 2 * h and s.train_users or p <= #kept - h and s.val_users or s.test_users
    list[#list + 1] = kept[perm[p]]
  end
  -- items: those a training user has, in R's order
  local has, col = {}, {}
  for _, j in ipairs(s.train_users) do
    for _, i in ipairs(per_user[j]) do has[i] = true end
  end
  s.items = {}
  for i = 1, nitems do if has[i] then s.items[#s.items + 1] = i; col[i] = #s.items end end
  local function build(rows)
    local I, J = {}, {}
    for r, t in ipairs(rows) do
      for _, i in ipairs(t) do I[#I + 1], J[#J + 1] = r, col[i] end
    end
    return sparse.from_triplets(I, J, 1, {rows = #rows, cols = #s.items})
  end
  local tr = {}
  for r, j in ipairs(s.train_users) do tr[r] = per_user[j] end
  s.train = build(tr)
  for _, part in ipairs{"val", "test"} do
    local fin, fout = {}, {}
    for r, j in ipairs(s[part .. "_users"]) do
      local items = {}
      for _, i in ipairs(per_user[j]) do if col[i] then items[#items + 1] = i end end
      local out = {}
      if #items >= min_items then
        local order = g:permutation(#items)
        local n_out = math.floor(holdout * #items)
        for q = 1, n_out do out[order[q]] = true end
      end
      fin[r], fout[r] = {}, {}
      for q, i in ipairs(items) do
        local t = out[q] and fout[r] or fin[r]
        t[#t + 1] = i
      end
    end
    s[part .. "_in"], s[part .. "_out"] = build(fin), build(fout)
  end
  return s
end

-- k folds over "ratings" (default), "items" or "users"; each fold is a
-- split table as above (test = fold f). Permutations come from rng.new(seed).
function splits.kfold(R, k, opts)
  opts = opts or {}
  local over = opts.over or "ratings"
  if math.type(k) ~= "integer" or k < 2 then error(("splits.kfold: k must be an integer >= 2, got %s"):format(tostring(k)), 2) end
  local nitems, nusers = R:shape()
  local seed = opts.seed or 13
  local folds = {}
  if over == "ratings" then
    local nlines = opts.order and opts.order:nrows() or R:nnz()
    if k > nlines then error(("splits.kfold: k = %d exceeds the %d ratings"):format(k, nlines), 2) end
    for f = 1, k do
      local from, to = (f - 1) * nlines // k, f * nlines // k
      local s = {fold = f, over = over}
      s.train, s.test = rec.split(R, identity(nitems), nitems, identity(nusers), nusers,
                                  {rng = rng.new(seed), order = opts.order, test_from = from, test_to = to})
      s.row_map, s.col_map = identity(nitems), identity(nusers)
      s.test_items, s.test_users = {}, {}
      folds[f] = s
    end
  elseif over == "items" or over == "users" then
    local n = over == "items" and nitems or nusers
    if k > n then error(("splits.kfold: k = %d exceeds the %d %s"):format(k, n, over), 2) end
    local sorted = sorted_by_label(over == "items" and R:row_labels() or R:col_labels(), n)
    local perm = rng.new(seed):permutation(n)
    for f = 1, k do
      local map, list, test = held_out_map(sorted, perm, n, (f - 1) * n // k, f * n // k)
      local s = {fold = f, over = over}
      if over == "items" then
        s.row_map, s.col_map, s.train_items, s.test_items, s.test_users = map, identity(nusers), list, test, {}
        s.train, s.test = rec.split(R, map, #list, s.col_map, nusers)
      else
        s.row_map, s.col_map, s.train_users, s.test_users, s.test_items = identity(nitems), map, list, test, {}
        s.train, s.test = rec.split(R, s.row_map, nitems, map, #list)
      end
      folds[f] = s
    end
  else
    error(("splits.kfold: over must be \"ratings\", \"items\" or \"users\", got %s"):format(tostring(over)), 2)
  end
  return folds
end

-- Cross-validation folds of an interaction matrix Y (rows x columns, 0/1)
-- in the settings of Liu et al. 2016 and Pahikkala et al.: "pairs" (CVS1:
-- a fold of the pairs is tested), "rows" (CVS2: new rows, all their
-- pairs), "cols" (CVS3: new columns), "both" (a fold of rows and a fold of
-- columns, only their pairs tested); T1, T2a, T2b, T3 name them too. Trial
-- t draws its permutations from seed + 100 (t - 1) (rows from that seed,
-- columns +1, pairs +2); with opts.seeds, trial t is Liu et al.'s folds
-- for seeds[t] instead. Each fold: {trial, seed, fold, train_rows, train_cols
-- (lists of indices), train (sparse, train_rows x train_cols: the training
-- interactions), test (sparse, Y's shape: the tested pairs, 1 each),
-- labels (Y at test's entries, in its order), positives}.
local CV_SETTINGS = {pairs = "pairs", rows = "rows", cols = "cols", both = "both", T1 = "pairs", T2a = "rows",
                     T2b = "cols", T3 = "both"}

-- Whether a setting's folds hold out whole rows and whole columns (new
-- members on that side): the one place that says so, for splits.cv and
-- for models that treat a side with new members differently.
-- (level: where the error is reported, counted from here)
local function new_sides(setting, level)
  local kind = CV_SETTINGS[setting] or
               error(("splits.cv: setting must be pairs, rows, cols or both (or T1, T2a, T2b, T3), got %s")
                     :format(tostring(setting)), level)
  return kind == "rows" or kind == "both", kind == "cols" or kind == "both", kind
end
function splits.cv_new(setting)
  local new_r, new_c, kind = new_sides(setting, 3) -- not a tail call: level 3 is the caller
  return new_r, new_c, kind
end

local function cv_folds_of(n, k, seed)
  local perm, f = rng.new(seed):permutation(n), {}
  for p = 1, n do f[perm[p]] = (p - 1) * k // n + 1 end
  return f
end

-- The folds of Liu et al.'s code (PyDTI's cross_validation) for one trial
-- seed: one permutation of the n items (pairs in row-major order, or rows,
-- or columns), cut in k slices of n // k, the last taking the rest
local function liu_folds_of(n, k, seed)
  local perm, f, step = rng.new(seed):permutation(n), {}, n // k
  for p = 1, n do f[perm[p]] = math.min((p - 1) // step + 1, k) end
  return f
end

-- the published trial seeds of Liu et al. 2016 (NRLMF; PyDTI), for figures
-- comparable with the literature's tables
splits.LIU2016_SEEDS = {7771, 8367, 22, 1812, 4659}

function splits.cv(Y, setting, opts)
  if not sparse.is(Y) then error(("splits.cv: Y must be a sparse matrix, got %s"):format(type(Y)), 2) end
  local new_r, new_c, kind = new_sides(setting, 3)
  opts = opts or {}
  local k, trials, seed, seeds = opts.folds or 10, opts.trials or 1, opts.seed or 13, opts.seeds
  local nr, nc = Y:shape()
  for name, v in pairs{folds = k, trials = trials, seed = seed} do
    if math.type(v) ~= "integer" or v < 1 then
      error(("splits.cv: %s must be a positive integer, got %s"):format(name, tostring(v)), 2)
    end
  end
  if seeds ~= nil then
    if type(seeds) ~= "table" or #seeds == 0 then
      error(("splits.cv: seeds must be a list of trial seeds, got %s"):format(type(seeds)), 2)
    end
    for i, v in ipairs(seeds) do
      if math.type(v) ~= "integer" or v < 0 or v > 0xffffffff then
        error(("splits.cv: seeds[%d] must be an integer in 0..2^32-1, got %s"):format(i, tostring(v)), 2)
      end
    end
    if kind == "both" then error("splits.cv: seeds (Liu et al.'s folds) cover pairs, rows and cols only", 2) end
    if opts.trials or opts.seed then error("splits.cv: seeds replaces trials and seed; give one or the other", 2) end
    trials = #seeds
  end
  if k < 2 or k > (kind == "pairs" and nr * nc or kind == "cols" and nc or kind == "rows" and nr or math.min(nr, nc)) then
    error(("splits.cv: %d folds for a %dx%d matrix in the %s setting"):format(k, nr, nc, kind), 2)
  end
  local out = {}
  for t = 1, trials do
    local s = seed + 100 * (t - 1)
    local rf, cf, pf
    if seeds then -- only the setting's own permutation is drawn, as in Liu et al.'s code
      rf = kind == "rows" and liu_folds_of(nr, k, seeds[t]) or {}
      cf = kind == "cols" and liu_folds_of(nc, k, seeds[t]) or {}
      pf = kind == "pairs" and liu_folds_of(nr * nc, k, seeds[t]) or {}
    else
      rf, cf, pf = cv_folds_of(nr, k, s), cv_folds_of(nc, k, s + 1), cv_folds_of(nr * nc, k, s + 2)
    end
    for f = 1, k do
      local function tested(a, b)
        if kind == "pairs" then return pf[(a - 1) * nc + b] == f end
        return (not new_r or rf[a] == f) and (not new_c or cf[b] == f)
      end
      local train_rows, train_cols, rmap, cmap = {}, {}, {}, {}
      for a = 1, nr do if not (new_r and rf[a] == f) then train_rows[#train_rows + 1] = a; rmap[a] = #train_rows end end
      for b = 1, nc do if not (new_c and cf[b] == f) then train_cols[#train_cols + 1] = b; cmap[b] = #train_cols end end
      local ti, tj = {}, {}
      for a = 1, nr do
        for b = 1, nc do if tested(a, b) then ti[#ti + 1], tj[#tj + 1] = a, b end end
      end
      local ri, ci = {}, {}
      for a, b in Y:triplets() do
        if rmap[a] and cmap[b] and not tested(a, b) then ri[#ri + 1], ci[#ci + 1] = rmap[a], cmap[b] end
      end
      local test = sparse.from_triplets(ti, tj, 1, {rows = nr, cols = nc})
      local labels, positives = {}, 0
      for a, b in test:triplets() do
        labels[#labels + 1] = Y:get(a, b)
        positives = positives + labels[#labels]
      end
      out[#out + 1] = {trial = t, seed = seeds and seeds[t] or s, fold = f, train_rows = train_rows,
                       train_cols = train_cols,
                       train = sparse.from_triplets(ri, ci, 1, {rows = #train_rows, cols = #train_cols}),
                       test = test, labels = labels, positives = positives}
    end
  end
  return out
end

require("simec.help").add{
  "splits", "The study's train/test splits of a ratings matrix for T1 (known items and users), T2a (new items), T2b " ..
  "(new users) and T3 (both new), and k-fold cross-validation.",
  "splits.split(R, scenario, {seed = 13, order, items, users, pairs, fold, folds})", "The study's split (NumPy-" ..
  "identical permutations): train (train index space, labelled), test (full space), row_map/col_map (full -> train " ..
  "index, 0 for new), train_items/train_users, test_items/test_users. With fold and folds (T2a, T2b, T3) each new " ..
  "side holds out the fold-th block of n / folds of its permutation (or of the scenario's share when fewer): one " ..
  "seed's folds are disjoint.",
  "splits.given(train, test [, item_ids, user_ids])", "A T1 split table from a given train and test set " ..
  "(labelled, e.g. u1.base/u1.test) in the full space of the data set's ids (or their union); a test pair the " ..
  "training set rates too is an error; cold_ratings counts the test ratings of items or users the training set " ..
  "lacks (test_items, test_users), which models predict as new ones.",
  "split", "A split table (splits.split, splits.given): scenario, train (train index space), test (full space), " ..
  "row_map/col_map (full -> train index, 0: new), train_items/train_users, test_items/test_users; printing it " ..
  "summarises the counts.",
  "splits.cv(Y, setting, {folds = 10, trials = 1, seed = 13 | seeds = {...}})", "Cross-validation folds of an " ..
  "interaction matrix: setting pairs (CVS1), rows (CVS2, new rows), cols (CVS3, new columns) or both (new rows and " ..
  "columns; T1/T2a/T2b/T3 too); each fold {trial, seed, fold, train_rows, train_cols, train, test, labels, " ..
  "positives}; trial t uses seed + 100 (t - 1). seeds = splits.LIU2016_SEEDS gives one trial per seed with the " ..
  "folds of Liu et al.'s code (pairs, rows, cols), for figures comparable with published tables.",
  "splits.cv_new(setting)", "Whether a cross-validation setting holds out whole rows and whole columns: new_rows, " ..
  "new_cols (true for rows/T2a and both/T3, cols/T2b and both/T3) and the setting's name (pairs, rows, cols, both).",
  "splits.LIU2016_SEEDS", "The five trial seeds of Liu et al. 2016 (NRLMF): 7771, 8367, 22, 1812, 4659.",
  "splits.sample(R, n [, seed])", "A uniform sample of n of R's ratings (R itself when it has no more), same " ..
  "shape and labels.",
  "splits.sample_users(R, n [, seed])", "Whole users (columns) of R in a seeded random order until they hold at " ..
  "least n ratings: the columns (R's order and labels) and their indices in R; R and nil when R has no more. The " ..
  "study tunes on one when the training side is large.",
  "splits.strong(R, {threshold, min_items = 5, heldout_users, holdout = 0.2, seed = 13})", "Liang et al. 2018's " ..
  "strong generalisation for implicit feedback: held-out validation and test users (default min(10000, a tenth)), " ..
  "each split into fold-in and held-out (a fraction holdout) interactions; users x items train, val_in, val_out, test_in, test_out.",
  "splits.kfold(R, k, {over = \"ratings\" | \"items\" | \"users\", seed})", "k split tables whose test parts " ..
  "partition the ratings (or items, users).",
}

return splits
