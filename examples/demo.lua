-- simec demo: baselines on MovieLens 100K (u1.base / u1.test) when the data
-- is present, else on a synthetic low-rank rating matrix. Every step uses
-- the public matrix/sparse API.
--   simec examples/demo.lua [DATA_DIR] [--json FILE]
local dir, json = nil, nil
local i = 1
while arg[i] do
  if arg[i] == "--json" then json = arg[i + 1]; i = i + 2 else dir = arg[i]; i = i + 1 end
end
dir = dir or "../shared/data/ml-100k"

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

local t0 = simec.clock()
local train, test, dataset
if exists(dir .. "/u1.base") then
  -- rows = items, columns = users, as in the study
  train = sparse.read(dir .. "/u1.base", {row = 2, col = 1})
  test = sparse.read(dir .. "/u1.test", {row = 2, col = 1})
  dataset = "ml-100k"
else
  -- 600 items x 400 users, rank 5 plus biases and noise, 8% observed, 80/20 split
  local items, users, k = 600, 400, 5
  local R = (matrix.randn(items, k, 1) * matrix.randn(k, users, 2)) * (0.6 / math.sqrt(k))
          + matrix.randn(items, 1, 3) * 0.4 + matrix.randn(1, users, 4) * 0.3 + 3.6
          + matrix.randn(items, users, 5) * 0.3
  local keep, split = matrix.rand(items, users, 6), matrix.rand(items, users, 7)
  local tr, te = {{}, {}, {}}, {{}, {}, {}}
  for r = 1, items do
    for c = 1, users do
      if keep:get(r, c) < 0.08 then
        local t = split:get(r, c) < 0.8 and tr or te
        local n = #t[1] + 1
        t[1][n], t[2][n] = r, c
        t[3][n] = math.min(5, math.max(1, math.floor(R:get(r, c) * 2 + 0.5) / 2))
      end
    end
  end
  local ids = function(n, p) local t = {} for x = 1, n do t[x] = p .. x end return t end
  train = sparse.from_triplets(tr[1], tr[2], tr[3], {rows = items, cols = users})
  test = sparse.from_triplets(te[1], te[2], te[3], {rows = items, cols = users})
  for _, s in ipairs{train, test} do s:set_row_labels(ids(items, "i")); s:set_col_labels(ids(users, "u")) end
  dataset = "synthetic"
end
local load_s = simec.clock() - t0
print(("%s: train %s, test %d ratings (%.2fs to load)"):format(dataset, tostring(train):match("^[^\n]*"),
      test:nnz(), load_s))

-- test ratings in the train index space (unknown items/users stay 0)
local ti, tj, tv = {}, {}, {}
for r, c, v in test:triplets() do
  local n = #tv + 1
  ti[n] = train:row_index(test:row_label(r)) or 0
  tj[n] = train:col_index(test:col_label(c)) or 0
  tv[n] = v
end

local mu = train:sum() / train:nnz()
local item_mean, user_mean = train:row_means(), train:col_means()
local item_count, user_count = train:row_counts(), train:col_counts()

-- the study's means model: mu + s*(user mean - mu) + s*(item mean - mu); unknown -> 0
local function means(s, r, c)
  local p = mu
  if r > 0 and item_count:get(r) > 0 then p = p + s * (item_mean:get(r) - mu) end
  if c > 0 and user_count:get(c) > 0 then p = p + s * (user_mean:get(c) - mu) end
  return p
end

local function rmse_mae(pred)
  local se, ae = 0, 0
  for n = 1, #tv do
    local d = pred(n) - tv[n]
    se, ae = se + d * d, ae + math.abs(d)
  end
  return math.sqrt(se / #tv), ae / #tv
end

local results = {}
-- seconds: from t (the start of fitting) to the end of predicting every test rating
local function report(method, t, pred, params)
  local rmse, mae = rmse_mae(pred)
  results[#results + 1] = {method = method, rmse = rmse, mae = mae, seconds = simec.clock() - t, params = params}
end

report("global mean", simec.clock(), function() return mu end, {})
for _, s in ipairs{1, 0.9} do
  local name = s == 1 and "mean" or ("mean(s=%g)"):format(s)
  report(name, simec.clock(), function(n) return means(s, ti[n], tj[n]) end, {shrinkage = s})
end

-- mean + SVD: rank-k SVD of the residual matrix (missing entries 0), evaluated
-- only at the test positions with sparse.sample
local k = 10
local t = simec.clock()
local rr, rc, rv = {}, {}, {}
for r, c, v in train:triplets() do
  local n = #rv + 1
  rr[n], rc[n], rv[n] = r, c, v - means(1, r, c)
end
local resid = sparse.from_triplets(rr, rc, rv, {rows = train:nrows(), cols = train:ncols()})
local U, S, Vt = resid:dense():svd()
local Uk = U:sub(1, U:nrows(), 1, k):mul(S:sub(1, k, 1, 1):t())
local Vk = Vt:sub(1, k, 1, Vt:ncols())
local pi, pj, map = {}, {}, {}
for n = 1, #tv do
  if ti[n] > 0 and tj[n] > 0 then
    pi[#pi + 1], pj[#pj + 1] = ti[n], tj[n]
    map[#pi] = n
  end
end
local pattern = sparse.from_triplets(pi, pj, 1, {rows = train:nrows(), cols = train:ncols()})
local at = sparse.sample(Uk, Vk, pattern)
local extra = {}
for n = 1, #pi do extra[map[n]] = at:get(pi[n], pj[n]) end
report(("mean+SVD(k=%d)"):format(k), t, function(n) return means(1, ti[n], tj[n]) + (extra[n] or 0) end, {k = k})

print(("%-18s %8s %8s %8s"):format("method", "RMSE", "MAE", "seconds"))
for _, r in ipairs(results) do
  print(("%-18s %8.4f %8.4f %8.3f"):format(r.method, r.rmse, r.mae, r.seconds))
end

if json then
  local parts = {}
  for _, r in ipairs(results) do
    local ps = {}
    for key, v in pairs(r.params) do ps[#ps + 1] = ("%q: %s"):format(key, tostring(v)) end
    parts[#parts + 1] = ('{"scenario": "T1", "method": %q, "rmse": %.6f, "mae": %.6f, "seconds": %.4f, "params": {%s}}')
      :format(r.method, r.rmse, r.mae, r.seconds, table.concat(ps, ", "))
  end
  local f = assert(io.open(json, "w"))
  f:write(('{"dataset": %q, "seed": 13, "results": [%s]}\n'):format(dataset, table.concat(parts, ",\n  ")))
  f:close()
  print("wrote " .. json)
end
