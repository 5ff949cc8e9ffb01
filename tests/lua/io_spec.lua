local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case

case("sparse.read: MovieLens-style ratings keep their ids as labels", function()
  local path = T.write(T.tmpname(), "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t242\t1\t878887116\n")
  local R, info = sparse.read(path, {row = 2, col = 1}) -- items x users
  eq(R:nrows(), 2); eq(R:ncols(), 3); eq(R:nnz(), 3)
  eq(info.lines, 3); eq(info.skipped, 0); eq(info.delim, "\t")
  eq(R:row_label(1), "242"); eq(R:col_label(3), "22")
  eq(R:get(R:row_index(242), R:col_index("22")), 1)
  os.remove(path)
end)

case("sparse.read options and errors name file and line", function()
  local path = T.tmpname()
  T.write(path, "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n")
  local R = sparse.read(path, {header = true})
  eq(R:get(1, 2), 3.0)
  checkerr(path .. ":1: bad number 'rating' in field 3 (a header line? pass header = true)", sparse.read, path)
  T.write(path, "a b\nc d\n")
  eq(sparse.read(path, {delim = " ", value = false}):sum(), 2)
  T.write(path, "1::2::3\n1::3\n")
  checkerr(path .. ":2: expected 3 fields, got 2", sparse.read, path)
  local S, info = sparse.read(path, {skip_bad = true})
  eq(S:nnz(), 1); eq(info.skipped, 1)
  T.write(path, "1,2,3\n1,2,4\n")
  checkerr(path .. ":2: row id '1', column id '2' again (first on line 1; pass duplicates = \"mean\" or \"sum\" to " ..
           "combine them)", sparse.read, path)
  eq(sparse.read(path, {duplicates = "sum"}):get(1, 1), 7)
  eq(sparse.read(path, {duplicates = "mean"}):get(1, 1), 3.5)
  -- pairs (no value field): a header has no number to fail on, so names above numeric ids are caught
  T.write(path, "user,item\n1,2\n3,4\n")
  checkerr(path .. ":1: 'user' and 'item' would be ids, and line 2's are numbers (a header line? pass header = true)",
           sparse.read, path, {value = false})
  eq(sparse.read(path, {value = false, header = true}):nnz(), 2)
  T.write(path, "alice,matrix\nbob,jaws\n") -- ids that are words throughout are ids
  eq(sparse.read(path, {value = false}):nnz(), 2)
  checkerr("sparse.read: row must be an integer in 0..64, got 99", sparse.read, path, {row = 99})
  checkerr("bad field numbers (row 1, col 1, value 3", sparse.read, path, {col = 1})
  -- an id with a NUL inside names no row, and is not compared past the label "alice"
  eq(sparse.read(path, {value = false}):row_index("alice\0\0\0x"), nil)
  -- a value field that is an id field would read the ids as values
  checkerr("bad field numbers (row 1, col 2, value 2", sparse.read, path, {value = 2})
  checkerr("bad field numbers (row 1, col 2, value 1", sparse.read, path, {value = 1})
  checkerr("No such file or directory", sparse.read, "/nonexistent/ratings.csv")
  os.remove(path)
end)

case("Matrix Market round trip", function()
  local path = T.tmpname() .. ".mtx"
  local s = sparse.from_triplets({1, 2, 3}, {3, 1, 2}, {0.1, -2, 1e-300})
  check(s:write_mtx(path) == s)
  local r = sparse.read_mtx(path)
  check(r:dense() == s:dense())
  T.write(path, "%%MatrixMarket matrix coordinate real general\n2 2 9\n")
  checkerr(path .. ":2: 9 entries cannot fit a 2x2 matrix", sparse.read_mtx, path)
  os.remove(path)
  checkerr("cannot create a temporary file", s.write_mtx, s, "/nonexistent/dir/a.mtx")
end)

case("a failed save leaves the existing file intact", function()
  local path = T.tmpname() .. ".npy"
  local m = matrix.ones(2, 2)
  m:save_npy(path)
  local before = T.read(path)
  -- a directory as the target: refused before anything is written
  local dir = T.tmpname()
  os.execute("mkdir " .. dir)
  checkerr(dir .. ": is a directory", m.save_npy, m, dir)
  local q = io.popen("ls -d " .. dir .. ".tmp* 2>/dev/null")
  eq(q:read("a"), "")
  q:close()
  os.execute("rmdir " .. dir)
  eq(T.read(path), before)
  local p = io.popen("ls " .. path .. ".tmp* 2>/dev/null")
  eq(p:read("a"), "")
  p:close()
  os.remove(path)
end)

