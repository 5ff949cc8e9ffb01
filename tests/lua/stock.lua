-- The module under stock lua5.4: lua5.4 tests/lua/stock.lua BINDIR
-- require "simec" must give the same types; the specs that do not need the
-- host binary run again here.
os.setlocale("C")
local bindir = arg[1] or "."
package.cpath = bindir .. "/?.so;" .. package.cpath
package.path = "lua/?.lua;" .. package.path
local T = require "simec.test"
simec = require "simec" -- a global, as in the host
T.case("require simec gives the types", function()
  T.check(type(simec.matrix) == "table" and type(simec.sparse) == "table")
  T.eq(type(simec.version), "string")
  local m = simec.matrix.ones(2, 2)
  T.eq(tostring(m), "matrix 2x2\n   1   1\n   1   1")
  T.eq((m * m):sum(), 8)
  T.check(package.loaded["simec.matrix"] == simec.matrix)
end)
for _, m in ipairs(simec.modules) do -- the C globals, as the host sets them
  if m.language == "C" and m.global and m.name ~= "simec" then _G[m.name] = simec[m.name] end
end
for _, f in ipairs{"tests/lua/matrix_spec.lua", "tests/lua/sparse_spec.lua", "tests/lua/io_spec.lua", "tests/lua/fuzz_spec.lua",
                  "tests/lua/rng_spec.lua", "tests/lua/data_spec.lua", "tests/lua/splits_spec.lua",
                  "tests/lua/models_spec.lua", "tests/lua/simec_spec.lua", "tests/lua/plot_spec.lua", "tests/lua/lrp_spec.lua",
                  "tests/lua/report_spec.lua", "tests/lua/help_spec.lua", "tests/lua/limits_spec.lua"} do
  dofile(f)
end
os.exit(T.summary() and 0 or 1)
