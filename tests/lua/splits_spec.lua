local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case
local data, splits = require "simec.data", require "simec.splits"

local ML = "../shared/data/ml-100k"
local function have_ml() local f = io.open(ML .. "/u.data") if f then f:close() end return f ~= nil end

local function fixture()
  local fx = {}
  for line in io.lines("tests/fixtures/ml100k_splits.txt") do
    local key, rest = line:match("^(%S+) (.*)$")
    local t = {}
    for w in rest:gmatch("%S+") do t[#t + 1] = w end
    fx[key] = t
  end
  return fx
end

if have_ml() then
  case("splits on ml-100k equal the study's protocol computed with NumPy", function()
    local fx = fixture()
    local ml = data.movielens(ML)
    local R = ml.ratings
    local s = splits.split(R, "T1", {order = ml.order})
    local function check_perm(name, sorted, perm, labels)
      local want, n = fx[name], #perm
      for k = 1, 20 do
        eq(labels[sorted[perm[k]]], want[k], name .. " first " .. k)
        eq(labels[sorted[perm[n - 20 + k]]], want[21 + k], name .. " last " .. k)
      end
    end
    check_perm("items", s.item_sorted, s.item_perm, R:row_labels())
    check_perm("users", s.user_sorted, s.user_perm, R:col_labels())
    for k, pair in ipairs(fx.pairs) do
      if pair ~= "..." then
        local item, user = pair:match("^(.-):(.-)$")
        local i, u = R:row_index(item), R:col_index(user)
        local in_train = s.train:get(i, u) ~= 0
        eq(in_train, k <= 20, "pair " .. pair)
        eq(s.test:get(i, u) ~= 0, k > 20, "pair " .. pair)
      end
    end
    for _, sc in ipairs{"T1", "T2a", "T2b", "T3"} do
      local sp = sc == "T1" and s or splits.split(R, sc, {order = ml.order})
      eq(sp.train:nnz(), tonumber(fx[sc][1]), sc .. " train")
      eq(sp.test:nnz(), tonumber(fx[sc][2]), sc .. " test")
    end
  end)
end

case("splits: train and test partition the ratings; maps and labels agree", function()
  local ds = data.synthetic{items = 120, users = 200, ratings = 4000, seed = 3}
  local R = ds.ratings
  for _, sc in ipairs{"T1", "T2a", "T2b", "T3"} do
    local s = splits.split(R, sc)
    eq(s.train:nnz() + s.test:nnz(), R:nnz(), sc)
    local ti, tu = s.train:shape()
    eq(ti, #s.train_items); eq(tu, #s.train_users)
    for k, full in ipairs(s.train_items) do
      eq(s.row_map[full], k)
      eq(s.train:row_label(k), R:row_label(full))
    end
    for _, full in ipairs(s.test_items) do eq(s.row_map[full], 0) end
    -- every test rating has a new item or user, except in T1
    for i, u, v in s.test:triplets() do
      eq(R:get(i, u), v)
      if sc ~= "T1" then check(s.row_map[i] == 0 or s.col_map[u] == 0, sc) end
    end
    for i, u, v in s.train:triplets() do eq(R:get(s.train_items[i], s.train_users[u]), v) end
  end
  local s = splits.split(R, "T3", {items = 0.5, users = 0.5})
  eq(#s.train_items, 60); eq(#s.train_users, 100)
  local a, b = splits.split(R, "T2a", {seed = 5}), splits.split(R, "T2a", {seed = 5})
  eq(table.concat(a.train_items, ","), table.concat(b.train_items, ","))
  check(table.concat(a.train_items, ",") ~= table.concat(splits.split(R, "T2a", {seed = 6}).train_items, ","))
end)

case("splits: bad input", function()
  local R = data.synthetic{items = 50, users = 60, ratings = 500, seed = 1}.ratings
  checkerr("splits.split: unknown scenario 'T4' (T1, T2a, T2b or T3)", splits.split, R, "T4")
  checkerr("splits: items must be in (0, 1), got 1.5", splits.split, R, "T2a", {items = 1.5})
  checkerr("splits: pairs must be in (0, 1), got 0", splits.split, R, "T1", {pairs = 0})
  checkerr("splits: users must be in (0, 1), got x", splits.split, R, "T3", {users = "x"})
  checkerr("splits.split: empty train set (0 train items, 60 train users)", splits.split, R, "T2a", {items = 0.001})
  checkerr("splits.kfold: k must be an integer >= 2, got 1", splits.kfold, R, 1)
  checkerr("splits.kfold: over must be", splits.kfold, R, 3, {over = "pairs"})
end)

case("splits.sample: n of the ratings, uniformly, in the matrix's shape and labels", function()
  local R = data.synthetic{items = 40, users = 30, ratings = 600, seed = 5}.ratings
  local S = splits.sample(R, 200, 7)
  eq(S:nnz(), 200)
  eq(table.concat({S:shape()}, "x"), table.concat({R:shape()}, "x"))
  eq(table.concat(S:row_labels(), ","), table.concat(R:row_labels(), ","))
  eq(table.concat(S:col_labels(), ","), table.concat(R:col_labels(), ","))
  local D, DS = R:dense(), S:dense()
  local kept = 0
  for i = 1, 40 do for j = 1, 30 do
    if DS:get(i, j) ~= 0 then check(DS:get(i, j) == D:get(i, j), "a sampled rating keeps its value"); kept = kept + 1 end
  end end
  eq(kept, 200)
  eq((splits.sample(R, 200, 7):dense() - DS):norm(), 0)
  check((splits.sample(R, 200, 8):dense() - DS):norm() > 0, "another seed, another sample")
  check(rawequal(splits.sample(R, 600), R) and rawequal(splits.sample(R, 1000000), R), "no more than R has: R")
  checkerr("splits.sample: n must be a positive integer, got 0", splits.sample, R, 0)
  checkerr("splits.sample: n must be a positive integer, got 2.5", splits.sample, R, 2.5)
end)

case("splits.sample_users: whole users in a seeded order until n ratings, with their labels", function()
  local R = data.synthetic{items = 40, users = 30, ratings = 600, seed = 5}.ratings
  local S, kept = splits.sample_users(R, 200, 7)
  eq(S:nrows(), 40); eq(S:ncols(), #kept)
  local counts, total = R:col_counts(), 0
  for k, j in ipairs(kept) do
    check(k == 1 or kept[k - 1] < j, "in R's order")
    eq(S:col_label(k), R:col_label(j))
    total = total + counts:get(1, j)
  end
  eq(S:nnz(), total)
  -- the smallest number of users that reaches n: dropping the last drawn one falls short
  local max_count = 0
  for _, j in ipairs(kept) do max_count = math.max(max_count, counts:get(1, j)) end
  check(S:nnz() >= 200 and S:nnz() - max_count < 200, "no user more than needed: " .. S:nnz())
  eq((S:dense() - R:select_cols(kept):dense()):norm(), 0)
  local S2, kept2 = splits.sample_users(R, 200, 7)
  eq(table.concat(kept2, ","), table.concat(kept, ","))
  local _, kept3 = splits.sample_users(R, 200, 8)
  check(table.concat(kept3, ",") ~= table.concat(kept, ","), "another seed, other users")
  eq((S2:dense() - S:dense()):norm(), 0)
  local same, none = splits.sample_users(R, 600)
  check(rawequal(same, R) and none == nil, "no more than R has: R")
  checkerr("splits.sample_users: n must be a positive integer, got 0", splits.sample_users, R, 0)
end)

case("splits.strong: Liang et al.'s held-out users, fold-in and held-out parts (issue 15)", function()
  local R = data.synthetic{items = 60, users = 200, ratings = 3000, seed = 9}.ratings -- items x users, 1..5
  local s = splits.strong(R, {threshold = 3.5, heldout_users = 20, seed = 4})
  eq(#s.val_users, 20); eq(#s.test_users, 20)
  eq(s.train:nrows(), #s.train_users); eq(s.val_in:nrows(), 20); eq(s.test_out:nrows(), 20)
  eq(s.train:ncols(), #s.items); eq(s.val_out:ncols(), #s.items)
  -- the interactions >= 3.5 of every user with at least 5 of them, each in one part
  local D = R:dense()
  local kept, seen = 0, {}
  for j = 1, R:ncols() do
    local n = 0
    for i = 1, R:nrows() do if D:get(i, j) >= 3.5 then n = n + 1 end end
    if n >= 5 then kept = kept + 1 end
  end
  eq(#s.train_users + 40, kept)
  local col = {}
  for c, i in ipairs(s.items) do col[i] = c end
  local function part_of(list, parts)
    for r, j in ipairs(list) do
      check(not seen[j], "a user in one part"); seen[j] = true
      local got = {}
      for _, P in ipairs(parts) do
        for q = 1, P:row(r):nrows() do
          local c = P:row(r):get(q)
          check(not got[c], "an interaction in one part"); got[c] = true
        end
      end
      local want = 0
      for i = 1, R:nrows() do
        if D:get(i, j) >= 3.5 and col[i] then want = want + 1; check(got[col[i]], "interaction kept") end
      end
      local n = 0
      for _ in pairs(got) do n = n + 1 end
      eq(n, want)
      if #parts == 2 and want >= 5 then eq(parts[2]:row(r):nrows(), math.floor(0.2 * want)) end
    end
  end
  part_of(s.train_users, {s.train})
  part_of(s.val_users, {s.val_in, s.val_out})
  part_of(s.test_users, {s.test_in, s.test_out})
  -- items are those of the training users
  for _, i in ipairs(s.items) do
    local any = false
    for _, j in ipairs(s.train_users) do any = any or D:get(i, j) >= 3.5 end
    check(any, "item " .. i .. " has a training user")
  end
  -- the seed decides
  local again = splits.strong(R, {threshold = 3.5, heldout_users = 20, seed = 4})
  eq(table.concat(again.test_users, ","), table.concat(s.test_users, ","))
  eq((again.test_out:dense() - s.test_out:dense()):norm(), 0)
  check(table.concat(splits.strong(R, {threshold = 3.5, heldout_users = 20, seed = 5}).test_users, ",") ~=
        table.concat(s.test_users, ","), "another seed, other users")
  checkerr("splits.strong: heldout_users must be an integer in 1..", splits.strong, R, {heldout_users = 1000})
  checkerr("splits.strong: holdout must be in (0, 1), got 1", splits.strong, R, {holdout = 1})
  checkerr("splits.strong: min_items must be a positive integer, got 0", splits.strong, R, {min_items = 0})
end)

case("kfold: the test folds partition the ratings, items or users", function()
  local R = data.synthetic{items = 80, users = 90, ratings = 1500, seed = 2}.ratings
  local folds = splits.kfold(R, 4)
  local total = 0
  for _, f in ipairs(folds) do
    total = total + f.test:nnz()
    eq(f.train:nnz() + f.test:nnz(), R:nnz())
  end
  eq(total, R:nnz())
  local counted = {}
  for _, f in ipairs(folds) do
    for i, u in f.test:triplets() do
      local key = i .. ":" .. u
      check(not counted[key], "rating in two test folds")
      counted[key] = true
    end
  end
  local ifolds = splits.kfold(R, 5, {over = "items"})
  local n = 0
  for _, f in ipairs(ifolds) do
    n = n + #f.test_items
    for _, full in ipairs(f.test_items) do eq(f.row_map[full], 0) end
  end
  eq(n, 80)
  eq(#splits.kfold(R, 3, {over = "users"})[1].test_users, 30)
end)

case("split folds: one seed's folds hold out every new item and user once, as the split would", function()
  local R = data.synthetic{items = 83, users = 61, ratings = 1800, seed = 3}.ratings
  for _, sc in ipairs{"T2a", "T2b", "T3"} do
    local seen, total = {items = {}, users = {}}, 0
    for f = 1, 4 do
      local s = splits.split(R, sc, {seed = 7, fold = f, folds = 4})
      eq(s.fold, f)
      eq(s.train:nnz() + s.test:nnz(), R:nnz(), sc .. " fold " .. f .. " keeps every rating")
      total = total + s.test:nnz()
      for _, side in ipairs{{"items", s.row_map, s.test_items, s.train_items, 83},
                            {"users", s.col_map, s.test_users, s.train_users, 61}} do
        local name, map, held, train, n = table.unpack(side)
        if #held > 0 then
          -- blocks of n / 4, or of as many as the scenario's split holds out where
          -- fewer (T3: 13 of the 83 items, 13 of the 61 users)
          local share = n - math.floor((sc ~= "T3" and 0.7 or name == "items" and 0.85 or 0.8) * n)
          eq(#held, share * 4 < n and share or f * n // 4 - (f - 1) * n // 4, sc .. " " .. name .. " block size")
          for _, full in ipairs(held) do
            check(not seen[name][full], sc .. ": " .. name .. " " .. full .. " held out by two folds")
            seen[name][full] = true
            eq(map[full], 0)
          end
        end
        eq(#train + #held, n)
        for k, full in ipairs(train) do eq(map[full], k, sc .. " train map") end
      end
      -- a test rating is one whose item or user the fold holds out
      for i, u in s.test:triplets() do check(s.row_map[i] == 0 or s.col_map[u] == 0, sc .. " test rating") end
    end
    for name, n in pairs{items = 83, users = 61} do
      local count = 0
      for _ in pairs(seen[name]) do count = count + 1 end
      if sc == "T3" then eq(count, 4 * 13, "T3: 4 blocks of 13 " .. name)
      elseif (sc == "T2a") == (name == "items") then eq(count, n, sc .. ": every " .. name .. " held out once") end
    end
    if sc == "T2b" then eq(total, R:nnz(), "T2b: the folds' test ratings are all the ratings") end
  end
  -- the last fold of one equal to a 1 - 1/K split's: the same permutation
  local last = splits.split(R, "T2b", {seed = 7, fold = 5, folds = 5})
  local plain = splits.split(R, "T2b", {seed = 7, users = 0.8})
  eq(table.concat(last.test_users, ","), table.concat(plain.test_users, ","))
  eq(table.concat(last.train_users, ","), table.concat(plain.train_users, ","))
  check(tostring(last):find("^split T2b %(fold 5 of 5%): "), tostring(last))
  checkerr("splits.split: folds hold out new items or users (T2a, T2b, T3), not T1's ratings", splits.split, R, "T1",
           {fold = 1, folds = 3})
  checkerr("splits.split: fold must be an integer from 1 to 3, got 4", splits.split, R, "T2a", {fold = 4, folds = 3})
  checkerr("splits.split: folds must be a positive integer, got 0", splits.split, R, "T2a", {fold = 1, folds = 0})
  checkerr("splits.split: fold 1 of 90 holds out no items (83 of them)", splits.split, R, "T2a", {fold = 1, folds = 90})
  -- one fold: the split's share
  eq(#splits.split(R, "T2a", {fold = 1, folds = 1}).test_items, 83 - math.floor(0.7 * 83))
  checkerr("splits.split: fold must be an integer from 1 to 3, got nil", splits.split, R, "T2a", {folds = 3})
  checkerr("splits.split: give fractions (items, users) or a fold, not both", splits.split, R, "T3",
           {fold = 1, folds = 3, users = 0.5})
end)

case("data sets and splits print as summaries, and help describes them (issue 17)", function()
  local data, help = require "simec.data", require "simec.help"
  local ds = data.synthetic{items = 1200, users = 300, ratings = 5000, item_features = 7, user_features = 3, seed = 2}
  eq(tostring(ds), "synthetic: 1,200 items x 300 users, 5,000 ratings; 7 item features, 3 user features")
  local s = splits.split(ds.ratings, "T2a")
  check(tostring(s):find("^split T2a: [%d,]+ train / [%d,]+ test ratings; 840 train items, 360 new items; 300 users$"),
        tostring(s))
  check(help.text(ds):find("^data set\n"), help.text(ds))
  check(help.text(s):find("^split\n"), help.text(s))
  eq(help.repr({s = ds}), "{s = synthetic: 1,200 items x 300 users, 5,000 ratings; 7 item features, 3 user features}")
end)

case("splits.cv: the four settings of interaction matrices, trials and errors (issue 15)", function()
  local Y = T.random_binary(9, 7, 0.3, 9)
  local function key(a, b) return a * 100 + b end
  -- pairs: every pair tested once; training holds the rest of Y
  local seen = {}
  for _, f in ipairs(splits.cv(Y, "pairs", {folds = 4, seed = 3})) do
    eq(#f.train_rows, 9); eq(#f.train_cols, 7)
    local n = 0
    for a, b in f.test:triplets() do
      check(not seen[key(a, b)], "a pair tested twice"); seen[key(a, b)] = true
      n = n + 1
      eq(f.labels[n], Y:get(a, b))
      eq(f.train:get(a, b), 0)
    end
    eq(f.train:nnz() + f.positives, Y:nnz())
  end
  local all = 0
  for _ in pairs(seen) do all = all + 1 end
  eq(all, 63)
  -- rows (T2a): the test rows' every pair, and they leave the training rows
  local rows_seen = {}
  for _, f in ipairs(splits.cv(Y, "T2a", {folds = 3})) do
    local train = {}
    for _, a in ipairs(f.train_rows) do train[a] = true end
    eq(#f.train_cols, 7)
    for a, b in f.test:triplets() do check(not train[a], "a tested row in training"); rows_seen[a] = true end
    eq(f.test:nnz(), (9 - #f.train_rows) * 7)
  end
  for a = 1, 9 do check(rows_seen[a], "row " .. a .. " never tested") end
  -- both: a block of new rows x new columns
  for _, f in ipairs(splits.cv(Y, "both", {folds = 3, seed = 5})) do
    eq(f.test:nnz(), (9 - #f.train_rows) * (7 - #f.train_cols))
    eq(f.train:nrows(), #f.train_rows); eq(f.train:ncols(), #f.train_cols)
  end
  -- trials: the first trial is the seed's, the second another draw; both reproducible
  local a1 = splits.cv(Y, "cols", {folds = 3, trials = 2, seed = 13})
  local b1 = splits.cv(Y, "cols", {folds = 3, seed = 13})
  eq(#a1, 6); eq(a1[4].trial, 2); eq(a1[4].fold, 1)
  eq(table.concat(a1[1].train_cols, ","), table.concat(b1[1].train_cols, ","))
  local c1 = splits.cv(Y, "cols", {folds = 3, seed = 113})
  eq(table.concat(a1[4].train_cols, ","), table.concat(c1[1].train_cols, ","))
  checkerr("splits.cv: setting must be pairs, rows, cols or both", splits.cv, Y, "new")
  checkerr("splits.cv: 10 folds for a 9x7 matrix in the cols setting", splits.cv, Y, "cols")
  checkerr("splits.cv: trials must be a positive integer, got 0", splits.cv, Y, "rows", {folds = 3, trials = 0})
end)

case("splits.cv_new: which sides a setting holds out whole, by either name; errors at the caller", function()
  local want = {pairs = {false, false}, rows = {true, false}, cols = {false, true}, both = {true, true},
                T1 = {false, false}, T2a = {true, false}, T2b = {false, true}, T3 = {true, true}}
  local long = {T1 = "pairs", T2a = "rows", T2b = "cols", T3 = "both"}
  for setting, w in pairs(want) do
    local r, c, kind = splits.cv_new(setting)
    eq(r, w[1]); eq(c, w[2]); eq(kind, long[setting] or setting)
  end
  -- each fold's training rows and columns agree: a side held out whole has fewer training members
  local Y = sparse.from_triplets({1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 1, 2}, 1, {rows = 6, cols = 4})
  for setting in pairs(want) do
    local r, c = splits.cv_new(setting)
    local f = splits.cv(Y, setting, {folds = 2, seed = 1})[1]
    eq(#f.train_rows < 6, r); eq(#f.train_cols < 4, c)
  end
  checkerr("splits.cv: setting must be pairs, rows, cols or both (or T1, T2a, T2b, T3), got T4", splits.cv_new, "T4")
  -- (no tail calls below: a tail call leaves no caller to name)
  local ok, e = pcall(function() local r = splits.cv_new(nil); return r end)
  check(not ok and e:find("splits_spec.lua:%d+: splits.cv: setting must be") ~= nil, e)
  ok, e = pcall(function() local folds = splits.cv(Y, "new"); return folds end)
  check(not ok and e:find("splits_spec.lua:%d+: splits.cv: setting must be") ~= nil, e)
end)

-- Liu et al.'s folds (PyDTI's cross_validation): per trial seed one NumPy
-- permutation of the pairs (row-major flat indices), rows or columns, cut
-- in slices of n // k with the rest in the last
case("splits.cv with seeds: Liu et al.'s folds for the published trial seeds (issue 15)", function()
  local Y = sparse.from_triplets({1, 2, 3, 4}, {1, 2, 3, 1}, 1, {rows = 4, cols = 3})
  local folds = splits.cv(Y, "pairs", {seeds = {7771, 22}})
  eq(#folds, 20)
  for t, seed in ipairs{7771, 22} do
    local perm = rng.new(seed):permutation(12) -- 1-based flat pair indices
    for f = 1, 10 do
      local fold = folds[(t - 1) * 10 + f]
      eq(fold.trial, t); eq(fold.seed, seed); eq(fold.fold, f)
      local want = {}
      for p = f, f == 10 and 12 or f do
        local k = perm[p] - 1
        want[#want + 1] = (k // 3 + 1) .. "," .. (k % 3 + 1)
      end
      local got = {}
      for a, b in fold.test:triplets() do got[#got + 1] = a .. "," .. b end
      table.sort(want); table.sort(got)
      eq(table.concat(got, " "), table.concat(want, " "), ("seed %d fold %d"):format(seed, f))
    end
  end
  -- new rows: 23 rows in slices of 2, the last fold 5; the rows' pairs are tested
  local R = sparse.from_triplets({1, 5, 9, 23}, {1, 2, 3, 1}, 1, {rows = 23, cols = 3})
  local perm = rng.new(4659):permutation(23)
  for f, fold in ipairs(splits.cv(R, "rows", {seeds = {4659}})) do
    local new = {}
    for p = 2 * f - 1, f == 10 and 23 or 2 * f do new[perm[p]] = true end
    local count = 0
    for _ in pairs(new) do count = count + 1 end
    eq(#fold.train_rows, 23 - count)
    for _, r in ipairs(fold.train_rows) do check(not new[r], r) end
    eq(fold.test:nnz(), count * 3)
  end
  eq(#splits.LIU2016_SEEDS, 5)
  checkerr("splits.cv: seeds (Liu et al.'s folds) cover pairs, rows and cols only", splits.cv, Y, "both",
           {folds = 2, seeds = {1}})
  checkerr("splits.cv: seeds replaces trials and seed", splits.cv, Y, "pairs", {seeds = {1}, seed = 3})
  checkerr("splits.cv: seeds[1] must be an integer in 0..2^32-1, got -1", splits.cv, Y, "pairs", {seeds = {-1}})
end)