case("sparse:write writes one line per entry with the labels, read back by sparse.read", function()
  local path = T.tmpname()
  local s = sparse.from_triplets({1, 2, 2}, {2, 1, 3}, {0.5, -2, 1e-300})
  check(s:write(path) == s)
  eq(T.read(path), "1\t2\t0.5\n2\t1\t-2\n2\t3\t1e-300\n")
  s:set_row_labels{"i7", "i9"}
  s:set_col_labels{"u1", "u2", "u3"}
  s:write(path, {delim = ",", transpose = true})
  eq(T.read(path), "u2,i7,0.5\nu1,i9,-2\nu3,i9,1e-300\n")
  local r = sparse.read(path, {row = 2, col = 1})
  eq(r:get(r:row_index("i9"), r:col_index("u3")), 1e-300)
  os.remove(path)
  checkerr("cannot create a temporary file", s.write, s, "/nonexistent/dir/r.tsv")
end)

case("sparse.from_values keeps the structure and replaces the values", function()
  local s = sparse.from_triplets({1, 2}, {2, 1}, {5, 6})
  local t = sparse.from_values(s, matrix{1, 2})
  eq(t:get(1, 2), 1); eq(t:get(2, 1), 2); eq(s:get(1, 2), 5)
  checkerr("from_values: 3 values for 2 stored entries", sparse.from_values, s, matrix{1, 2, 3})
end)

case("crash-safe writes to a device or pipe write in place; a directory is an error", function()
  -- renaming a temporary over /dev/null used to replace the device with a regular file
  simec.write_file("/dev/null", "discarded\n")
  check(os.execute("test -c /dev/null") == true, "/dev/null is still a character device")
  local m = matrix.ones(2, 2)
  m:save_npy("/dev/null")
  check(os.execute("test -c /dev/null") == true, "/dev/null is still a character device after save_npy")
  local d = T.tmpname()
  os.execute("mkdir " .. d)
  T.checkerr(d .. ": is a directory", simec.write_file, d, "x")
  local fifo = T.tmpname()
  if os.execute("mkfifo " .. fifo) then
    local reader = io.popen("cat " .. fifo)
    simec.write_file(fifo, "through the pipe\n")
    T.eq(reader:read("a"), "through the pipe\n")
    reader:close()
    check(os.execute("test -p " .. fifo) == true, "still a pipe")
    os.remove(fifo)
  end
  os.execute("rm -rf " .. d)
end)

case("sparse.read: a fixed field count must reach every field read", function()
  local path = T.write(T.tmpname(), "1\t2\n")
  T.checkerr(path .. ": fields = 2, but the row, column and value fields reach field 3 (fields must be 3..64)",
             sparse.read, path, {fields = 2})
  T.checkerr(path .. ": fields = 1, but the row, column and value fields reach field 2",
             sparse.read, path, {fields = 1, value = false})
  local S = sparse.read(path, {fields = 2, value = false})
  T.eq(S:nnz(), 1)
  os.remove(path)
end)

case("a save removes the temporaries killed saves to the same file left behind, and nothing else", function()
  local path = T.tmpname() .. ".npy"
  local stale, young, other = path .. ".tmpAb3dEf", path .. ".tmpQwErTy", path .. ".tmpXY"
  for _, f in ipairs{stale, young, other} do T.write(f, "x") end
  os.execute("touch -d '1 hour ago' " .. stale .. " " .. other)
  os.execute("touch -d '1 hour' " .. young) -- written after this process started: a save running now
  matrix.ones(2, 2):save_npy(path)
  check(not io.open(stale), "the killed save's temporary is removed")
  check(io.open(young) and io.open(other), "newer ones and other names stay")
  for _, f in ipairs{path, young, other} do os.remove(f) end
end)

case("numbers follow one grammar: no hexadecimal, inf, nan or overflow in ratings (issue 16)", function()
  for _, bad in ipairs{"0x10", "inf", "-inf", "nan", "1e999", "1e", "+", "0x1p3", "1.5.2"} do
    local path = T.write(T.tmpname(), "1\t2\t3\n1\t3\t" .. bad .. "\n")
    checkerr(path .. ":2: bad number '" .. bad .. "' in field 3", sparse.read, path)
    -- on the first line too, and no header hint: these are not column names
    T.write(path, "1\t3\t" .. bad .. "\n")
    local ok, err = pcall(sparse.read, path)
    check(not ok and err:find(path .. ":1: bad number '" .. bad .. "' in field 3", 1, true) and
          not err:find("header", 1, true), err)
    os.remove(path)
  end
  local path = T.write(T.tmpname(), "1\t2\t-1.5e-3\n1\t3\t.5\n2\t2\t5.\n2\t3\t+2E+1\n")
  T.near(sparse.read(path):sum(), -0.0015 + 0.5 + 5 + 20, 1e-12)
  os.remove(path)
  local data = require "simec.data"
  for _, bad in ipairs{"0x10", "inf", "nan", "1e999", " 1", "1 ", ""} do eq(data.number(bad), nil, bad) end
  eq(data.number("-2.5e1"), -25.0); eq(data.number(".5"), 0.5); eq(data.number("7"), 7)
  check(math.type(data.number("7")) == "integer" and math.type(data.number("7.0")) == "float")
  -- why a refused text may have been meant as a number: the readers' errors say the same
  for _, t in ipairs{"3,5", "-12,25", "+0,5"} do
    local v, why = data.number(t)
    eq(v, nil, t); eq(why, "a decimal comma? numbers take a point: 3.5", t)
  end
  for _, t in ipairs{"3,5,1", ",5", "5,", "3.5,1", "x", "0x10"} do eq(select("#", data.number(t)), 1, t) end
  -- the Lua readers and the C readers take the same numbers: one parser
  for _, s in ipairs{"1", "-0", "+3", "1.", ".5", "5e3", "1E-2", "2.5e+1", "00012", "0x10", "inf", "nan", "1e999",
                     "1e", "e5", ".", "+", "-.e1", "1.2.3", "1,5", "1_000", "0b1", "--1", "1e+", "12345678901234567890"} do
    local path = T.write(T.tmpname(), "1\t1\t" .. s .. "\n")
    local ok, S = pcall(sparse.read, path)
    local v = data.number(s)
    eq(ok, v ~= nil, "C reader and data.number disagree on '" .. s .. "'")
    if ok then eq(S:get(1, 1), v + 0.0, s) end
    os.remove(path)
  end
  local f = T.write(T.tmpname(), "id,a,b\n1,0x10,1\n")
  checkerr(f .. ":2: field 2 (a) is not a finite number: '0x10'", data.features_file, f, {"1"}, "item")
  os.remove(f)
end)

