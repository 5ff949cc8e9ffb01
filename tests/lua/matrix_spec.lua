local T = require "simec.test"
local check, eq, near, checkerr, case = T.check, T.eq, T.near, T.checkerr, T.case

local function same(a, b, tol)
  local ra, ca = a:shape()
  local rb, cb = b:shape()
  if ra ~= rb or ca ~= cb then return false end
  for i = 1, ra do
    for j = 1, ca do
      if math.abs(a:get(i, j) - b:get(i, j)) > (tol or 0) then return false end
    end
  end
  return true
end

case("matrix constructors", function()
  local m = matrix{{1, 2, 3}, {4, 5, 6}}
  eq(select(1, m:shape()), 2); eq(select(2, m:shape()), 3)
  eq(m:get(2, 3), 6)
  eq(#m, 2); eq(m:nrows(), 2); eq(m:ncols(), 3)
  local v = matrix.new{1, 2, 3}
  eq(v:nrows(), 3); eq(v:ncols(), 1); eq(v:get(2), 2)
  check(matrix.zeros(2, 3) == matrix.new(2, 3))
  eq(matrix.ones(3, 2):sum(), 6)
  eq(matrix.full(2, 2, 7):sum(), 28)
  eq(matrix.new(2, 2, 5):get(2, 2), 5)
  local I = matrix.eye(3)
  eq(I:sum(), 3); eq(I:get(2, 2), 1); eq(I:get(1, 2), 0)
  eq(select(2, matrix.eye(2, 4):shape()), 4)
  check(matrix.new(m) == m)
  check(matrix.is(m) and not matrix.is({}))
  eq(matrix.zeros(0, 5):nrows(), 0)
  eq(tostring(matrix{}), "matrix 0x0")
end)

case("matrix constructor errors", function()
  checkerr("row 2 has 1 elements, row 1 has 2", matrix.new, {{1, 2}, {3}})
  checkerr("element [1][2] is a string, expected number", matrix.new, {{1, "x"}})
  checkerr("element [2] is a boolean, expected number", matrix.new, {1, true})
  checkerr("row 2 is a number, expected a table", matrix.new, {{1}, 2})
  checkerr("rows must be between 0 and 2^40, got -1", matrix.zeros, -1, 2)
  checkerr("number has no integer representation", matrix.zeros, 1.5, 2)
  checkerr("matrix 1099511627776x1099511627776 is too large", matrix.zeros, 2^40, 2^40)
  checkerr("not enough memory", matrix.zeros, 2^20, 2^20)
  checkerr("table, matrix or rows, columns expected", matrix.new, "x")
end)

case("matrix random streams equal numpy's legacy generator", function()
  -- np.random.seed(13); np.random.rand(2, 3) and np.random.seed(0); np.random.randn(2, 2)
  local u = matrix.rand(2, 3, 13)
  near(u:get(1, 1), 0.77770241, 1e-8); near(u:get(2, 3), 0.45344925, 1e-8)
  local n = matrix.randn(2, 2, 0)
  near(n:get(1, 1), 1.76405235, 1e-8); near(n:get(2, 2), 2.2408932, 1e-8)
  matrix.seed(13)
  check(matrix.rand(2, 3) == u)
  check(matrix.rand(2, 3, 1) ~= u)
  checkerr("seed must be between 0 and 2^32-1", matrix.rand, 1, 1, -1)
end)

case("matrix get/set and index errors", function()
  local m = matrix.zeros(2, 3)
  check(m:set(1, 2, 5) == m)
  eq(m:get(1, 2), 5)
  checkerr("row index 3 out of range for a 2x3", m.get, m, 3, 1)
  checkerr("column index 0 out of range for a 2x3", m.get, m, 1, 0)
  checkerr("row index -1 out of range", m.set, m, -1, 1, 0)
  checkerr("a single index needs a vector, got a 2x3 matrix", m.get, m, 1)
  checkerr("number expected, got string", m.set, m, 1, 1, "x")
  local r = m:row(1)
  r:set(3, 9)
  eq(m:get(1, 3), 9)
  checkerr("element index 4 out of range for a 1x3", r.get, r, 4)
  checkerr("matrix expected, got table", m.get, {}, 1, 1)
end)

case("matrix views share storage", function()
  local m = matrix{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
  local c = m:col(2)
  eq(c:nrows(), 3); eq(c:get(3), 8)
  local s = m:sub(2, 3, 2, 3)
  check(s == matrix{{5, 6}, {8, 9}})
  s:fill(0)
  check(m == matrix{{1, 2, 3}, {4, 0, 0}, {7, 0, 0}})
  m:row(1):assign(matrix{{10, 20, 30}})
  eq(m:get(1, 2), 20)
  m:sub(1, 2, 1, 2):assign(m:sub(2, 3, 2, 3)) -- overlapping views
  check(m == matrix{{0, 0, 30}, {0, 0, 0}, {7, 0, 0}})
  m:col(3):assign(1)
  eq(m:sum(), 10)
  checkerr("assign: 1x3 and 2x2 do not conform", function() m:row(1):assign(matrix.zeros(2, 2)) end)
  checkerr("sub: empty range rows 2..1", m.sub, m, 2, 1, 1, 1)
  local v = m:row(2)
  m = nil
  collectgarbage()
  eq(v:sum(), 1) -- the view keeps the data alive
end)

case("matrix selection, transpose, copy, reshape, stacking", function()
  local m = matrix{{1, 2}, {3, 4}, {5, 6}}
  check(m:select_rows{3, 1, 3} == matrix{{5, 6}, {1, 2}, {5, 6}})
  check(m:select_cols(matrix{2}) == matrix{2, 4, 6})
  checkerr("row index 4 out of range for a 3x2 matrix", m.select_rows, m, {4})
  checkerr("matrix:select_rows: index list entry 1 is 0, expected a positive integer", m.select_rows, m, {0})
  check(m:t() == matrix{{1, 3, 5}, {2, 4, 6}})
  local c = m:copy(); c:set(1, 1, 100)
  eq(m:get(1, 1), 1)
  local r = m:reshape(2, 3)
  check(r == matrix{{1, 2, 3}, {4, 5, 6}})
  r:set(1, 1, -1); eq(m:get(1, 1), -1) -- contiguous: a view
  check(m:sub(1, 3, 2, 2):reshape(1, 3) == matrix{{2, 4, 6}})
  checkerr("reshape: cannot reshape a 3x2 matrix to 4x2", m.reshape, m, 4, 2)
  check(matrix.hstack{m, m:col(1)} == matrix{{-1, 2, -1}, {3, 4, 3}, {5, 6, 5}})
  eq(matrix.vstack{m, m}:nrows(), 6)
  checkerr("hstack: 3x2 and 2x2 do not conform (part 2)", matrix.hstack, {m, matrix.zeros(2, 2)})
  checkerr("vstack: element 2 is a number, expected matrix", matrix.vstack, {m, 3})
  checkerr("vstack: nothing to stack", matrix.vstack, {})
end)

case("matrix arithmetic and broadcasting", function()
  local a = matrix{{1, 2, 3}, {4, 5, 6}}
  check(a + a == a * 2)
  check(2 * a == a + a)
  check(a - 1 == matrix{{0, 1, 2}, {3, 4, 5}})
  check(10 - a == matrix{{9, 8, 7}, {6, 5, 4}})
  check(a / 2 == matrix{{0.5, 1, 1.5}, {2, 2.5, 3}})
  check(1 / matrix{{2, 4}} == matrix{{0.5, 0.25}})
  check(a ^ 2 == a:mul(a))
  check(-a == a * -1)
  check(a + matrix{{10, 20, 30}} == matrix{{11, 22, 33}, {14, 25, 36}})
  check(a - matrix{1, 2} == matrix{{0, 1, 2}, {2, 3, 4}})
  check(a:div(a:sum(2)) == matrix{{1 / 6, 2 / 6, 3 / 6}, {4 / 15, 5 / 15, 6 / 15}})
  check(a:maximum(3) == matrix{{3, 3, 3}, {4, 5, 6}})
  check(a:minimum(matrix{{2, 2, 2}}) == matrix{{1, 2, 2}, {2, 2, 2}})
  checkerr("matrix + matrix: 2x3 and 3x2 do not conform", function() return a + a:t() end)
  checkerr("matrix .* matrix: 2x3 and 2x2 do not conform", a.mul, a, matrix.eye(2))
  checkerr("matrix + string: not supported", function() return a + "x" end)
  checkerr("table - matrix: not supported", function() return {} - a end)
end)

case("matrix products", function()
  local a = matrix{{1, 2, 3}, {4, 5, 6}}
  local b = matrix{{7, 8}, {9, 10}, {11, 12}}
  check(a * b == matrix{{58, 64}, {139, 154}})
  check(a * matrix{1, 1, 1} == matrix{6, 15})
  checkerr("matrix * matrix: 2x3 and 2x3 do not conform", function() return a * a end)
  local big = matrix.randn(60, 40, 1)
  local v = big:sub(5, 50, 3, 30)
  local w = matrix.randn(28, 9, 2)
  local p = v * w
  local q = v:copy() * w
  check(p == q)
  eq(a:dot(a), 91)
  checkerr("dot: 2x3 and 3x2 do not conform", a.dot, a, b)
end)

case("matrix functions and apply", function()
  local x = matrix{{-1, 0, 2}}
  near(x:exp():get(1, 3), math.exp(2))
  near(x:tanh():get(1, 1), math.tanh(-1))
  check(x:relu() == matrix{{0, 0, 2}})
  near(x:sigmoid():get(1, 1), 1 / (1 + math.exp(1)))
  check(x:abs() == matrix{{1, 0, 2}})
  check(x:square() == matrix{{1, 0, 4}})
  near(matrix{{4}}:sqrt():get(1, 1), 2)
  near(matrix{{math.exp(1)}}:log():get(1, 1), 1)
  check(x:apply("relu") == x:relu())
  check(x:apply(function(v) return v * 10 end) == x * 10)
  checkerr("invalid option 'cube'", x.apply, x, "cube")
  checkerr("the function returned a nil for element (1, 1)", x.apply, x, function() end)
  checkerr("boom", x.apply, x, function() error("boom") end)
end)

case("matrix reductions", function()
  local a = matrix{{1, -2, 3}, {4, 5, -6}}
  eq(a:sum(), 5); near(a:mean(), 5 / 6); eq(a:min(), -6); eq(a:max(), 5)
  near(a:norm(), math.sqrt(91))
  check(a:sum(1) == matrix{{5, 3, -3}})
  check(a:sum(2) == matrix{2, 3})
  check(a:max(1) == matrix{{4, 5, 3}})
  check(a:min(2) == matrix{-2, -6})
  check(a:mean(1) == matrix{{2.5, 1.5, -1.5}})
  near(a:norm(2):get(2), math.sqrt(77))
  checkerr("axis must be 1 (down columns) or 2 (along rows)", a.sum, a, 3)
end)

case("matrix argsort and topk", function()
  local a = matrix{{3, 1, 2}, {0, 5, 5}}
  check(a:argsort() == matrix{{2, 3, 1}, {1, 2, 3}})
  check(a:argsort(true) == matrix{{1, 3, 2}, {2, 3, 1}})
  local i, v = a:topk(2)
  check(i == matrix{{1, 3}, {2, 3}})
  check(v == matrix{{3, 2}, {5, 5}})
  i, v = a:topk(1, true)
  check(i == matrix{2, 1} and v == matrix{1, 0})
  local col = matrix{5, 9, 1}
  check(col:argsort() == matrix{3, 1, 2})
  i, v = col:topk(2)
  check(i == matrix{2, 1} and v == matrix{9, 5})
  eq(select(2, a:topk(10):shape()), 3)
end)

case("matrix linear algebra", function()
  local A = matrix{{4, 1, 0}, {1, 3, 1}, {0, 1, 2}}
  local b = matrix{1, 2, 3}
  local x = A:solve(b)
  check((A * x - b):norm() < 1e-14)
  check(matrix.solve(A, b) == x)
  checkerr("solve: matrix must be square, got 3x1", b.solve, b, b)
  checkerr("solve: 3x3 and 2x1 do not conform", A.solve, A, matrix{1, 2})
  checkerr("solve: matrix is singular", matrix.solve, matrix{{1, 2}, {2, 4}}, matrix{1, 1})
  local L = A:cholesky()
  check((L * L:t() - A):norm() < 1e-14)
  eq(L:get(1, 2), 0)
  checkerr("cholesky: matrix is not positive definite", matrix.cholesky or A.cholesky, matrix{{1, 2}, {2, 1}})
  local M = matrix.randn(7, 4, 3)
  local Q, R = M:qr()
  check((Q * R - M):norm() / M:norm() < 1e-14)
  check((Q:t() * Q - matrix.eye(4)):norm() < 1e-14)
  local U, S, Vt = M:svd()
  eq(S:nrows(), 4); eq(U:ncols(), 4)
  check((U:mul(S:t()) * Vt - M):norm() / M:norm() < 1e-14)
  check(S:get(1) >= S:get(2))
  local Uf, _, Vtf = M:svd{full = true}
  eq(Uf:ncols(), 7); eq(Vtf:nrows(), 4)
  local w, V = A:eigh()
  check(w:get(1) <= w:get(2) and w:get(2) <= w:get(3))
  check((A * V - V:mul(w:t())):norm() < 1e-13)
  checkerr("eigh: matrix must be square, got 7x4", M.eigh, M)
end)

case("matrix printing, equality, closing", function()
  local m = matrix{{1, -2.5}, {3, 1e-7}}
  eq(tostring(m), "matrix 2x2\n     1  -2.5\n     3 1e-07")
  local big = tostring(matrix.zeros(100, 100))
  check(big:find("^matrix 100x100\n") and big:find("...", 1, true))
  eq(tostring(matrix{{0 / 0, 1 / 0}}), "matrix 1x2\n nan inf")
  check(m ~= m:t() and m == m:copy())
  check(matrix{{0 / 0}} ~= matrix{{0 / 0}})
  local t = m:totable()
  eq(t[2][1], 3); eq(#t, 2)
  do
    local c <close> = matrix.ones(2, 2)
    eq(c:sum(), 4)
  end
  m:close()
  eq(tostring(m), "matrix (closed)")
  checkerr("attempt to use a closed matrix", m.sum, m)
  checkerr("attempt to use a closed matrix", function() return m + 1 end)
  m:close() -- twice is fine
end)

case("matrix files: npy and csv", function()
  local path = T.tmpname() .. ".npy"
  local m = matrix.randn(5, 3, 4)
  check(m:save_npy(path) == m)
  check(matrix.load_npy(path) == m)
  m:sub(2, 4, 2, 3):save_npy(path)
  check(matrix.load_npy(path) == m:sub(2, 4, 2, 3))
  os.remove(path)
  checkerr("No such file or directory", matrix.load_npy, "/nonexistent/x.npy")
  T.write(path, "junk")
  checkerr(path .. ": not a .npy file (bad magic)", matrix.load_npy, path)
  os.remove(path)
  local csv = T.tmpname() .. ".csv"
  matrix{{1, 0.5}, {-3, 1e-300}}:save_csv(csv)
  eq(T.read(csv), "1,0.5\n-3,1e-300\n")
  matrix{{1, 2}}:save_csv(csv, "\t")
  eq(T.read(csv), "1\t2\n")
  os.remove(csv)
  checkerr("cannot create a temporary file", m.save_csv, m, "/nonexistent/dir/x.csv")
end)

case("matrix memory: dropped matrices are collected", function()
  -- 200 iterations of 8 MB: the GC must hear of the C memory, or the peak
  -- would approach 1.6 GB before a collection
  collectgarbage()
  simec.memory(true)
  local m = matrix.ones(1000, 1000)
  for _ = 1, 200 do m = m + 1 end
  eq(m:get(1, 1), 201)
  local _, peak = simec.memory()
  check(peak < 400e6, ("peak %d bytes"):format(peak))
end)

case("memory ceiling turns an allocation into an error", function()
  local old = simec.limits().memory
  collectgarbage()
  local inuse = simec.memory()
  simec.limits{memory = inuse + 10e6}
  local ok, err = pcall(matrix.zeros, 2000, 2000)
  simec.limits{memory = old}
  check(not ok)
  check(err:find("matrix: not enough memory (30.5 MiB requested", 1, true), err)
  check(err:find("limit", 1, true), err)
  simec.limits{memory = "2G"}
  eq(simec.limits().memory, 2 * 1024 ^ 3)
  simec.limits{memory = old}
  checkerr("limits: memory must be a number of bytes or a size like \"8G\", got 8X", simec.limits, {memory = "8X"})
end)

case("NaN or infinite input to the factorizations and svd.truncated says so (issue 16)", function()
  local A = matrix.ones(3, 3)
  A:set(1, 1, 0 / 0)
  checkerr("solve: the input has NaN or infinite entries", A.solve, A, matrix.ones(3, 1))
  for _, op in ipairs{"cholesky", "qr", "svd", "eigh"} do
    checkerr(op .. ": the input has NaN or infinite entries", A[op], A)
  end
  checkerr("svd: the input has NaN or infinite entries", svd.truncated, A, 1)
  A:set(1, 1, math.huge)
  checkerr("svd: the input has NaN or infinite entries", svd.truncated, sparse.from_dense(A), 1)
end)

case("m:inv_spd: the inverse of a symmetric positive definite matrix, and its errors", function()
  local B = matrix.randn(7, 5, 3)
  local A = B:t() * B + matrix.eye(5) * 0.5
  local X = A:inv_spd()
  same(X * A, matrix.eye(5), 1e-10)
  same(X, matrix.solve(A, matrix.eye(5)), 1e-10)
  same(X, X:t(), 0)
  eq(matrix.zeros(0, 0):inv_spd():nrows(), 0)
  checkerr("inv_spd: matrix is not positive definite (leading minor of order 2)", function()
    return matrix{{1, 2}, {2, 1}}:inv_spd()
  end)
  checkerr("inv_spd: the matrix has NaN or infinite entries", function() return matrix{{0 / 0}}:inv_spd() end)
  checkerr("inv_spd", function() return matrix.zeros(2, 3):inv_spd() end)
end)

case("simec.flops counts the core's matrix products (2mnk), and resets", function()
  local a, b = matrix.randn(50, 30, 1), matrix.randn(30, 20, 2)
  simec.flops(true)
  local _ = a * b
  eq(simec.flops(), 2 * 50 * 30 * 20, "one product")
  _ = a * b
  eq(simec.flops(true), 2 * 2 * 50 * 30 * 20, "reset returns the count so far")
  eq(simec.flops(), 0, "then starts again")
  _ = a:t() * a -- a product like any other
  check(simec.flops() == 2 * 30 * 50 * 30, simec.flops())
  local big = matrix.randn(700, 400, 3) -- split into row blocks; counted once, whole
  simec.flops(true)
  _ = big * matrix.randn(400, 5000, 4)
  eq(simec.flops(), 2 * 700 * 400 * 5000)
end)
