-- Evaluation metrics. Rating metrics compare sparse matrices of the same
-- structure (predictions made at the test pattern) or equal-shaped matrices;
-- the arithmetic runs in C on the value vectors.
local simec = require "simec"
local matrix, sparse = simec.matrix, simec.sparse
local metrics = {}

local function values(x, what)
  if sparse.is(x) then return x:values() end
  if matrix.is(x) then
    local r, c = x:shape()
    return x:reshape(r * c, 1)
  end
  if type(x) == "table" then return matrix.new(#x > 0 and x or {}):reshape(#x, 1) end
  error(("metrics: %s must be a sparse matrix, a matrix or a list, got %s"):format(what, type(x)), 3)
end

local function pair(pred, truth)
  local p, t = values(pred, "prediction"), values(truth, "truth")
  if p:nrows() ~= t:nrows() then
    error(("metrics: %d predictions for %d true values"):format(p:nrows(), t:nrows()), 3)
  end
  if sparse.is(pred) and sparse.is(truth) and pred:nnz() ~= truth:nnz() then
    error("metrics: prediction and truth have different sparsity structures", 3)
  end
  if p:nrows() == 0 then error("metrics: no values to compare", 3) end
  return p, t
end

function metrics.rmse(pred, truth)
  local p, t = pair(pred, truth)
  return (p - t):norm() / math.sqrt(p:nrows())
end

function metrics.mae(pred, truth)
  local p, t = pair(pred, truth)
  return (p - t):abs():mean()
end

function metrics.pearson(a, b)
  local x, y = pair(a, b)
  x, y = x - x:mean(), y - y:mean()
  local d = x:norm() * y:norm()
  return d > 0 and x:dot(y) / d or 0 / 0
end

-- Values closer than TIE of the list's largest magnitude are one value, a
-- tie: scores that are equal in exact arithmetic reach the metrics apart
-- by rounding (a product summed in another order, BLAS on more threads),
-- and ordering them by that noise would make the figures depend on it
-- (docs/results.md, "Ties").
local TIE = 1e-12

-- the gap below which two of the n values of xs are tied
local function tie_gap(xs, n)
  local m = 0
  for i = 1, n do
    local a = math.abs(xs[i])
    if a > m and a < math.huge then m = a end
  end
  return TIE * m
end

local function tied(a, b, gap) return a == b or math.abs(a - b) <= gap end

-- ranks 1..n, ties get their average rank
function metrics.ranks(v)
  local x = values(v, "values")
  local n = x:nrows()
  if n == 0 then return matrix.zeros(0, 1) end
  -- plain Lua arrays: a million get/set calls cost far more than the copies
  local xs, order = x:reshape(1, n):totable()[1], x:argsort():reshape(1, n):totable()[1]
  local r = table.move(xs, 1, n, 1, {}) -- an array of n slots (random-order stores would make a hash)
  local gap = tie_gap(xs, n)
  local i = 1
  while i <= n do
    local j = i
    local vi = xs[order[i]]
    while j < n and tied(xs[order[j + 1]], vi, gap) do j = j + 1 end
    local avg = (i + j) / 2
    for k = i, j do r[order[k]] = avg end
    i = j + 1
  end
  return matrix.new(r)
end

-- mean and sample standard deviation (0 for one value) of a list, as the
-- study's and the examples' spreads over seeds and trials report them
function metrics.mean_sd(xs)
  local n, s = #xs, 0
  for _, x in ipairs(xs) do s = s + x end
  local m = s / n
  local v = 0
  for _, x in ipairs(xs) do v = v + (x - m) ^ 2 end
  return m, n > 1 and math.sqrt(v / (n - 1)) or 0
end

function metrics.spearman(a, b)
  local x, y = pair(a, b)
  return metrics.pearson(metrics.ranks(x), metrics.ranks(y))
end

-- Upper triangles (above the diagonal) of two square matrices as vectors,
-- for comparing similarity matrices.
function metrics.upper(m)
  local n = m:nrows()
  local out, k = matrix.zeros(n * (n - 1) // 2, 1), 0
  for i = 1, n - 1 do -- row i's part right of the diagonal, one copy per row
    out:sub(k + 1, k + n - i, 1, 1):assign(m:sub(i, i, i + 1, n):reshape(n - i, 1))
    k = k + n - i
  end
  return out
end

-- Ranking metrics for one list: scores (a list over candidates), the set
-- of relevant candidates (a table index -> true) and the cut-offs ks (a
-- list). Tied scores (equal to rounding: TIE) are one threshold, never
-- ordered by position: AP sums precision x recall gain at each distinct
-- score (scikit-learn's average precision), and P@k, recall@k and NDCG@k
-- are their expectations over the orders of the tied candidates (within a
-- tied group every position holds a relevant candidate with probability
-- h / m). Without ties these are the usual definitions. Per k: p@k, r@k
-- (hits / relevant), nrecall@k (hits / min(k, relevant): Liang et al.
-- 2018's "Recall@k") and ndcg@k.
local function rank_one(scores, relevant, nrel, ks)
  local n = #scores
  local idx = {}
  for i = 1, n do idx[i] = i end
  table.sort(idx, function(a, b)
    if scores[a] ~= scores[b] then return scores[a] > scores[b] end
    return a < b
  end)
  local function gain(pos) return 1 / (math.log(pos + 1) / math.log(2)) end
  local dcg, topk_hits = {}, {}
  for q = 1, #ks do dcg[q], topk_hits[q] = 0, 0 end
  local hits, ap = 0, 0
  local trapz, prev_r, prev_p = 0, 0, 1 -- the PR curve from (recall 0, precision 1), one point per distinct score
  local gap = tie_gap(scores, n)
  local nneg = n - nrel
  local above, wins = 0, 0 -- irrelevant candidates in the groups above; AUC's pairs won (ties count half)
  local a = 1
  while a <= n do
    local b, h = a, 0
    while b < n and tied(scores[idx[b + 1]], scores[idx[a]], gap) do b = b + 1 end
    for pos = a, b do if relevant[idx[pos]] then h = h + 1 end end
    local g = b - a + 1 - h
    wins = wins + h * (nneg - above - g) + h * g / 2
    above = above + g
    if h > 0 then
      local m = b - a + 1
      hits = hits + h
      ap = ap + h * hits / b -- recall gain h / nrel times precision hits / b, divided by nrel below
      for q, k in ipairs(ks) do
        for pos = a, math.min(b, k) do dcg[q] = dcg[q] + h / m * gain(pos) end
        if a <= k then topk_hits[q] = topk_hits[q] + h * (math.min(b, k) - a + 1) / m end
      end
      local r, p = hits / nrel, hits / b
      trapz = trapz + (r - prev_r) * (p + prev_p) / 2
      prev_r, prev_p = r, p
    elseif hits > 0 then
      prev_p = hits / b -- precision falls at a threshold without hits; the next segment starts there
    end
    a = b + 1
  end
  -- AUC: the chance that a relevant candidate outscores an irrelevant one (ties count half)
  local auc = nrel > 0 and nneg > 0 and wins / (nrel * nneg) or nil
  local out = {auc = auc, aupr = nrel > 0 and ap / nrel or nil, aupr_trapz = nrel > 0 and trapz or nil}
  for q, k in ipairs(ks) do
    local idcg = 0
    for pos = 1, math.min(k, nrel) do idcg = idcg + gain(pos) end
    out["p@" .. k] = topk_hits[q] / k
    out["r@" .. k] = nrel > 0 and topk_hits[q] / nrel or nil
    out["nrecall@" .. k] = nrel > 0 and topk_hits[q] / math.min(k, nrel) or nil
    out["ndcg@" .. k] = idcg > 0 and dcg[q] / idcg or nil
  end
  return out
end

-- AUC and AUPR (average precision) of one pooled list: scores and labels
-- (lists or column vectors; a label is relevant when non-zero)
function metrics.auc_aupr(scores, labels)
  local sc, rel, nrel = {}, {}, 0
  local n = type(scores) == "table" and #scores or scores:nrows()
  local nl = type(labels) == "table" and #labels or labels:nrows()
  if n ~= nl then error(("metrics.auc_aupr: %d scores and %d labels"):format(n, nl), 2) end
  for i = 1, n do
    sc[i] = type(scores) == "table" and scores[i] or scores:get(i)
    local l = type(labels) == "table" and labels[i] or labels:get(i)
    if l ~= 0 then rel[i] = true; nrel = nrel + 1 end
  end
  local r = rank_one(sc, rel, nrel, {1})
  return r.auc, r.aupr, r.aupr_trapz
end

-- metrics.ranking(scores, truth, {k = 10, exclude = train}) averages over
-- the rows of the dense score matrix (e.g. users x items): truth is a sparse
-- matrix of relevant entries (positive values); exclude (sparse) removes
-- known entries from the candidates. Rows without relevant entries are
-- skipped. k is a cut-off or a list of them. Returns {["p@10"] =, ["r@10"]
-- =, ["nrecall@10"] =, ["ndcg@10"] =, auc =, aupr =, aupr_trapz =, rows =}.
function metrics.ranking(scores, truth, opts)
  opts = opts or {}
  local ks = type(opts.k) == "table" and opts.k or {opts.k or 10}
  for _, k in ipairs(ks) do
    if math.type(k) ~= "integer" or k < 1 then
      error(("metrics.ranking: k must be a positive integer or a list of them, got %s"):format(tostring(k)), 2)
    end
  end
  if #ks == 0 then error("metrics.ranking: k is an empty list", 2) end
  local rows, cols = scores:shape()
  local tr, tc = truth:shape()
  if tr ~= rows or tc ~= cols then
    error(("metrics.ranking: scores %dx%d and truth %dx%d do not conform"):format(rows, cols, tr, tc), 2)
  end
  local sums, counts = {}, {}
  local used = 0
  for i = 1, rows do
    local rel_cols, rel_vals = truth:row(i)
    local excl = {}
    if opts.exclude then
      local ec = opts.exclude:row(i)
      for q = 1, ec:nrows() do excl[ec:get(q)] = true end
    end
    local cand, map = {}, {}
    local row = scores:row(i):totable()[1] -- the whole row in one call, not cols get()s
    for j = 1, cols do
      if not excl[j] then cand[#cand + 1] = row[j]; map[j] = #cand end
    end
    local relevant, nrel = {}, 0
    for q = 1, rel_cols:nrows() do
      local j = rel_cols:get(q)
      if rel_vals:get(q) > 0 and map[j] and not relevant[map[j]] then relevant[map[j]] = true; nrel = nrel + 1 end
    end
    if nrel > 0 then
      used = used + 1
      for name, v in pairs(rank_one(cand, relevant, nrel, ks)) do
        sums[name] = (sums[name] or 0) + v
        counts[name] = (counts[name] or 0) + 1
      end
    end
  end
  local out = {rows = used}
  for name, v in pairs(sums) do out[name] = v / counts[name] end
  return out
end

require("simec.help").add{
  "metrics", "Accuracy, correlation and ranking measures.",
  "metrics.rmse(pred, truth)", "Root mean squared error; sparse matrices of one structure, matrices or lists.",
  "metrics.mae(pred, truth)", "Mean absolute error, arguments as rmse.",
  "metrics.pearson(a, b)", "Pearson correlation of two equally long vectors (lists or matrices).",
  "metrics.spearman(a, b)", "Spearman rank correlation (average ranks for ties).",
  "metrics.ranks(v)", "The ranks of v's values (1 = smallest), ties averaged; values closer than 1e-12 of the " ..
  "largest magnitude are ties (rounding separates equal scores).",
  "metrics.mean_sd(xs)", "The mean and the sample standard deviation (n - 1; 0 for one value) of a list of numbers.",
  "metrics.upper(S)", "The strict upper triangle of a square matrix as a vector (for comparing similarity matrices).",
  "metrics.auc_aupr(scores, labels)", "AUC, AUPR as average precision, and AUPR as the trapezoid area under the " ..
  "precision-recall curve from (0, 1), of one pooled list of scores and 0/1 labels; tied scores (equal to 1e-12 of " ..
  "the largest magnitude) are one threshold (AUC counts ties half).",
  "metrics.ranking(scores, truth, {k = 10, exclude = train})", "Precision@k, recall@k, NDCG@k, AUC and AUPR " ..
  "averaged over the rows of a dense score matrix, with relevant entries in sparse truth and known entries " ..
  "excluded; tied scores are never ordered by position (P@k and NDCG@k are their expectations over the tied " ..
  "orders). k: a cut-off or a list ({20, 50, 100}); nrecall@k is Liang et al. 2018's Recall@k (hits / min(k, " ..
  "relevant)).",
}

return metrics
