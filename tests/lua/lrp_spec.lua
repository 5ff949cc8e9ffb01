local T = require "simec.test"
local check, eq, near, checkerr, case = T.check, T.eq, T.near, T.checkerr, T.case

-- a model with random weights and biases: out = W_ll^T (... tanh(X W1 + b1) ...)
local function random_model(hidden, seed)
  local m = SimEc.new{input = 6, embedding = 3, output = 4, hidden = hidden, seed = seed}
  local L = m:layers()
  for i = 1, #L do
    local W = matrix.randn(L[i].W:nrows(), L[i].W:ncols(), seed + i)
    m:set_layer(i, {W = W, b = L[i].b and matrix.randn(1, L[i].b:ncols(), seed + 10 + i) * 0.3 or nil})
  end
  return m
end

-- the pre-activation of output j for each row
local function logits(m, X, j)
  local Y = m:transform(X)
  local V = m:layers()[#m:layers()].W
  return Y * V:select_cols({j})
end

case("lrp: a linear SimEc's epsilon rule (eps -> 0) is the exact decomposition with the bias spread evenly", function()
  local m = random_model(nil, 3)
  local X = matrix.randn(5, 6, 1)
  X:set(2, 3, 0); X:set(2, 5, 0) -- inactive features in row 2
  local L = m:layers()
  local W, b, V = L[1].W, L[1].b, L[2].W
  for _, j in ipairs{1, 4} do
    local R = lrp.explain(m, X, {output = j, rule = "epsilon", eps = 0})
    local z = logits(m, X, j)
    local wv, bv = W * V:select_cols({j}), (b * V:select_cols({j})):get(1, 1)
    for r = 1, 5 do
      local active = 0
      for i = 1, 6 do if X:get(r, i) ~= 0 then active = active + 1 end end
      local sum = 0
      for i = 1, 6 do
        local exact = X:get(r, i) ~= 0 and X:get(r, i) * wv:get(i, 1) + bv / active or 0
        near(R:get(r, i), exact, 1e-9)
        sum = sum + R:get(r, i)
      end
      near(sum, z:get(r, 1), 1e-9) -- relevances sum to the prediction
    end
  end
  -- sparse input gives the same relevances
  local Rs = lrp.explain(m, sparse.from_dense(X), {output = 2, eps = 0})
  check((Rs - lrp.explain(m, X, {output = 2, eps = 0})):abs():max() < 1e-12)
end)

case("lrp: every rule conserves relevance through hidden layers; unused inputs get none", function()
  local m = random_model({{5, "tanh"}, {4, "leaky_relu"}}, 7) -- no unit is exactly 0
  local X = matrix.rand(4, 6, 2) + 0.1
  X:set(3, 4, 0)
  for _, rule in ipairs{"epsilon", "z", "zplus", "alpha_beta", "gamma"} do
    local R = lrp.explain(m, X, {output = 3, rule = rule, eps = 1e-12})
    local z = logits(m, X, 3)
    for r = 1, 4 do
      local sum = 0
      for i = 1, 6 do sum = sum + R:get(r, i) end
      if rule == "epsilon" or rule == "z" then
        near(sum, z:get(r, 1), 1e-8 * math.max(1, math.abs(z:get(r, 1))))
      else -- zplus, alpha-beta (alpha - beta = 1) and gamma conserve where positive parts exist
        check(math.abs(sum) <= 3 * math.abs(z:get(r, 1)) + 1e-9 or math.abs(z:get(r, 1)) < 1e-9,
              ("%s row %d: sum %g, output %g"):format(rule, r, sum, z:get(r, 1)))
      end
      check(R:get(3, 4) == 0) -- an inactive input explains nothing
    end
  end
end)

case("lrp: output = \"all\" explains the sum of the outputs, the sum of the per-output relevances", function()
  local m = random_model({{5, "tanh"}}, 11)
  local X = sparse.from_dense(matrix.rand(3, 6, 4) + 0.1)
  for _, rule in ipairs{"epsilon", "z", "zplus", "alpha_beta", "gamma"} do
    local all = lrp.explain(m, X, {output = "all", rule = rule})
    local sum = lrp.explain(m, X, {output = 1, rule = rule})
    for j = 2, 4 do sum = sum + lrp.explain(m, X, {output = j, rule = rule}) end
    check((all - sum):abs():max() < 1e-10, rule)
  end
  -- a linear SimEc: the relevances sum to the sum of the predictions
  local lin = random_model(nil, 5)
  local R = lrp.explain(lin, X, {output = "all", eps = 0})
  local P = lin:predict(X)
  for r = 1, 3 do near(R:select_rows({r}):sum(), P:select_rows({r}):sum(), 1e-9) end
end)

case("lrp: hand-computed two-layer example", function()
  -- x = (1, 2); embedding z = x W + b with W = [[1, 0], [0, 1]], b = (0, 1); output = z . (1, 1)
  local m = SimEc.new{input = 2, embedding = 2, output = 1, seed = 1}
  m:set_layer(1, {W = matrix.new{{1, 0}, {0, 1}}, b = matrix.new{{0, 1}}})
  m:set_layer(2, {W = matrix.new{{1}, {1}}})
  local R = lrp.explain(m, matrix.new{{1, 2}}, {output = 1, eps = 0})
  -- output 4 = 1 (x1) + 2 (x2) + 1 (bias, spread 0.5 / 0.5)
  near(R:get(1, 1), 1.5, 1e-12)
  near(R:get(1, 2), 2.5, 1e-12)
end)

case("lrp: errors", function()
  local m = random_model(nil, 1)
  checkerr("lrp: output 5 out of range 1..4", lrp.explain, m, matrix.ones(2, 6), {output = 5})
  checkerr("lrp: output 0 out of range 1..4", lrp.explain, m, matrix.ones(2, 6), {output = 0})
  checkerr('lrp.explain: output must be the index of an output (1..4) or "all"', lrp.explain, m, matrix.ones(2, 6),
           {output = "some"})
  checkerr("lrp.explain: unknown rule 'deeplift' (valid: epsilon, z, zplus, alpha_beta, gamma)", lrp.explain, m,
           matrix.ones(2, 6), {output = 1, rule = "deeplift"})
  checkerr("lrp: input has 3 columns, the SimEc expects 6", lrp.explain, m, matrix.ones(2, 3), {output = 1})
  local mi = SimEc.new{input = "identity", rows = 3, embedding = 2, output = 2}
  checkerr("lrp: the model has identity input", lrp.explain, mi, matrix.ones(3, 3), {output = 1})
end)

case("lrp.top lists the features with the largest |relevance|", function()
  local t = lrp.top(matrix.new{{0.1, -3, 2, 0}}, {"a", "b", "c", "d"}, 3)
  eq(#t, 3)
  eq(t[1][1], "b"); eq(t[1][2], -3)
  eq(t[2][1], "c"); eq(t[3][1], "a")
  eq(#lrp.top(matrix.new{{1}, {2}}, {"x", "y"}, 10), 2)
  checkerr("lrp.top: 3 names for 4 relevances", lrp.top, matrix.new{{1, 2, 3, 4}}, {"a", "b", "c"})
  checkerr("lrp.top: relevances must be a vector (one row or column), got 2x2", lrp.top, matrix.ones(2, 2), {"a"})
end)

case("m:explain_rating ranks an item's features for one user and sums to the output", function()
  local m = random_model(nil, 5)
  local x = matrix.new{{1, 0, 2, 0, 0.5, 1}}
  local top, z = m:explain_rating(x, 2, {"a", "b", "c", "d", "e", "f"}, {n = 6})
  local sum = 0
  for _, t in ipairs(top) do sum = sum + t[2] end
  near(sum, z, 1e-9)
  for k = 2, #top do check(math.abs(top[k - 1][2]) >= math.abs(top[k][2])) end
  checkerr("explain_rating: x must be one item's feature row", m.explain_rating, m, matrix.ones(2, 6), 1, {})
end)

case("lrp.explain on a closed model says so (the binding's one SimEc check)", function()
  local closed
  do
    local m <close> = SimEc.new{input = 3, embedding = 2, output = 4, seed = 1}
    closed = m
  end
  checkerr("SimEc: the model was closed", lrp.explain, closed, matrix.ones(1, 3), {output = 1})
  checkerr("SimEc expected, got matrix", lrp.explain, matrix.ones(1, 1), matrix.ones(1, 3), {output = 1})
end)
