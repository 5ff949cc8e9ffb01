-- help(): every registered function and method has an entry, and every
-- entry names something that exists.
local T = require "simec.test"
local check, eq, case = T.check, T.eq, T.case
local help = require "simec.help"
local simec = require "simec"

local function has(s, part) return s:find(part, 1, true) ~= nil end

case("help: every module function and type method has an entry", function()
  help.text() -- loads every topic's module
  local reg = debug.getregistry()
  local missing = {}
  local function need(key, value)
    if type(value) == "function" and not key:match("[.:]_") and not help.text(key):find("^no help") then return end
    if type(value) == "function" and not key:match("[.:]_") then missing[#missing + 1] = key end
  end
  for _, entry in ipairs(simec.modules) do
    local mod = entry.name
    local m = mod == "simec" and simec or simec[mod] or require("simec." .. mod)
    for name, v in pairs(m) do need(mod .. "." .. name, v) end
  end
  for _, ty in ipairs{"matrix", "sparse", "rng", "SimEc"} do
    for name, v in pairs(reg[ty].__index) do need(ty .. ":" .. name, v) end
  end
  require "simec.models" -- its families register their classes
  for cname, class in pairs(require("simec.help").classes()) do
    for name, v in pairs(class) do need(cname .. ":" .. name, v) end
  end
  table.sort(missing)
  check(#missing == 0, "no help entry for: " .. table.concat(missing, ", "))
end)

case("help: every entry names an existing function or module", function()
  help.text()
  local stale = {}
  for key in pairs(debug.getregistry()["simec.help"]) do
    if help.resolve(key) == nil then stale[#stale + 1] = key end
  end
  table.sort(stale)
  check(#stale == 0, "entries for nothing: " .. table.concat(stale, ", "))
end)

case("help: topics, entries by value and by name, values by type, unknown names", function()
  local top = help.text()
  for _, topic in ipairs{"matrix", "sparse", "SimEc", "models", "metrics", "plot", "lrp"} do
    check(has(top, "\n  " .. topic .. " "), "topic " .. topic .. " listed")
  end
  check(has(help.text(matrix.zeros), "matrix.zeros(r, c)\n  An r x c matrix of zeros."))
  eq(help.text(matrix.zeros), help.text("matrix.zeros"))
  local m = matrix.zeros(2, 2)
  check(has(help.text(m), "matrix:t()"), "a matrix value lists the matrix methods")
  check(has(help.text(m.t), "matrix:t()"), "a method by value")
  check(has(help.text(SimEc.new{input = 2, embedding = 1, output = 1}), "SimEc:fit(X, T [, opts])"))
  check(has(help.text(require("simec.models").means(sparse.from_triplets({1}, {1}, {1}))), "Means:residuals(train)"))
  check(has(help.text(SimEc.new), "SimEc.new{...}\n"), "a constructor whose signature has braces")
  eq(help.text("matrix.zeross"), "no help for 'matrix.zeross'; help() lists the topics")
  check(has(help.text("zeros"), "did you mean matrix.zeros"), help.text("zeros"))
  eq(help.text(print), "no help for function; help() lists the topics")
end)

case("help.repr / help.show: what the REPL prints for tables and several results (issue 17)", function()
  local help = require "simec.help"
  eq(help.repr({b = 2, a = {1, 2, {x = 1}}, [5] = "s\nt"}), '{[5] = "s\\nt", a = {1, 2, {...}}, b = 2}')
  eq(help.repr({m = matrix.eye(2)}), "{m = matrix 2x2}")
  local big = {}
  for i = 1, 20 do big["k" .. i] = i end
  check(help.repr(big):find("... (20 entries)", 1, true))
  eq(help.repr(setmetatable({}, {__tostring = function() return "obj" end})), "obj")
  local out = {}
  local saved = io.write
  io.write = function(...) for _, s in ipairs{...} do out[#out + 1] = s end end
  help.show(1, "x")
  help.show(matrix.full(1, 1, 7), matrix.full(1, 1, 8))
  io.write = saved
  eq(table.concat(out), "1\tx\nmatrix 1x1\n   7\nmatrix 1x1\n   8\n")
end)

case("docs/reference.md is the help registry (make reference rewrites it)", function()
  local f = io.open("docs/reference.md", "rb")
  check(f, "docs/reference.md is missing (run from the project root)")
  local text = f:read("a")
  f:close()
  local want = help.markdown()
  if text ~= want then
    local function lines(s) local t = {} for l in (s .. "\n"):gmatch("([^\n]*)\n") do t[#t + 1] = l end return t end
    local a, b = lines(text), lines(want)
    local n = 1
    while a[n] == b[n] do n = n + 1 end
    error(("docs/reference.md is stale at line %d (run make reference):\n  file: %s\n  help: %s"):format(n,
          tostring(a[n]), tostring(b[n])), 0)
  end
  for _, topic in ipairs(help.topics) do
    check(text:find("\n## " .. topic .. "\n", 1, true), "reference has no section " .. topic)
  end
end)

case("fit histories, model objects and explanations print as summaries and have help (issue 17)", function()
  local models = require "simec.models"
  local m = simec.SimEc.new{input = 3, embedding = 2, output = 4, seed = 1}
  local X = simec.matrix{{1, 0, 1}, {0, 1, 0}, {1, 1, 0}}
  local T = simec.matrix{{1, 0, 2, 0}, {0, 1, 0, 0}, {1, 1, 0, 3}}
  local h = m:fit(X, T, {epochs = 3, verbose = false, validation = {X, T}})
  local text = tostring(h)
  check(text:match("^fit history: 3 epochs, loss [%d.e-]+ %-> [%d.e-]+, validation [%d.e-]+ %-> [%d.e-]+, " ..
                   "best epoch %d$"), text)
  eq(#h.loss, 3)
  check(has(help.text(h), "What m:fit returns"), help.text(h))
  eq(tostring(m:fit(X, T, {epochs = 0, verbose = false})), "fit history: 0 epochs")
  local e, z = m:explain_rating(X:select_rows({1}), 2, {"a", "b", "c"})
  eq(e.output, z)
  local lines = {}
  for l in tostring(e):gmatch("[^\n]+") do lines[#lines + 1] = l end
  eq(lines[1], ("explanation (LRP, epsilon) of output 2 = %.4f:"):format(z))
  eq(#lines, 1 + #e)
  for i, t in ipairs(e) do check(lines[i + 1]:find(t[1], 1, true) and t[2] ~= 0, lines[i + 1]) end
  check(has(help.text(e), "What m:explain_rating returns"), help.text(e))
  local R = simec.sparse.from_triplets({1, 2, 3}, {1, 2, 2}, {3, 4, 5})
  eq(tostring(models.means(R)), "means model: mu 4.0000, shrinkage 1; 3 items x 2 users")
  eq(tostring(models.biases(R, {reg_items = 2, reg_users = 3})), "biases model: mu 4.0000, reg items 2, users 3; " ..
     "3 items x 2 users")
  check(tostring(models.svd(R, 1)):match("^SVD model: rank 1 of 3 items x 2 users, singular values"), "svd")
  check(help.repr(models.means(R)):match("^means model"), "the REPL prints the summary")
  check(has(help.text(models.means(R)), "Means:predict"), "help(model) lists its methods")
end)

case("simec.usage() prints memory in human units; help(nil) in a script says the value is nil", function()
  local u = simec.usage()
  check(math.type(u.now) == "integer" and u.peak >= u.now and u.limit == select(3, simec.memory()), "fields")
  -- "0 bytes" when nothing is held (stock Lua's heap is not counted), else KiB, MiB, GiB
  local unit = "[%d.]+ [KMGT]?i?B" -- 341.6 KiB
  local text = tostring(u):gsub("(%d) bytes", "%1 B")
  check(text:match("^memory: " .. unit .. " now, peak " .. unit .. ", no limit$") or
        text:match("^memory: .* limit " .. unit .. "$"), tostring(u))
  eq(tostring(setmetatable({now = 0, peak = 3 * 2 ^ 20, limit = 2 ^ 30}, getmetatable(u))),
     "memory: 0 bytes now, peak 3.0 MiB, limit 1.0 GiB")
  check(has(help.text(u), "What simec.usage() returns"), help.text(u))
  eq(simec.terminal(), nil) -- the specs' stdout is a pipe
  local out = io.popen((SIMEC_BIN or "./simec") .. " -e 'help(nil)' 2>&1"):read("a")
  eq(out, "help(nil): the value is nil; help() lists the topics\n")
end)
