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
-- SimEc's Lua methods come with the model type, loaded by the binding at
-- their first use (not patched in by simec.models), and a missing module
-- is an error that names it
T.case("SimEc's Lua methods without simec.models", function()
  T.check(package.loaded["simec.models"] == nil and package.loaded["simec.simec_methods"] == nil)
  local m = simec.SimEc.new{input = "identity", rows = 4, embedding = 2, output = 3, seed = 1}
  T.check(simec.SimEc.is(m) and not simec.SimEc.is(simec.matrix.eye(2)))
  local idx = m:similar(nil, nil, 2)
  T.eq(idx:nrows(), 4)
  T.check(package.loaded["simec.simec_methods"] ~= nil)
  T.check(rawget(getmetatable(m).__index, "explain_rating") ~= nil, "the Lua methods joined the method table")
  local cmd = ("cd / && LUA_PATH='/nonexistent/?.lua' LUA_CPATH='%s/?.so' lua5.4 -e \"local s = require 'simec'; " ..
               "s.SimEc.new{input = 'identity', rows = 4, embedding = 2, output = 3}:similar(nil, nil, 2)\" 2>&1")
               :format(io.popen("cd " .. bindir .. " && pwd"):read("l"))
  local out = io.popen(cmd):read("a")
  T.check(out:find("module 'simec.simec_methods' not found", 1, true), out)
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