case("every reader names a directory as one (issue 16: load_npy said 'bad magic')", function()
  local d = T.tmpname()
  os.execute("mkdir " .. d)
  checkerr(d .. ": is a directory", matrix.load_npy, d)
  checkerr(d .. ": is a directory", sparse.read, d)
  checkerr(d .. ": is a directory", sparse.read_mtx, d)
  checkerr(d .. ": is a directory", SimEc.load, d)
  os.execute("rmdir " .. d)
end)

case(".npy: a key given twice makes the header ambiguous, an error (issue 16)", function()
  local function npy(header, data)
    header = header .. (" "):rep(63 - (10 + #header) % 64) .. "\n"
    return "\147NUMPY\1\0" .. string.char(#header % 256, #header // 256) .. header .. data
  end
  local path = T.tmpname() .. ".npy"
  T.write(path, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), 'shape': (2, 1), }", ("\0"):rep(16)))
  checkerr("a key is given twice in the header", matrix.load_npy, path)
  T.write(path, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", ("\0"):rep(16)))
  eq(matrix.load_npy(path):nrows(), 2)
  os.remove(path)
end)

case("a stray delimiter character is not part of an id (issue 16: ids like ':1193')", function()
  local path = T.write(T.tmpname(), "1::1193::5::978300760\n1:::661::3::978302109\n")
  checkerr(path .. ":2: id ':661' in field 2 begins or ends with a character of the delimiter '::'", sparse.read, path,
           {delim = "::"})
  T.write(path, "1::1193::5::978300760\n2::661::3::978302109\n")
  eq(sparse.read(path, {delim = "::"}):nnz(), 2)
  os.remove(path)
end)

case("a NUL byte in a ratings line is an error, not an id cut short (found by scripts/bench/faults.sh)", function()
  local path = T.write(T.tmpname(), "1\t2\t3\n2\0" .. "44\t51\t2\n")
  checkerr(path .. ":2: a NUL byte in the line", sparse.read, path)
  os.remove(path)
end)

case("sparse.read: CSV fields in double quotes, delimiters inside them; malformed quoting is an error", function()
  local path = T.write(T.tmpname(), 'user,item,rating\n"u 1","Smith, J",4\n "u2" , "Smith, J" ,"5"\n')
  local R = sparse.read(path, {header = true})
  local got = {}
  for i, j, v in R:triplets() do got[#got + 1] = ("%s|%s|%g"):format(R:row_label(i), R:col_label(j), v) end
  table.sort(got)
  eq(table.concat(got, " "), "u 1|Smith, J|4 u2|Smith, J|5")
  -- the delimiter is detected outside quotes: a tab or '::' inside an id does not count
  T.write(path, '"a\tb::c",i1,4\n"d",i2,5\n')
  local S, info = sparse.read(path)
  eq(info.delim, ",")
  eq(S:row_label(1), "a\tb::c")
  os.remove(path)
  for _, c in ipairs{{'"u1,i1,4\n', "a quoted field without its closing quote"},
                     {'"u""1",i1,4\n', "a doubled quote inside a quoted field (not supported)"},
                     {'"u1"x,i1,4\n', "text after a quoted field's closing quote"},
                     {'u1,"",4\n', "empty id in field 2"}} do
    path = T.write(T.tmpname(), "u0,i0,1\n" .. c[1])
    checkerr(path .. ":2: " .. c[2], sparse.read, path)
    os.remove(path)
  end
end)
