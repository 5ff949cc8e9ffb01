-- Runs every tests/lua/*_spec.lua under ./simec: simec tests/lua/run.lua [SIMEC_BINARY]
os.setlocale("C")
SIMEC_BIN = arg[1] or "./simec"
local T = require "simec.test"
local p = io.popen("ls tests/lua/*_spec.lua")
for file in p:lines() do
  local chunk, err = loadfile(file)
  if not chunk then
    T.case(file, function() error(err) end)
  else
    chunk()
  end
end
p:close()
os.exit(T.summary() and 0 or 1)
