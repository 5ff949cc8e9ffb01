local T = require "simec.test"
local check, eq, near, checkerr, case = T.check, T.eq, T.near, T.checkerr, T.case
local data, splits = require "simec.data", require "simec.splits"
local models, metrics = require "simec.models", require "simec.metrics"

local function small()
  local ds = data.synthetic{items = 120, users = 80, ratings = 4000, rank = 4, item_features = 30, item_tokens = 4,
                            seed = 3}
  local s = splits.split(ds.ratings, "T1")
  local mm = models.means(s.train)
  return ds, s, mm, mm:residuals(s.train)
end

case("SimEc.new builds the architecture; layers are readable and settable", function()
  local m = SimEc.new{input = 30, embedding = 5, output = 80, hidden = {{16, "tanh"}, {8, "relu"}}, seed = 1}
  eq(tostring(m), "SimEc: features(30) -> 16 tanh -> 8 relu -> 5 linear (embedding) -> 80 linear; " ..
     "1077 parameters; loss mse, missing zero; adamax lr 0.0005")
  eq(m:config().params, 30 * 16 + 16 + 16 * 8 + 8 + 8 * 5 + 5 + 5 * 80)
  local L = m:layers()
  eq(#L, 4)
  eq(L[1].W:nrows(), 30); eq(L[1].W:ncols(), 16); eq(L[1].activation, "tanh"); eq(L[1].kind, "hidden")
  eq(L[4].W:nrows(), 5); eq(L[4].W:ncols(), 80); eq(L[4].b, nil); eq(L[4].kind, "last")
  -- Glorot uniform: |w| <= sqrt(6 / (fan_in + fan_out)), biases zero
  check(L[1].W:abs():max() <= math.sqrt(6 / 46) and L[1].b:abs():max() == 0)
  local W = matrix.ones(5, 80)
  m:set_layer(4, {W = W})
  eq(m:layers()[4].W:sum(), 400)
  checkerr("set_layer: W is 4x80, layer 4 expects 5x80", m.set_layer, m, 4, {W = matrix.ones(4, 80)})
  checkerr("set_layer: the last layer has no bias", m.set_layer, m, 4, {b = matrix.ones(1, 80)})
  m.lr = 0.01
  eq(m:config().lr, 0.01); eq(m:config().optimizer, "adamax"); eq(m:config().embedding, 5)
  checkerr("SimEc: cannot set 'params'", function() m.params = 3 end)
end)

case("SimEc(I) and SimEc(X), masked and zero-filled, learn the residuals", function()
  local ds, s, mm, R = small()
  local base = mm:predict(s.test, s.row_map, s.col_map)
  local mean_rmse = metrics.rmse(base, s.test)
  for _, miss in ipairs{"mask", "zero"} do
    local m = SimEc.new{input = "identity", rows = R:nrows(), embedding = 4, output = R:ncols(), missing = miss,
                        l2_reg_emb = miss == "mask" and 1e-3 or 0, optimizer = {"adam", lr = 0.01}, seed = 2}
    local h = m:fit(nil, R, {epochs = 15, batch_size = 8, verbose = false, seed = 1})
    eq(h.epochs, 15)
    check(h.loss[15] < h.loss[1])
    local p = m:predict_at(nil, s.test)
    eq(p:nnz(), s.test:nnz())
    local rmse = metrics.rmse(sparse.from_values(s.test, base:values() + p:values()), s.test)
    check(rmse < mean_rmse, ("%s: %g vs mean %g"):format(miss, rmse, mean_rmse))
  end
  local X = ds.items.features
  local m = SimEc.new{input = X:ncols(), embedding = 4, output = R:ncols(), missing = "mask", seed = 2,
                      optimizer = {"adamax", lr = 0.01}}
  local h = m:fit(X, R, {epochs = 5, verbose = false})
  check(h.loss[5] < h.loss[1])
  -- dense and sparse inputs give the same embeddings
  local Y1, Y2 = m:transform(X), m:transform(X:dense())
  check((Y1 - Y2):abs():max() < 1e-12)
  local P = m:predict(X)
  eq(P:nrows(), X:nrows()); eq(P:ncols(), R:ncols())
  local Pa = m:predict_at(X, R)
  local i, j = R:triplets()()
  near(Pa:values():get(1), P:get(i, j), 1e-12)
end)

case("fit: validation, on_epoch, early stop, keep_best, plateau", function()
  local _, s, _, R = small()
  local m = SimEc.new{input = "identity", rows = R:nrows(), embedding = 3, output = R:ncols(), missing = "mask",
                      optimizer = {"adam", lr = 0.05}, seed = 4}
  local seen = {}
  local h = m:fit(nil, R, {epochs = 10, verbose = false, validation = {nil, R},
                           lr_plateau = {factor = 0.5, patience = 1}, keep_best = true,
                           on_epoch = function(e, loss, val) seen[#seen + 1] = val; return e < 4 end})
  eq(h.epochs, 4); eq(#seen, 4); check(h.stopped)
  near(h.val[4], seen[4], 0)
  check(h.best_epoch >= 1 and h.best_epoch <= 4)
  -- the kept weights are the best epoch's: their validation loss is the best one
  local best = math.huge
  for _, v in ipairs(h.val) do best = math.min(best, v) end
  near(m:loss(nil, R), best, 1e-12)
  -- an error in the callback propagates after training stops; the model stays usable
  checkerr("boom", m.fit, m, nil, R, {epochs = 3, verbose = false, on_epoch = function() error("boom") end})
  check(m:loss(nil, R) < math.huge)
end)

case("save -> load -> predict is bit-identical; a failed save keeps the old file", function()
  local _, _, _, R = small()
  local m = SimEc.new{input = "identity", rows = R:nrows(), embedding = 3, output = R:ncols(), missing = "mask",
                      hidden = {{6, "sigmoid"}}, seed = 5}
  m:fit(nil, R, {epochs = 2, verbose = false})
  local path = os.tmpname()
  m:save(path)
  local m2 = SimEc.load(path)
  eq(tostring(m2), tostring(m))
  local a, b = m:predict(), m2:predict()
  check((a - b):abs():max() == 0)
  -- training continues from the saved optimiser state identically
  m:fit(nil, R, {epochs = 1, verbose = false, seed = 9})
  m2:fit(nil, R, {epochs = 1, verbose = false, seed = 9})
  check((m:predict() - m2:predict()):abs():max() == 0)
  local before = io.open(path, "rb"):read("a")
  checkerr("/nonexistent-dir/x.model: cannot create a temporary file", m.save, m, "/nonexistent-dir/x.model")
  eq(io.open(path, "rb"):read("a"), before)
  local f = io.open(path, "wb"); f:write(before:sub(1, 100)); f:close()
  checkerr("not a SimEc model file (too short)", SimEc.load, path)
  f = io.open(path, "wb"); f:write(before:sub(1, #before - 9)); f:close()
  checkerr("truncated or corrupted", SimEc.load, path)
  os.remove(path)
end)

case("fit checkpoints every n epochs; resuming a checkpoint continues the run exactly", function()
  local _, _, _, R = small()
  local function model() return SimEc.new{input = "identity", rows = R:nrows(), embedding = 3, output = R:ncols(),
                                          missing = "mask", seed = 5} end
  local whole = model()
  local hw = whole:fit(nil, R, {epochs = 5, verbose = false, seed = 3})
  eq(whole:config().epochs, 5)
  local path = T.tmpname()
  local part = model()
  local saved = {}
  part:fit(nil, R, {epochs = 3, verbose = false, seed = 3, checkpoint = {path = path, every = 2},
                    on_epoch = function(e) if e > 1 then saved[e] = SimEc.load(path):config().epochs end end})
  eq(saved[2], 2); eq(saved[3], 3) -- every 2nd epoch, and the last
  local resumed = SimEc.load(path) -- as after a crash
  eq(resumed:config().epochs, 3)
  local h = resumed:fit(nil, R, {epochs = 5, initial_epoch = resumed:config().epochs, verbose = false, seed = 3})
  eq(h.epochs, 2); eq(h.initial_epoch, 3)
  eq(h.loss[2], hw.loss[5])
  check((resumed:predict() - whole:predict()):abs():max() == 0, "resumed run differs from the uninterrupted one")
  checkerr("fit: initial_epoch must be in 0..epochs (5), got 6", resumed.fit, resumed, nil, R,
           {epochs = 5, initial_epoch = 6, verbose = false})
  checkerr("fit: checkpoint after epoch 1: /nonexistent-dir/c.model: cannot create a temporary file", resumed.fit,
           resumed, nil, R, {epochs = 1, verbose = false, checkpoint = "/nonexistent-dir/c.model"})
  checkerr("fit: checkpoint must be a path or {path = ..., every = n}, got boolean", resumed.fit, resumed, nil, R,
           {epochs = 1, verbose = false, checkpoint = true})
  os.remove(path)
end)

case("SimEc errors name the argument, the shapes and the valid names", function()
  local _, _, _, R = small()
  checkerr("SimEc: unknown activation 'swish' (valid: linear, tanh, relu, sigmoid, leaky_relu)", SimEc.new,
           {input = 5, embedding = 2, output = 3, hidden = {{4, "swish"}}})
  checkerr("SimEc: unknown loss 'hinge' (valid: mse, mae, bce)", SimEc.new,
           {input = 5, embedding = 2, output = 3, loss = "hinge"})
  checkerr("SimEc: unknown optimizer 'rmsprop' (valid: adamax, adam, sgd)", SimEc.new,
           {input = 5, embedding = 2, output = 3, optimizer = "rmsprop"})
  checkerr("SimEc: unknown missing 'drop' (valid: zero, mask)", SimEc.new,
           {input = 5, embedding = 2, output = 3, missing = "drop"})
  checkerr("S_ll is 2x2, expected 3x3 (output x output)", SimEc.new,
           {input = 5, embedding = 2, output = 3, s_ll_reg = 1, S_ll = matrix.ones(2, 2)})
  checkerr("s_ll_reg needs S_ll", SimEc.new, {input = 5, embedding = 2, output = 3, s_ll_reg = 1})
  checkerr("W_ll is 3x3, expected 2x3 (embedding x output)", SimEc.new,
           {input = 5, embedding = 2, output = 3, W_ll = matrix.ones(3, 3), wll_frozen = true})
  checkerr("identity input needs rows", SimEc.new, {input = "identity", embedding = 2, output = 3})
  local m = SimEc.new{input = "identity", rows = R:nrows(), embedding = 2, output = R:ncols()}
  checkerr("fit: targets are 80x120, expected 120x80 (inputs x outputs)", m.fit, m, nil, R:t(), {verbose = false})
  checkerr("this SimEc has identity input: pass no input matrix", m.fit, m, matrix.ones(120, 3), R,
           {verbose = false})
  local mx = SimEc.new{input = 3, embedding = 2, output = R:ncols()}
  local X = matrix.ones(120, 3)
  X:set(7, 2, 0 / 0)
  checkerr("fit: input has a non-finite value at (7, 2)", mx.fit, mx, X, R, {verbose = false})
  checkerr("predict_at: pattern is 80x120, expected 120x80", mx.predict_at, mx, matrix.ones(120, 3), R:t())
  checkerr("fit: input has 4 columns, the SimEc expects 3", mx.fit, mx, matrix.ones(120, 4), R, {verbose = false})
  -- a value of the wrong type inside an option table names its place, not a stack index
  checkerr("SimEc.new: optimizer[1] must be a name (adamax, adam or sgd), got table", SimEc.new,
           {input = 5, embedding = 2, output = 3, optimizer = {{"sgd"}, lr = 1}})
  checkerr("SimEc.new: hidden[1][2] must be an activation name, got number", SimEc.new,
           {input = 5, embedding = 2, output = 3, hidden = {{4, 7}}})
  checkerr("fit: on_epoch must be a function, got number", mx.fit, mx, matrix.ones(120, 3), R,
           {verbose = false, on_epoch = 3})
  checkerr("sparse:dense: limit must be a non-negative integer, got x", R.dense, R, {limit = "x"})
  checkerr("sparse:write: delim must be a string, got table", R.write, R, T.tmpname(), {delim = {}})
  local rec = require "simec.rec"
  checkerr("bias model field 'mu' must be a number, got string", rec.bias_predict, {mu = "3", s = 1}, R)
  local id = function(n) local t = {} for i = 1, n do t[i] = i end return t end
  checkerr("split: the pairs options need test_from and test_to", rec.split, R, id(120), 120, id(80), 80,
           {rng = simec.rng.new(1), test_from = 10})
  checkerr("split: test_to must be a non-negative integer, got 2.5", rec.split, R, id(120), 120, id(80), 80,
           {rng = simec.rng.new(1), test_from = 10, test_to = 2.5})
end)

case("a frozen W_ll stays fixed; a fixed seed gives identical runs", function()
  local _, _, _, R = small()
  local W = matrix.randn(3, R:ncols(), 1)
  local m = SimEc.new{input = "identity", rows = R:nrows(), embedding = 3, output = R:ncols(), W_ll = W,
                      wll_frozen = true, missing = "mask", seed = 6}
  m:fit(nil, R, {epochs = 2, verbose = false})
  check((m:layers()[2].W - W):abs():max() == 0)
  local function run()
    local a = SimEc.new{input = "identity", rows = R:nrows(), embedding = 3, output = R:ncols(), seed = 7}
    a:fit(nil, R, {epochs = 2, verbose = false, seed = 3})
    return a:predict()
  end
  check((run() - run()):abs():max() == 0)
end)

case("models.two_simec predicts ratings of new items and new users (T3, T2b) from both sides' features", function()
  local ds = data.synthetic{items = 400, users = 300, ratings = 30000, rank = 4, item_features = 40,
                            user_features = 30, seed = 5}
  local Xi, Xu = ds.items.features, ds.users.features
  for _, sc in ipairs{"T3", "T2b"} do
    local s = splits.split(ds.ratings, sc)
    local mm = models.means(s.train)
    local R = mm:residuals(s.train)
    local base = mm:predict(s.test, s.row_map, s.col_map)
    local mean_rmse = metrics.rmse(base, s.test)
    for _, first in ipairs{"items", "users"} do
      local ts = models.two_simec(R, {items = Xi:select_rows(s.train_items), users = Xu:select_rows(s.train_users),
                                      embedding = 10, first = first, finetune = 1, missing = "mask", seed = 28,
                                      simec = {optimizer = {"adam", lr = 0.005}, l2_reg_emb = 1e-3},
                                      fit = {epochs = 15}})
      local p = ts:predict(s.test, s.row_map, s.col_map, {items = Xi, users = Xu})
      eq(p:nnz(), s.test:nnz())
      local rmse = metrics.rmse(sparse.from_values(s.test, base:values() + p:values()), s.test)
      check(rmse < 0.9 * mean_rmse, ("%s, %s first: %g vs mean %g"):format(sc, first, rmse, mean_rmse))
      -- the second side's last layer is the first side's embeddings, frozen
      check(ts[first == "items" and "user_model" or "item_model"]:config().wll_frozen)
    end
  end
  local R = ds.ratings
  checkerr("models.two_simec: first must be \"items\", \"users\" or \"both\", got drugs", models.two_simec, R,
           {first = "drugs", embedding = 4})
  checkerr("models.two_simec: embedding must be a positive integer, got nil", models.two_simec, R, {})
  checkerr("models.two_simec: users features have 10 rows, R has 300 users", models.two_simec, R,
           {users = Xu:select_rows({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), embedding = 4})
  local ts = models.two_simec(R, {items = Xi, users = Xu, embedding = 4, fit = {epochs = 1}})
  checkerr("two_simec:predict: needs the user features of the full space", ts.predict, ts, R, nil, nil, {items = Xi})
end)

case("models.two_simec{first = \"both\"} predicts the mean of the two orders' pairs", function()
  local ds = data.synthetic{items = 100, users = 80, ratings = 3000, rank = 3, item_features = 10, user_features = 8,
                            seed = 5}
  local s = splits.split(ds.ratings, "T3")
  local X = {items = ds.items.features, users = ds.users.features}
  local function fit(first)
    return models.two_simec(s.train, {items = X.items:select_rows(s.train_items), users = X.users:select_rows(s.train_users),
                                      embedding = 4, seed = 3, first = first, finetune = 1, fit = {epochs = 3}})
  end
  local both, items, users = fit("both"), fit("items"), fit("users")
  local pb, pi, pu = both:predict(s.test, s.row_map, s.col_map, X), items:predict(s.test, s.row_map, s.col_map, X),
                     users:predict(s.test, s.row_map, s.col_map, X)
  eq(pb:nnz(), s.test:nnz())
  check((pi:values() - pu:values()):abs():max() > 1e-3, "the two orders differ")
  check((pb:values() - (pi:values() + pu:values()) * 0.5):abs():max() < 1e-12)
  check(tostring(both):find("fitted in both orders, predictions averaged", 1, true), tostring(both))
  checkerr("two_simec:predict: needs the user features of the full space", both.predict, both, s.test, s.row_map,
           s.col_map, {items = X.items})
end)

case("implicit feedback: sigmoid + bce with sampled negatives ranks held-out interactions first", function()
  -- interactions from a low-rank model: item i and user j interact when p_i . q_j > 1.2
  local S = matrix.randn(300, 4, 8) * matrix.randn(4, 200, 9)
  local B = sparse.from_dense((S - 1.2):relu()):map(function() return 1 end)
  local s = splits.split(B, "T1")
  local function fit(neg, kind)
    local m = SimEc.new{input = "identity", rows = B:nrows(), embedding = 8, output = B:ncols(), missing = "mask",
                        ll_activation = "sigmoid", loss = "bce", l2_reg_emb = 0, optimizer = {"adam", lr = 0.01}, seed = 3}
    m:fit(nil, s.train, {epochs = 15, verbose = false, negatives = neg, negative_sampling = kind, seed = 4})
    return m
  end
  -- AUC over (held-out positive, never-seen pair) comparisons
  local g, ri, ci, seen = rng.new(9), {}, {}, {}
  while #ri < 3000 do
    local i, j = g:integers(1, B:nrows() + 1), g:integers(1, B:ncols() + 1)
    if B:get(i, j) == 0 and not seen[i * 100000 + j] then
      seen[i * 100000 + j] = true
      ri[#ri + 1], ci[#ci + 1] = i, j
    end
  end
  local neg_pattern = sparse.from_triplets(ri, ci, 1, {rows = B:nrows(), cols = B:ncols()})
  local function auc(m)
    local pos, negs = m:predict_at(nil, s.test):values(), m:predict_at(nil, neg_pattern):values()
    local wins, total = 0, 0
    for a = 1, pos:nrows(), 7 do
      for b = 1, negs:nrows(), 7 do
        local p, q = pos:get(a), negs:get(b)
        wins = wins + (p > q and 1 or p == q and 0.5 or 0); total = total + 1
      end
    end
    return wins / total
  end
  local without, uniform, popular = auc(fit(0)), auc(fit(1, "uniform")), auc(fit(1, "popularity"))
  check(uniform > 0.7 and popular > 0.7, ("AUC uniform %g, popularity %g"):format(uniform, popular))
  check(uniform > without + 0.1, ("AUC with negatives %g, without %g"):format(uniform, without))
  local m = SimEc.new{input = "identity", rows = B:nrows(), embedding = 2, output = B:ncols()}
  checkerr("fit: negatives (1) needs a positive ratio, sparse targets and missing = \"mask\"", m.fit, m, nil, s.train,
           {negatives = 1, verbose = false})
  checkerr("SimEc: unknown negative_sampling 'random' (valid: uniform, popularity)", m.fit, m, nil, s.train,
           {negatives = 1, negative_sampling = "random", verbose = false})
  local mm = SimEc.new{input = "identity", rows = B:nrows(), embedding = 2, output = B:ncols(), missing = "mask",
                       ll_activation = "sigmoid", loss = "bce"}
  -- a ratio beyond a row's missing entries gives it all of them, counted (and warned about)
  local h = mm:fit(nil, s.train, {negatives = 50, epochs = 1, verbose = false})
  check(h.negatives_capped > 0 and h.negatives_capped <= s.train:nrows())
  eq(mm:fit(nil, s.train, {negatives = 0.5, epochs = 1, verbose = false}).negatives_capped, 0)
end)

case("models.fit_split fits what the scenario needs and predicts every test rating", function()
  local ds = data.synthetic{items = 300, users = 200, ratings = 15000, rank = 4, item_features = 30,
                            user_features = 20, seed = 6}
  local X = {items = ds.items.features, users = ds.users.features}
  for _, sc in ipairs{"T1", "T2a", "T2b", "T3"} do
    local s = splits.split(ds.ratings, sc)
    local mean = metrics.rmse(models.means(s.train):predict(s.test, s.row_map, s.col_map), s.test)
    for _, kind in ipairs{"svd_regression", "simec", "two_simec"} do
      if not (kind == "simec" and sc == "T3") then
        local p = models.fit_split(s, X, {model = kind, lr = 0.01, epochs = 20, embedding = 10, missing = "mask",
                                          l2_reg_emb = 1e-3, k = 100, alpha = 250})
        eq(p:nnz(), s.test:nnz())
        check(metrics.rmse(p, s.test) < mean * 1.02, ("%s %s: %g vs mean %g"):format(sc, kind, metrics.rmse(p, s.test), mean))
      end
    end
  end
  local s = splits.split(ds.ratings, "T2b")
  checkerr("models.fit_split: T2b has new users: give their features (users = ...)", models.fit_split, s,
           {items = X.items}, {embedding = 4})
  s = splits.split(ds.ratings, "T3")
  checkerr("a one-sided SimEc cannot serve it", models.fit_split, s, X, {model = "simec", embedding = 4})
  checkerr("models.fit_split: model must be", models.fit_split, s, X, {model = "knn", embedding = 4})
  checkerr("models.fit_split: base must be \"means\", \"users\" or \"biases\", got median", models.fit_split, s, X,
           {base = "median", embedding = 4})
  checkerr("models.fit_split: embedding must be a positive integer, got nil", models.fit_split, s, X, {})
  -- on the residuals of learned biases: better than those biases alone here
  local b = models.biases(s.train, {items = X.items:select_rows(s.train_items), users = X.users:select_rows(s.train_users)})
  local alone = metrics.rmse(b:predict(s.test, s.row_map, s.col_map, X), s.test)
  local both = metrics.rmse(models.fit_split(s, X, {base = "biases", lr = 0.01, epochs = 20, embedding = 10,
                                                    missing = "mask", l2_reg_emb = 1e-3}), s.test)
  check(both < alone, ("biases+two-SimEc %g, biases %g"):format(both, alone))
  -- the biases' settings reach models.biases: the defaults spelt out change nothing, others do
  local svd = {model = "svd_regression", base = "biases", k = 100, alpha = 250}
  local function with(extra)
    local o = {}
    for k, v in pairs(svd) do o[k] = v end
    for k, v in pairs(extra) do o[k] = v end
    return models.fit_split(s, X, o):values()
  end
  check(with{} == with{reg_items = 5, reg_users = 5, bias_alpha = 10}, "defaults spelt out")
  check(with{} ~= with{reg_items = 30}, "reg_items ignored")
  check(with{} ~= with{reg_users = 30}, "reg_users ignored")
  check(with{} ~= with{bias_alpha = 1000}, "bias_alpha ignored")
  checkerr("models.fit_split: items features have 299 rows, the ratings have 300 items", models.fit_split, s,
           {items = X.items:select_rows(models.identity(299)), users = X.users})
end)

case("m:similar finds the rows with the closest embeddings", function()
  local m = SimEc.new{input = 3, embedding = 3, output = 2, seed = 1}
  m:set_layer(1, {W = matrix.eye(3), b = matrix.zeros(1, 3)})
  local Xall = matrix.new{{1, 0, 0}, {0, 1, 0}, {0.9, 0.1, 0}, {-1, 0, 0}}
  local idx, val = m:similar(matrix.new{{1, 0, 0}}, Xall, 2)
  eq(idx:get(1, 1), 1); eq(idx:get(1, 2), 3)
  near(val:get(1, 1), 1, 1e-12)
  idx = m:similar(matrix.new{{2, 0, 0}}, Xall, 1, {metric = "dot"})
  eq(idx:get(1, 1), 1)
  checkerr("similar: k must be between 1 and 4 (the rows of Xall), got 5", m.similar, m, Xall, Xall, 5)
  checkerr("similar: metric must be \"dot\" or \"cosine\", got l1", m.similar, m, Xall, Xall, 1, {metric = "l1"})
end)

case("closing what a running call uses is an error, not a use-after-free (issue 16)", function()
  local R = sparse.from_dense(matrix.rand(30, 20, 1))
  local X = matrix.rand(30, 5, 2)
  local Xv, Rv = matrix.rand(30, 5, 3), sparse.from_dense(matrix.rand(30, 20, 4))
  local m = SimEc.new{input = 5, embedding = 3, output = 20, seed = 1}
  local function fit_closing(victim, close)
    return pcall(m.fit, m, X, R, {epochs = 2, verbose = false, validation = {Xv, Rv},
                                  on_epoch = function() close(victim) end})
  end
  for _, v in ipairs{{X, "matrix"}, {R, "sparse matrix"}, {Xv, "matrix"}, {Rv, "sparse matrix"}} do
    local ok, err = fit_closing(v[1], function(o) o:close() end)
    check(not ok and err:find("cannot close this " .. v[2] .. ": a running call uses it", 1, true), err)
  end
  local ok, err = fit_closing(m, function(o) getmetatable(o).__close(o) end)
  check(not ok and err:find("cannot close this SimEc", 1, true), err)
  -- everything stays usable, and closes once the call has returned
  check(X:sum() > 0 and R:nnz() == 600 and m:predict(X):nrows() == 30)
  ok = pcall(m.fit, m, X, R, {epochs = 1, verbose = false, on_epoch = function() end})
  check(ok, "fits again: the pins were released")
  X:close(); R:close()
  checkerr("attempt to use a closed matrix", X.sum, X)
  local A = matrix.rand(3, 3, 5)
  checkerr("cannot close this matrix", A.apply, A, function(v) A:close() return v end)
  check(A:sum() > 0)
  A:close()
end)

case("SimEc.load checks the architecture and the checksum before allocating for them (issue 16)", function()
  local path = T.tmpname()
  local m = SimEc.new{input = 5, embedding = 3, output = 20, seed = 1}
  m:save(path)
  local good = T.read(path)
  -- one flipped bit in the output size (bytes 41-48, little-endian): 2^20 more outputs, some 25 MB of weights
  local b = good:byte(43)
  T.write(path, good:sub(1, 42) .. string.char(b ~ 0x10) .. good:sub(44))
  local old = simec.limits().memory
  simec.limits{memory = simec.memory() + 16 * 2 ^ 20} -- the Lua heap counts too: 16 MiB more than now
  local before = simec.memory(true)
  local ok, err = pcall(SimEc.load, path)
  local _, peak = simec.memory()
  peak = peak - before
  simec.limits{memory = old}
  check(not ok and err:find("load " .. path .. ": 78 parameters stored, the architecture has 3145806 (corrupted)",
                            1, true), err)
  check(peak < 2 * #good + 65536, ("allocated %d bytes for a %d-byte file"):format(peak, #good))
  -- a flipped bit in the weights: the checksum refuses it
  T.write(path, good:sub(1, 300) .. string.char(good:byte(301) ~ 1) .. good:sub(302))
  checkerr("checksum mismatch (the file is corrupted)", SimEc.load, path)
  T.write(path, good)
  eq(SimEc.load(path):config().output, 20)
  os.remove(path)
end)

case("m.similar / m.explain_rating with a wrong self say so (issue 16)", function()
  local m = SimEc.new{input = 3, embedding = 2, output = 4}
  checkerr("similar: expected a SimEc as self (call m:similar(...)), got matrix", m.similar, matrix.ones(2, 3), nil, 1)
  checkerr("explain_rating: expected a SimEc as self (call m:explain_rating(...)), got nil", m.explain_rating, nil)
end)

case("m:similar leaves the query out; explanations list only features that took part (issue 17)", function()
  local m = SimEc.new{input = 3, embedding = 3, output = 2, seed = 1}
  m:set_layer(1, {W = matrix.eye(3), b = matrix.zeros(1, 3)})
  local Xall = matrix.new{{1, 0, 0}, {0.9, 0.1, 0}, {0, 1, 0}, {0, 0, 1}}
  local idx = m:similar(Xall, Xall, 1)
  eq(idx:get(1, 1), 2) -- not row 1 itself
  eq(idx:get(2, 1), 1)
  idx = m:similar(Xall, Xall, 1, {include_self = true})
  eq(idx:get(1, 1), 1)
  idx = m:similar(Xall:select_rows{1}, Xall, 1, {exclude = {1}})
  eq(idx:get(1, 1), 2)
  checkerr("similar: exclude must list one row of Xall per query row (1), got 2 entries", m.similar, m,
           Xall:select_rows{1}, Xall, 1, {exclude = {1, 2}})
  checkerr("similar: k must be at most 3 when each query leaves one row out", m.similar, m, Xall, Xall, 4)
  local top = lrp.top(matrix.new{{0, 0.5, 0, -2}}, {"a", "b", "c", "d"}, 10)
  eq(#top, 2); eq(top[1][1], "d"); eq(top[2][1], "b")
end)

case("models.fit_split: input, base and on_epoch options and their errors", function()
  local ds = data.synthetic{items = 60, users = 50, ratings = 1500, rank = 2, item_features = 6, user_features = 4,
                            seed = 3}
  local X = {items = ds.items.features, users = ds.users.features}
  local s = splits.split(ds.ratings, "T1")
  local o = {model = "simec", embedding = 3, epochs = 2}
  local function with(extra)
    local t = {}
    for k, v in pairs(o) do t[k] = v end
    for k, v in pairs(extra) do t[k] = v end
    return t
  end
  -- identity input ignores the item features; base "users" keeps the item effects in the residuals
  check((models.fit_split(s, X, with{input = "identity"}):values() - models.fit_split(s, X, o):values()):norm() > 0)
  check((models.fit_split(s, X, with{base = "users"}):values() - models.fit_split(s, X, o):values()):norm() > 0)
  local epochs = {}
  local p = models.fit_split(s, X, with{on_epoch = function(e, predict)
    epochs[#epochs + 1] = e
    eq(predict():nnz(), s.test:nnz())
  end})
  eq(#epochs, 2); eq(p:nnz(), s.test:nnz())
  checkerr("models.fit_split: input must be \"features\" or \"identity\", got dense", models.fit_split, s, X,
           with{input = "dense"})
  checkerr("models.fit_split: on_epoch needs model \"simec\"", models.fit_split, s, X,
           with{model = "two_simec", on_epoch = print})
  checkerr("models.fit_split: optimizer must be a name (adamax, adam or sgd; lr and momentum are options of their " ..
           "own), got table", models.fit_split, s, X, with{optimizer = {"sgd", lr = 1}})
  -- momentum reaches the optimiser: SGD with and without it differ
  check((models.fit_split(s, X, with{optimizer = "sgd", lr = 0.05, momentum = 0}):values() -
         models.fit_split(s, X, with{optimizer = "sgd", lr = 0.05}):values()):norm() > 0, "momentum is used")
  checkerr("models.fit_split: k must be a positive integer (the study's is 100), got nil", models.fit_split, s, X,
           {model = "svd_regression"})
  local s2 = splits.split(ds.ratings, "T2a")
  checkerr("models.fit_split: identity input needs known items (T1)", models.fit_split, s2, X, with{input = "identity"})
  -- a given split needs labelled matrices
  checkerr("splits.given: train and test must be labelled", splits.given, sparse.from_triplets({1}, {1}),
           sparse.from_triplets({1}, {1}))
  -- a test pair the training set rates too is refused, whatever the labels' order in either file
  local function labelled(I, J, V, items, users)
    local R = sparse.from_triplets(I, J, V, {rows = #items, cols = #users})
    R:set_row_labels(items); R:set_col_labels(users)
    return R
  end
  local tr = labelled({1, 2, 2}, {1, 1, 2}, {4, 3, 5}, {"a", "b"}, {"u", "v"})
  local ok_test = labelled({1, 2}, {2, 1}, {1, 2}, {"a", "c"}, {"w", "v"}) -- (a, w) and (c, v): new pairs
  eq(splits.given(tr, ok_test).test:nnz(), 2)
  local bad = labelled({1, 2}, {1, 2}, {2, 0}, {"c", "b"}, {"u", "v"}) -- (b, v) is rated in training
  checkerr("splits.given: 1 of the test set's 2 ratings rate a pair the training set rates too (first: item b, user " ..
           "v); a test set must hold other pairs", splits.given, tr, bad)
end)
