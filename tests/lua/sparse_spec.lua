local T = require "simec.test"
local check, eq, near, checkerr, case = T.check, T.eq, T.near, T.checkerr, T.case

local function S3() -- 3x4 with 5 entries
  return sparse.from_triplets({1, 1, 2, 3, 3}, {1, 3, 2, 1, 4}, {1, 2, 3, 4, 5})
end

case("sparse from triplets", function()
  local s = S3()
  eq(s:nnz(), 5); eq(select(1, s:shape()), 3); eq(select(2, s:shape()), 4)
  eq(#s, 3); eq(s:nrows(), 3); eq(s:ncols(), 4)
  near(s:density(), 5 / 12)
  eq(s:get(3, 4), 5); eq(s:get(2, 1), 0)
  check(s:dense() == matrix{{1, 0, 2, 0}, {0, 3, 0, 0}, {4, 0, 0, 5}})
  local d = sparse.from_triplets({2, 2}, {1, 1}, {1, 2})
  eq(d:get(2, 1), 3); eq(d:nnz(), 1)
  checkerr("duplicate entry at (2, 1)", sparse.from_triplets, {2, 2}, {1, 1}, {1, 2}, {duplicates = "error"})
  checkerr("sparse.from_triplets: unknown duplicates 'last' (valid: sum, error)", sparse.from_triplets, {1}, {1}, {1},
           {duplicates = "last"})
  local b = sparse.from_triplets({1, 2}, {2, 1}) -- values default to 1
  check(b:dense() == matrix{{0, 1}, {1, 0}})
  eq(sparse.from_triplets({1}, {1}, 7, {rows = 3, cols = 5}):ncols(), 5)
  local m = sparse.from_triplets(matrix{1, 2}, matrix{3, 3}, matrix{0.5, 0.25})
  eq(m:get(2, 3), 0.25)
  checkerr("triplet 1: index (1, 9) out of range for 2x3", sparse.from_triplets, {1}, {9}, {1}, {rows = 2, cols = 3})
  checkerr("triplet 2 has index (0, 1), expected positive integers", sparse.from_triplets, {1, 0}, {1, 1})
  checkerr("rows, cols and values differ in length (2, 1, 2)", sparse.from_triplets, {1, 2}, {1}, {1, 2})
  checkerr("from_triplets: values[2] is a string, expected a number", sparse.from_triplets, {1, 2}, {1, 1}, {1, "x"})
  checkerr("from_triplets: rows must be a list or a matrix, got string", sparse.from_triplets, "x", {1})
  checkerr("sparse 3000000000x1 is too large", sparse.from_triplets, {1}, {1}, 1, {rows = 3000000000})
end)

case("sparse to and from dense", function()
  local d = matrix{{0, 1e-9, 2}, {3, 0, 0}}
  local s = sparse.from_dense(d)
  eq(s:nnz(), 3)
  eq(sparse.from_dense(d, 1e-6):nnz(), 2)
  check(s:dense() == d)
  local big = sparse.from_triplets({1}, {1}, 1, {rows = 100000, cols = 100000})
  checkerr("dense(): a 100000x100000 matrix needs 74.5 GiB, over the limit of 4.0 GiB", big.dense, big)
  checkerr("over the limit of 1000 bytes", s.dense, sparse.from_triplets({1}, {1}, 1, {rows = 20, cols = 20}),
           {limit = 1000})
  local old = sparse.dense_limit()
  sparse.dense_limit(100)
  checkerr("over the limit of 100 bytes", s.dense, sparse.from_triplets({1}, {1}, 1, {rows = 5, cols = 5}))
  sparse.dense_limit(old)
  eq(sparse.dense_limit(), old)
end)

case("sparse transpose, selection, stacking", function()
  local s = S3()
  check(s:t():dense() == s:dense():t())
  check(s:select_rows{3, 1}:dense() == matrix{{4, 0, 0, 5}, {1, 0, 2, 0}})
  check(s:select_cols{4, 1, 1}:dense() == matrix{{0, 1, 1}, {0, 0, 0}, {5, 4, 4}})
  checkerr("row index 4 out of range for a 3x4 sparse matrix", s.select_rows, s, {4})
  checkerr("column index 5 out of range for a 3x4 sparse matrix", s.select_cols, s, {5})
  check(sparse.hstack{s, s}:dense() == matrix.hstack{s:dense(), s:dense()})
  check(sparse.vstack{s, s:select_rows{1}}:dense() == matrix.vstack{s:dense(), s:dense():row(1)})
  checkerr("hstack: 3x4 and 1x4 do not conform (part 2)", sparse.hstack, {s, s:select_rows{1}})
  checkerr("vstack: element 1 is a matrix, expected sparse", sparse.vstack, {matrix.eye(2)})
  eq(s:copy():nnz(), 5)
end)

case("sparse values: scale, map, statistics, iteration", function()
  local s = S3()
  check(s:scale(2):dense() == s:dense() * 2)
  check((s * 2):dense() == (2 * s):dense())
  check(s:map("square"):dense() == s:dense():square())
  check(s:map(function(v) return -v end):dense() == -s:dense())
  checkerr("map: the function returned a string", s.map, s, function() return "x" end)
  check(s:row_sums() == matrix{3, 3, 9})
  check(s:col_sums() == matrix{{5, 3, 2, 5}})
  check(s:row_counts() == matrix{2, 1, 2})
  check(s:col_counts() == matrix{{2, 1, 1, 1}})
  check(s:row_means() == matrix{1.5, 3, 4.5})
  check(s:col_means() == matrix{{2.5, 3, 2, 5}})
  eq(sparse.from_triplets({1}, {1}, 1, {rows = 2, cols = 2}):row_means():get(2), 0) -- empty row: 0
  eq(s:sum(), 15)
  check(s:values() == matrix{1, 2, 3, 4, 5})
  local seen = {}
  for i, j, v in s:triplets() do seen[#seen + 1] = ("%d,%d=%g"):format(i, j, v) end
  eq(table.concat(seen, " "), "1,1=1 1,3=2 2,2=3 3,1=4 3,4=5")
  local cols, vals = s:row(3)
  check(cols == matrix{1, 4} and vals == matrix{4, 5})
  eq(sparse.from_triplets({}, {}, {}, {rows = 2, cols = 2}):nnz(), 0)
end)

case("sparse products", function()
  local s = S3()
  local B = matrix.randn(4, 3, 1)
  check((s * B - s:dense() * B):norm() < 1e-14)
  local v = matrix{1, 2, 3, 4}
  check(s * v == matrix{7, 6, 24})
  local C = matrix.randn(2, 3, 2)
  check((C * s - C * s:dense()):norm() < 1e-14)
  checkerr("sparse * matrix: 3x4 and 3x1 do not conform", function() return s * matrix{1, 2, 3} end)
  checkerr("matrix * sparse: 2x2 and 3x4 do not conform", function() return matrix.eye(2) * s end)
  checkerr("sparse * sparse: not supported", function() return s * s end)
  -- sampled product: U * Vt only at the stored positions of the pattern
  local U, Vt = matrix.randn(3, 2, 3), matrix.randn(2, 4, 4)
  local P = sparse.sample(U, Vt, s)
  local full = U * Vt
  eq(P:nnz(), 5)
  for i, j, x in P:triplets() do near(x, full:get(i, j), 1e-14) end
  checkerr("sample: 3x2 * 3x2 does not conform to pattern 3x4", sparse.sample, U, U, s)
end)

case("sparse labels", function()
  local s = S3()
  checkerr("this sparse matrix has no row labels", s.row_label, s, 1)
  eq(s:row_labels(), nil)
  s:set_row_labels{"a", "b", 7}
  s:set_col_labels{"x", "y", "z", "w"}
  eq(s:row_label(3), "7"); eq(s:row_index("b"), 2); eq(s:row_index(7), 3); eq(s:row_index("q"), nil)
  eq(s:col_index("w"), 4)
  checkerr("row index 4 out of range for a 3x4", s.row_label, s, 4)
  checkerr("set_row_labels: 2 labels for 3 rows", s.set_row_labels, s, {"a", "b"})
  checkerr("set_col_labels: label 2 is a table, expected string", s.set_col_labels, s, {"a", {}, "c", "d"})
  local t = s:t()
  eq(t:row_label(1), "x"); eq(t:col_label(3), "7")
  local sel = s:select_rows{3, 1}
  eq(sel:row_label(1), "7"); eq(sel:col_label(2), "y")
  eq(table.concat(s:row_labels(), ","), "a,b,7")
  local st = sparse.vstack{s, s:select_rows{2}}
  eq(st:row_label(4), "b")
  s:set_row_labels(nil)
  eq(s:row_labels(), nil)
  check(tostring(t):find("row labels column labels", 1, true))
end)

case("sparse printing and closing", function()
  local s = S3()
  eq(tostring(s), "sparse 3x4 (5 nnz, 41.7% dense)\n  (1, 1)  1\n  (1, 3)  2\n  (2, 2)  3\n  (3, 1)  4\n  (3, 4)  5")
  local many = sparse.from_dense(matrix.ones(3, 3))
  check(tostring(many):find("\n  ...$"))
  s:close()
  eq(tostring(s), "sparse (closed)")
  checkerr("attempt to use a closed sparse matrix", s.nnz, s)
  s:close()
  do local c <close> = S3() end
  check(sparse.is(many) and not sparse.is(matrix.eye(1)))
end)

case("sparse + sparse and - for one pattern; other patterns and numbers are errors", function()
  local a = sparse.from_triplets({1, 2, 2}, {1, 1, 3}, {1, 2, 3}, {rows = 2, cols = 3})
  a:set_row_labels({"x", "y"})
  local b = sparse.from_values(a, matrix{{10}, {20}, {30}})
  local function vals(m)
    local t, v = {}, m:values()
    for k = 1, m:nnz() do t[k] = ("%.1f"):format(v:get(k, 1)) end
    return table.concat(t, " ")
  end
  local c = a + b
  eq(vals(c), "11.0 22.0 33.0")
  eq(vals(a - b), "-9.0 -18.0 -27.0")
  eq(vals(a * 0.5 + b * 0.5), "5.5 11.0 16.5")
  eq(c:row_label(2), "y")
  eq(c:nnz(), 3)
  eq(vals(a), "1.0 2.0 3.0") -- operands unchanged
  checkerr("sparse + sparse: the stored entries differ (row 2: column 3 against 2)", function()
    return a + sparse.from_triplets({1, 2, 2}, {1, 1, 2}, {1, 1, 1}, {rows = 2, cols = 3}) end)
  checkerr("sparse - sparse: the stored entries differ (row 1 has 1 and 2)", function()
    return a - sparse.from_triplets({1, 1, 2}, {1, 2, 1}, {1, 1, 1}, {rows = 2, cols = 3}) end)
  checkerr("sparse + sparse: 2x3 and 3x3: the shapes differ", function()
    return a + sparse.from_triplets({1}, {1}, {1}, {rows = 3, cols = 3}) end)
  checkerr("sparse + number: only two sparse matrices of one pattern add", function() return a + 1 end)
  checkerr("sparse - matrix: only two sparse matrices of one pattern add", function() return a - matrix.ones(2, 3) end)
end)
