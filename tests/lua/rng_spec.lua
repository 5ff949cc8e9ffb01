local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case

-- golden values from NumPy's legacy RandomState (tests/fixtures/rng_golden.txt)
local function golden(kind)
  local rows = {}
  for line in io.lines("tests/fixtures/rng_golden.txt") do
    local k, rest = line:match("^(%a+) (.*)$")
    if k == kind then
      local t = {}
      for w in rest:gmatch("%S+") do t[#t + 1] = w end
      rows[#rows + 1] = t
    end
  end
  return rows
end

case("rng permutation equals np.random.permutation", function()
  local rows = golden("perm")
  eq(#rows, 20)
  for _, t in ipairs(rows) do
    local seed, n = tonumber(t[1]), tonumber(t[2])
    if n <= 1000 then
      local p = rng.new(seed):permutation(n)
      eq(#p, n)
      for i = 4, #t do eq(p[i - 3], tonumber(t[i]) + 1, ("seed %d n %d pos %d"):format(seed, n, i - 3)) end
    end
  end
end)

case("rng uniform, normal, integers, shuffle equal numpy", function()
  for _, t in ipairs(golden("rand")) do
    local r = rng.new(tonumber(t[1]))
    for i = 2, #t do eq(r:uniform(), tonumber(t[i])) end
  end
  for _, t in ipairs(golden("randn")) do
    local r = rng.new(tonumber(t[1]))
    for i = 2, #t do eq(r:normal(), tonumber(t[i])) end
  end
  for _, t in ipairs(golden("randint")) do
    local r = rng.new(tonumber(t[1]))
    local lo, hi = math.tointeger(tonumber(t[2])), math.tointeger(tonumber(t[3]))
    for i = 4, #t do eq(r:integers(lo, hi), math.tointeger(tonumber(t[i]))) end
  end
  for _, t in ipairs(golden("shuffle")) do
    local list = {}
    for i = 0, tonumber(t[2]) - 1 do list[#list + 1] = i end
    rng.new(tonumber(t[1])):shuffle(list)
    for i = 3, #t do eq(list[i - 2], tonumber(t[i])) end
  end
end)

case("rng errors", function()
  checkerr("seed must be between 0 and 2^32-1", rng.new, -1)
  checkerr("seed must be between 0 and 2^32-1", rng.new, 2 ^ 32)
  local r = rng.new(1)
  checkerr("integers: empty range [3, 3)", r.integers, r, 3, 3)
  checkerr("n must be between 0 and 2^40, got -2", r.permutation, r, -2)
  checkerr("rng expected, got table", r.uniform, {})
  eq(#r:permutation(0), 0)
  check(tostring(r):find("^rng %(MT19937"))
end)
