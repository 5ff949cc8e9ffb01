-- Sizes past the limits are errors naming the request, before anything is
-- allocated: index widths, headers that claim more than the file holds, and
-- the memory ceiling (simec.limits / SIMEC_MAX_MEMORY).
local T = require "simec.test"
local check, checkerr, case, eq = T.check, T.checkerr, T.case, T.eq

case("limits: 2^31 columns, huge headers and architectures are refused before allocating", function()
  checkerr("sparse 1x2147483648 is too large (at most 2147483647 rows and columns)", sparse.from_triplets, {1}, {1},
           {1}, {rows = 1, cols = 2 ^ 31})
  checkerr("matrix 2147483648x2147483648 is too large", matrix.zeros, 2 ^ 31, 2 ^ 31)
  local path = T.write(T.tmpname(), "%%MatrixMarket matrix coordinate real general\n1 2147483648 1\n1 1 1\n")
  checkerr(":2: 1x2147483648 is too large (at most 2147483647 rows and columns)", sparse.read_mtx, path)
  T.write(path, "%%MatrixMarket matrix coordinate real general\n100000 100000 9000000000\n1 1 1\n")
  checkerr(":2: 9000000000 entries claimed, but only 6 bytes follow", sparse.read_mtx, path)
  local dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000), }"
  T.write(path, "\147NUMPY\1\0" .. string.char(118, 0) .. dict .. (" "):rep(117 - #dict) .. "\n" .. ("\0"):rep(16))
  checkerr("header says 1000000000000x1000 of 8-byte values but the file has 16 bytes of data", matrix.load_npy, path)
  os.remove(path)
end)

case("limits: the memory ceiling turns would-be OOM kills into errors naming the request", function()
  local old = simec.limits().memory
  simec.limits{memory = "1G"}
  local ok, err = pcall(SimEc.new, {input = "identity", rows = 1e6, embedding = 1e6, output = 1e6})
  local ok2, err2 = pcall(matrix.zeros, 3e9, 1)
  local ok3, err3 = pcall(function() return sparse.from_triplets({1}, {1}, {1}, {rows = 2e9, cols = 2}):dense() end)
  simec.limits{memory = old}
  check(not ok and err:find("SimEc parameters: not enough memory (14.6 TiB requested", 1, true), err)
  check(not ok2 and err2:find("matrix: not enough memory (22.4 GiB requested", 1, true), err2)
  check(not ok3 and err3:find("sparse: not enough memory", 1, true), err3) -- its row pointers alone
end)

case("simec.write_file replaces a file whole, and a failed write leaves it as it was", function()
  local path = T.tmpname()
  simec.write_file(path, "first\n")
  simec.write_file(path, "second\n")
  T.check(T.read(path) == "second\n")
  checkerr("/nonexistent-dir/x: cannot create a temporary file", simec.write_file, "/nonexistent-dir/x", "a")
  checkerr("(string expected, got table)", simec.write_file, path, {})
  -- a full disk: the cause is named
  checkerr("/dev/full: write failed: No space left on device", simec.write_file, "/dev/full", ("x"):rep(1 << 17))
  T.check(T.read(path) == "second\n")
  os.remove(path)
end)

case("simec.atomic_file: pieces written in place only at commit; an error, abort or a full disk leaves the old file",
     function()
  local path = T.tmpname()
  simec.write_file(path, "old\n")
  local w = simec.atomic_file(path)
  eq(w:write("a", 1, "\n"), w)
  w:write("b\n")
  eq(T.read(path), "old\n")
  check(tostring(w):find("(open)", 1, true))
  w:commit()
  eq(T.read(path), "a1\nb\n")
  checkerr("atomic_file: " .. path .. " is closed (committed or aborted)", w.write, w, "x")
  checkerr("is closed", w.commit, w)
  -- an error in the middle: the to-be-closed file removes its temporary
  local dir = path:match("^(.*)/")
  local function temporaries()
    local n, p = 0, io.popen("ls -a " .. dir)
    for name in p:lines() do if name:find(path:match("[^/]+$"), 1, true) then n = n + 1 end end
    p:close()
    return n
  end
  local ok, err = pcall(function()
    local v <close> = simec.atomic_file(path)
    v:write("half")
    error("stopped")
  end)
  check(not ok and err:find("stopped$"), err)
  eq(T.read(path), "a1\nb\n"); eq(temporaries(), 1)
  local v = simec.atomic_file(path)
  v:write("never\n")
  v:abort()
  v:abort() -- twice is harmless
  eq(T.read(path), "a1\nb\n"); eq(temporaries(), 1)
  checkerr("/nonexistent-dir/x: cannot create a temporary file", simec.atomic_file, "/nonexistent-dir/x")
  checkerr(dir .. ": is a directory", simec.atomic_file, dir)
  local full = simec.atomic_file("/dev/full")
  checkerr("/dev/full: write failed: No space left on device", full.write, full, ("x"):rep(1 << 17))
  checkerr("(string expected, got table)", v.write, simec.atomic_file(path), {})
  collectgarbage()
  eq(temporaries(), 1) -- the collected one removed its temporary
  os.remove(path)
end)

-- A regular file that cannot grow (RLIMIT_FSIZE, with SIGXFSZ ignored, as
-- a full disk fails a write): every crash-safe writer gives the one
-- message, which names the file and the cause, and leaves the old file
-- and no temporary
case("every crash-safe writer names a failed write alike and keeps the old file", function()
  local path = T.write(T.tmpname(), "old\n")
  local script = T.write(T.tmpname(), ([[
local path = %q
local big = ("x"):rep(1 << 16)
local M = matrix.ones(300, 300)
local S = sparse.from_dense(M)
local m = SimEc.new{input = "identity", rows = 300, embedding = 20, output = 300}
for _, f in ipairs{
  function() simec.write_file(path, big) end,
  function() local w = simec.atomic_file(path); w:write(big); w:commit() end,
  function() M:save_npy(path) end,
  function() M:save_csv(path) end,
  function() S:write(path) end,
  function() S:write_mtx(path) end,
  function() m:save(path) end,
} do
  local ok, err = pcall(f)
  print(ok, (tostring(err):gsub("^[^:]*:%%d+: ", "")))
end
]]):format(path))
  local p = io.popen(("sh -c \"trap '' XFSZ; ulimit -f 8; '%s' '%s'\" 2>&1"):format(SIMEC_BIN or "./simec", script))
  local out = p:read("a")
  p:close()
  local want = ("false\t%s: write failed: File too large (the existing file, if any, is unchanged)\n"):format(path)
  eq(out, want:rep(7))
  eq(T.read(path), "old\n")
  local dir, n = path:match("^(.*)/"), 0
  for name in io.popen("ls " .. dir):lines() do if name:find(path:match("[^/]+$"), 1, true) then n = n + 1 end end
  eq(n, 1, "no temporary is left")
end)

local MB = 1048576
-- makes each maker's result n times, dropping it: the core memory's peak
-- must stay under limit
local function dropped_results_peak(makers, n, limit, what)
  for name, make in pairs(makers) do
    collectgarbage()
    simec.memory(true)
    for _ = 1, n do local _ = make() end
    local _, peak = simec.memory()
    check(peak < limit, ("%s: %d dropped %s peaked at %.0f MiB"):format(name, n, what, peak / MB))
  end
end

-- The GC sees a matrix as a small userdata; every call that gives Lua core
-- memory tells it how much (BIND_CALL). m:t() and m:copy() did not, and 60
-- dropped 8 MiB results piled up to 500 MiB before a collection.
case("limits: dropped results of every kind are collected as they pile up", function()
  local big = matrix.rand(1024, 1024, 1)
  local S = sparse.from_dense(big)
  local makers = {
    ["m:t()"] = function() return big:t() end,
    ["m:copy()"] = function() return big:copy() end,
    ["m * 2"] = function() return big * 2 end,
    ["S:dense()"] = function() return S:dense() end,
    ["S:t()"] = function() return S:t() end,
    ["matrix.rand"] = function() return matrix.rand(1024, 1024) end,
  }
  dropped_results_peak(makers, 60, 160 * MB, "8 MiB results")
end)

-- Results under 1 MiB took no collector step at all: a loop of sums of
-- 20,000-entry predictions (the study's blend) left them to pile up to the
-- 256 MiB of the next full collection, each new one in fresh pages.
case("limits: dropped results under 1 MiB are collected as they pile up too", function()
  local S = sparse.from_dense(matrix.rand(200, 150, 2)) -- 30,000 entries: 360 KiB
  local v = S:values()
  local makers = {
    ["S * a + S * b"] = function() return S * 0.3 + S * 0.7 end,
    ["v * a + v * b"] = function() return v * 0.3 + v * 0.7 end,
    ["S:copy()"] = function() return S:copy() end,
  }
  dropped_results_peak(makers, 1000, 64 * MB, "360 KiB results")
end)
