-- The benchmarks' own logic (issue 18): a peer must get the data simec
-- fits, in the peer's format (scripts/bench/peers.lua).
local T = require "simec.test"
local check, eq, case = T.check, T.eq, T.case
local data, splits, models = require "simec.data", require "simec.splits", require "simec.models"
local BIN = SIMEC_BIN or "./simec"

-- the data and split of scripts/bench/peers.lua's "100k", and a folder
-- with what MODE wrote for it
local function fixture(mode)
  local dir = T.tmpname()
  os.execute("mkdir -p " .. dir)
  check(os.execute(BIN .. " scripts/bench/peers.lua " .. mode .. " 100k " .. dir .. " >/dev/null"), mode)
  local ds = data.synthetic{items = 1682, users = 943, ratings = 100000, item_features = 40, user_features = 30,
                            seed = 13}
  return dir, ds, splits.split(ds.ratings, "T1", {seed = 13})
end

local function lines(path)
  local t = {}
  for l in io.lines(path) do t[#t + 1] = l end
  return t
end

case("mcmc.sh: libFM's block-structure files hold simec's T1 split, ids and features", function()
  local dir, ds, s = fixture("libfm")
  for _, rel in ipairs{{"item", 1682, ds.items.features}, {"user", 943, ds.users.features}} do
    local name, n, X = rel[1], rel[2], rel[3]
    local x, g = lines(dir .. "/" .. name .. ".libfm"), lines(dir .. "/" .. name .. ".groups")
    eq(#x, n)
    eq(#g, n + X:ncols())
    eq(g[1], "0"); eq(g[n], "0"); eq(g[n + 1], "1"); eq(g[#g], "1")
    -- row r: its id, then its features at n + column - 1, values as stored
    local D = X:dense()
    for _, r in ipairs{1, 2, n} do
      local attrs = {}
      for a, v in x[r]:gmatch("(%d+):(%S+)") do attrs[tonumber(a)] = tonumber(v) end
      check(x[r]:sub(1, 2) == "0 " and attrs[r - 1] == 1, name .. " row " .. r .. ": its id")
      local cnt = 0
      for j = 1, X:ncols() do
        if D:get(r, j) ~= 0 then
          eq(attrs[n + j - 1], D:get(r, j), name .. " row " .. r .. " feature " .. j)
          cnt = cnt + 1
        end
      end
      local all = 0
      for _ in pairs(attrs) do all = all + 1 end
      eq(all, cnt + 1, name .. " row " .. r .. ": nothing else")
    end
  end
  for _, part in ipairs{{"train", s.train}, {"test", s.test}} do
    local y, it, us = lines(dir .. "/" .. part[1] .. ".libfm"), lines(dir .. "/item." .. part[1]),
                      lines(dir .. "/user." .. part[1])
    eq(#y, part[2]:nnz()); eq(#it, #y); eq(#us, #y)
    local c = 0
    for i, j, v in part[2]:triplets() do
      c = c + 1
      if c % 997 == 1 or c == #y then
        eq(tonumber(y[c]), v); eq(tonumber(it[c]), i - 1); eq(tonumber(us[c]), j - 1)
      end
    end
  end
  os.execute("rm -rf " .. dir)
end)

case("mf.sh: LIBMF's files hold simec's T1 split, users as rows, 0-based", function()
  local dir, _, s = fixture("libmf")
  for _, part in ipairs{{"train", s.train}, {"test", s.test}} do
    local l = lines(dir .. "/" .. part[1] .. ".txt")
    eq(#l, part[2]:nnz())
    local c = 0
    for i, j, v in part[2]:triplets() do
      c = c + 1
      if c % 499 == 1 or c == #l then
        local u, it, r = l[c]:match("^(%d+) (%d+) (%S+)$")
        eq(tonumber(u), j - 1); eq(tonumber(it), i - 1); eq(tonumber(r), v)
      end
    end
  end
  os.execute("rm -rf " .. dir)
end)

case("implicit.sh: the interactions file and simec's iALS side (its objective is IALS:loss)", function()
  local dir, ds = fixture("interactions")
  eq(T.read(dir .. "/shape.txt"), "943 1682\n")
  local l = lines(dir .. "/interactions.txt")
  eq(#l, ds.ratings:nnz())
  local c = 0
  for i, j in ds.ratings:triplets() do
    c = c + 1
    if c % 997 == 1 then eq(l[c], ("%d %d"):format(j - 1, i - 1)) end
  end
  local p = io.popen(BIN .. " scripts/bench/peers.lua ials 100k 8 2 10 10 3")
  local out = p:read("a")
  p:close()
  local loss = tonumber(out:match("loss (%S+)"))
  check(out:find("^iter 1 seconds [%d.]+\niter 2 seconds [%d.]+\n"), out)
  local X = ds.ratings:t():map(function() return 1 end)
  local want = models.ials(X, {alpha = 10, lambda = 10, k = 8, iterations = 2, seed = 13}):loss(X)
  T.near(loss, want, 1e-9 * want)
  os.execute("rm -rf " .. dir)
end)

case("dti.sh: the folds and data the numpy peer reads, and simec's KronRLS-GIP side", function()
  local dir = T.tmpname()
  os.execute("mkdir -p " .. dir)
  check(os.execute(BIN .. " scripts/bench/dti.lua write " .. dir .. " 40 30 >/dev/null"), "write")
  local ds = data.synthetic_dti{drugs = 40, targets = 30, rank = 10, density = 2926 / (445 * 664), noise = 1, seed = 7}
  local Y = ds.interactions:t()
  local l = lines(dir .. "/Y.txt")
  eq(l[1], "40 30"); eq(#l, Y:nnz() + 1)
  local c = 1
  for i, j in Y:triplets() do c = c + 1; eq(l[c], ("%d %d"):format(i - 1, j - 1)) end
  -- every pair tested in exactly one fold
  local seen, n = {}, 0
  for line in io.lines(dir .. "/folds.txt") do
    local k, i, j = line:match("^(%d+) (%d+) (%d+)$")
    check(k and tonumber(k) >= 1 and tonumber(k) <= 10, line)
    local key = i .. "," .. j
    check(not seen[key], "pair tested twice: " .. key)
    seen[key], n = true, n + 1
  end
  eq(n, 40 * 30)
  eq(#lines(dir .. "/Sd.txt"), 40); eq(#lines(dir .. "/St.txt"), 30)
  -- fold 1's test-score sum is Kd A Kt at its pairs, the kernels half similarity, half GIP
  local p = io.popen(BIN .. " scripts/bench/dti.lua kron " .. dir .. " 40 30")
  local out = p:read("a")
  p:close()
  check(select(2, out:gsub("fold %d+ seconds [%d.]+ sum %S+\n", "")) == 10, out)
  local fold = splits.cv(Y, "pairs", {folds = 10, seed = 13})[1]
  local Kd = ds.drugs.similarity * 0.5 + models.gip_kernel(fold.train) * 0.5
  local Kt = ds.targets.similarity * 0.5 + models.gip_kernel(fold.train:t()) * 0.5
  local F, want = Kd * models.kronrls(fold.train, Kd, Kt).A * Kt, 0
  for i, j in fold.test:triplets() do want = want + F:get(i, j) end
  T.near(tonumber(out:match("^fold 1 seconds [%d.]+ sum (%S+)")), want, 1e-9 * math.abs(want))
  if os.execute("/usr/bin/python3 -c 'import numpy' 2>/dev/null") then
    p = io.popen("/usr/bin/python3 scripts/bench/dti_numpy.py " .. dir)
    local peer = p:read("a")
    p:close()
    local mine, theirs = {}, {}
    for k, z in out:gmatch("fold (%d+) seconds [%d.]+ sum (%S+)") do mine[tonumber(k)] = tonumber(z) end
    for k, z in peer:gmatch("fold (%d+) seconds [%d.]+ sum (%S+)") do theirs[tonumber(k)] = tonumber(z) end
    for k = 1, 10 do T.near(theirs[k], mine[k], 1e-8 * math.abs(mine[k]) + 1e-12) end
  else
    print("  note: no numpy for /usr/bin/python3 (sh scripts/install-deps.sh --bench): " ..
          "the peer's agreement is not checked")
  end
  os.execute("rm -rf " .. dir)
end)

case("core_latency.c (mcmc.sh): builds warning-free, a round trip in ns on two processors, 0 on one", function()
  local dir = T.tmpname()
  local exe = dir .. "/core_latency"
  os.execute("mkdir -p " .. dir)
  check(os.execute("cc -O2 -Wall -Wextra -Werror -pthread -o " .. exe .. " scripts/bench/core_latency.c"), "build")
  local function run(prefix)
    local p = io.popen(prefix .. exe)
    local out = p:read("a")
    p:close()
    return out
  end
  local one = run("taskset -c 0 ")
  eq(one, "0\n")
  local two = run("")
  check(two:match("^%d+\n$"), two)
  local p = io.popen("nproc")
  local cores = tonumber(p:read("a"))
  p:close()
  if cores and cores > 1 then check(tonumber(two) > 0, two) end
  os.execute("rm -rf " .. dir)
end)
