-- Mutated valid files (fixed seed) into every reader: each must either load
-- or raise a non-empty error message; a crash fails the whole suite. (The
-- sanitizer build runs this too; issue 7 brings coverage-guided fuzzing.)
local T = require "simec.test"
local check, case = T.check, T.case

case("readers survive mutated input", function()
  local r = rng.new(20261128)
  local path = T.tmpname()
  local seeds = {
    "196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
    "1::1193::5::978300760\n1::661::3.5::978302109\n",
    "userId,movieId,rating\n1,31,2.5\n",
    "%%MatrixMarket matrix coordinate real general\n3 4 3\n1 1 1.5\n3 4 -2\n2 2 1e-300\n",
    "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n2 1\n3 3\n",
    "\147NUMPY\1\0v\0{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }" .. (" "):rep(50) .. "\n" ..
      ("\0"):rep(16),
  }
  local alphabet = "0123456789\t,:;| \n\r.-+eE%MatrixNUMPY'(){}\0\255abc"
  local loaded, failed = 0, 0
  for _ = 1, 400 do
    local s = seeds[r:integers(1, #seeds + 1)]
    T.write(path, dofile("tests/fuzz/targets.lua").mutate(s, r, alphabet))
    for _, fn in ipairs{function() return sparse.read(path) end,
                        function() return sparse.read(path, {header = true, skip_bad = true, duplicates = "sum"}) end,
                        function() return sparse.read(path, {delim = " ", value = false, order = true}) end,
                        function() return sparse.read_mtx(path) end,
                        function() return matrix.load_npy(path) end} do
      local ok, err = pcall(fn)
      if ok then loaded = loaded + 1 else
        failed = failed + 1
        check(type(err) == "string" and #err > 0, "an error without a message")
      end
    end
  end
  os.remove(path)
  check(loaded > 100 and failed > 100, ("loaded %d, failed %d"):format(loaded, failed))
end)

-- The Lua-side parsers' fuzz corpora (tests/fuzz/seeds and regress, see
-- tests/fuzz/targets.lua): every input must load or raise a message.
case("Lua-side parsers replay their fuzz seed and regression corpora", function()
  local targets = dofile("tests/fuzz/targets.lua")
  local dir = T.tmpname()
  os.remove(dir)
  assert(os.execute(("mkdir -p '%s'"):format(dir)))
  local n = 0
  for _, name in ipairs{"ml100k", "mldat", "mlcsv", "pairs", "features", "genome", "dti", "api"} do
    for _, sub in ipairs{"seeds", "regress"} do
      local p = io.popen(("ls -1 tests/fuzz/%s/%s 2>/dev/null"):format(sub, name))
      for file in p:lines() do
        local f = assert(io.open(("tests/fuzz/%s/%s/%s"):format(sub, name, file), "rb"))
        local input = f:read("a")
        f:close()
        local ok, err = pcall(targets[name], input, dir)
        check(ok or (type(err) == "string" and #err > 0), ("%s/%s: an error without a message"):format(name, file))
        n = n + 1
      end
      p:close()
    end
  end
  os.execute(("rm -rf '%s'"):format(dir))
  check(n >= 13, ("only %d corpus inputs found (run from the repository root)"):format(n))
end)
