-- In-REPL help. Entries live next to the code they describe: the C bindings
-- register theirs (bind_add_help), each Lua module calls help.add; all go
-- into one registry table keyed by the signature up to its "("
-- or "{": "matrix.zeros", "matrix:t" (a method of matrices), "SimEc.new".
--   help()               topics
--   help(matrix)         a topic: its description and its entries
--   help(matrix.zeros)   one entry (also help("matrix.zeros"), help(m:t) is help("matrix:t"))
--   help(m)              the type of a value: its methods
local help = {}
local simec_ok, simec = pcall(require, "simec") -- stock Lua without simec.so: help still loads
local simec_terminal = simec_ok and simec.terminal or nil

local function entries()
  local reg = debug.getregistry()
  reg["simec.help"] = reg["simec.help"] or {}
  return reg["simec.help"]
end

-- help.add{sig, text, sig, text, ...}
function help.add(list)
  local t = entries()
  for k = 1, #list, 2 do
    local sig, text = list[k], list[k + 1]
    t[sig:match("^([^({]*)")] = {sig, text}
  end
end

-- the topics help() lists, in this order: simec.modules
help.topics = {}
for _, m in ipairs(simec_ok and simec.modules or {}) do help.topics[#help.topics + 1] = m.name end

-- the value behind a key, for matching help(f) to its entry
-- (the userdata types register their metatables under their own names, and
-- luaopen_simec registers each C module as "simec.<name>")
local TYPES = {matrix = true, sparse = true, rng = true, SimEc = true}
local function module_of(name)
  if rawget(_G, name) ~= nil and name ~= "help" then return rawget(_G, name) end
  local ok, m = pcall(require, name == "simec" and "simec" or "simec." .. name)
  return ok and m or nil
end

-- metatables of tables with a known shape, by their __name (help.shape)
local shapes = {}

-- Registers mt (with __name) so help(x) describes tables that carry it.
function help.shape(mt)
  shapes[mt.__name] = mt
  return mt
end

-- the classes of objects written in Lua (model objects), by name: each
-- module registers its own, help("Means:predict") and help(obj) find them
local classes = {}

-- Registers the classes {Name = class, ...} (a class is its objects'
-- metatable, methods in it); returns the table. Without t: every
-- registered class, by name (a copy).
function help.classes(t)
  if t == nil then
    local copy = {}
    for name, class in pairs(classes) do copy[name] = class end
    return copy
  end
  for name, class in pairs(t) do classes[name] = class end
  return t
end

function help.resolve(key)
  if shapes[key] then return shapes[key] end
  if key:find(" ", 1, true) then return debug.getregistry()[key] end -- a shape the C side registers (fit history)
  local mod, dot, name = key:match("^([%w_]+)([.:])([%w_]+)$")
  if not mod then return module_of(key) end
  if dot == "." then
    local m = module_of(mod)
    return type(m) == "table" and m[name] or nil
  end
  local mt = TYPES[mod] and debug.getregistry()[mod] or shapes[mod]
  if mt and type(mt.__index) == "table" then return mt.__index[name] end
  local class = classes[mod]
  return class and class[name] or nil
end

-- up to the first full stop that ends a sentence ("e.g. x" does not)
local function first_sentence(text)
  return text:match("^(.-%.)%s+%u") or text
end

local function wrap(text, width, indent)
  local out, line = {}, indent
  for word in text:gmatch("%S+") do
    if #line + #word + 1 > width and line ~= indent then
      out[#out + 1] = line
      line = indent
    end
    line = line == indent and line .. word or line .. " " .. word
  end
  if line ~= indent then out[#out + 1] = line end
  return table.concat(out, "\n")
end

local function entry_text(e) return e[1] .. "\n" .. wrap(e[2], 78, "  ") end

-- the keys of a topic's entries, sorted
local function members(topic)
  local keys = {}
  for k in pairs(entries()) do
    if k:sub(1, #topic + 1) == topic .. "." or k:sub(1, #topic + 1) == topic .. ":" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  return keys
end

local function topic_text(topic)
  local t = entries()
  local out = {t[topic] and entry_text(t[topic]) or topic .. " (model objects made by models.*)", ""}
  for _, k in ipairs(members(topic)) do
    out[#out + 1] = "  " .. t[k][1]
    out[#out + 1] = wrap(first_sentence(t[k][2]), 78, "      ")
  end
  return table.concat(out, "\n")
end

local function key_of(x)
  local t = entries()
  if type(x) == "string" then return t[x] and x or nil end
  if type(x) == "userdata" then
    local mt = getmetatable(x)
    for name in pairs(TYPES) do
      if debug.getregistry()[name] == mt then return name end
    end
    return nil
  end
  -- tables with a known shape (data sets, splits, fit histories) name it
  -- in their metatable's __name, which has an entry
  local mt = type(x) == "table" and getmetatable(x)
  if mt and type(mt.__name) == "string" and t[mt.__name] then return mt.__name end
  if type(x) == "table" then
    local mt = getmetatable(x)
    for name, class in pairs(classes) do
      if class == mt or class == x then return name end
    end
  end
  for k in pairs(t) do
    if help.resolve(k) == x then return k end
  end
  return nil
end

-- the help text for x (nil: the list of topics)
function help.text(x)
  for _, topic in ipairs(help.topics) do module_of(topic) end -- their entries register on loading
  local t = entries()
  if x == nil then
    local out = {"simec help: help(x) for a module, function, method or value; help(\"matrix:t\") by name.", ""}
    for _, topic in ipairs(help.topics) do
      if t[topic] then
        out[#out + 1] = ("  %-9s %s"):format(topic, wrap(first_sentence(t[topic][2]), 78, (" "):rep(12)):sub(13))
      end
    end
    local names = {}
    for name in pairs(classes) do names[#names + 1] = name end
    table.sort(names)
    if #names > 0 then out[#out + 1] = "  model objects (from models.*): " .. table.concat(names, ", ") end
    return table.concat(out, "\n")
  end
  local key = key_of(x)
  if not key then
    local hint = {}
    if type(x) == "string" then
      for k in pairs(t) do if k:find(x, 1, true) then hint[#hint + 1] = k end end
      table.sort(hint)
    end
    return ("no help for %s%s; help() lists the topics"):format(type(x) == "string" and ("'" .. x .. "'") or type(x),
      #hint > 0 and (" (did you mean " .. table.concat(hint, ", ", 1, math.min(#hint, 8)) .. "?)") or "")
  end
  if #members(key) > 0 then return topic_text(key) end
  return entry_text(t[key])
end

-- The whole registry as Markdown: each topic of help.topics with its
-- entries, then the model objects and the shapes of tables, then anything
-- else; docs/reference.md is this text (make reference), so the reference
-- and help() cannot drift apart.
function help.markdown()
  help.text() -- loads every topic's module, so all entries are registered
  local t, done = entries(), {}
  local out = {"# simec reference", "",
               "Every module, type, function and method, as `help(x)` prints it in the REPL. This file is " ..
               "generated from the help registry by `make reference`; `make test` fails when it is stale. " ..
               "How the pieces fit together: guide.md.", ""}
  local function entry(k, level)
    local sig, text = t[k][1], t[k][2]
    out[#out + 1] = ("%s `%s`"):format(level, sig)
    out[#out + 1] = ""
    out[#out + 1] = text
    out[#out + 1] = ""
    done[k] = true
  end
  local function section(title, keys)
    if #keys == 0 then return end
    out[#out + 1] = "## " .. title
    out[#out + 1] = ""
    for _, k in ipairs(keys) do entry(k, "###") end
  end
  local links, seen = {}, {}
  for _, topic in ipairs(help.topics) do -- anchors as Markdown renderers make them: a repeat gets -1
    local slug = topic:lower()
    links[#links + 1] = ("[%s](#%s%s)"):format(topic, slug, seen[slug] and "-" .. seen[slug] or "")
    seen[slug] = (seen[slug] or 0) + 1
  end
  out[#out + 1] = "Topics: " .. table.concat(links, ", ") .. ", [model objects](#model-objects), [tables](#tables)."
  out[#out + 1] = ""
  for _, topic in ipairs(help.topics) do
    if t[topic] then
      out[#out + 1] = "## " .. topic
      out[#out + 1] = ""
      out[#out + 1] = t[topic][2]
      out[#out + 1] = ""
      done[topic] = true
      for _, k in ipairs(members(topic)) do entry(k, "###") end
    end
  end
  local classes, tables, rest = {}, {}, {}
  for k in pairs(t) do
    if not done[k] then
      local class = k:match("^([%w_]+):")
      if class and help.resolve(class) == nil and t[k] then classes[#classes + 1] = k
      elseif shapes[k] or k:find(" ", 1, true) then tables[#tables + 1] = k
      else rest[#rest + 1] = k end
    end
  end
  table.sort(classes)
  table.sort(tables)
  table.sort(rest)
  section("Model objects", classes)
  section("Tables", tables)
  section("Other entries", rest)
  return (table.concat(out, "\n"):gsub("\n+$", "\n"))
end

-- help(nil): the expression that was nil, from the REPL's line, and the
-- fields of its table that come close to the missing name
local function nil_text()
  local line = debug.getregistry()["simec.repl_line"]
  local expr = type(line) == "string" and line:match("help%s*%(%s*([%w_.:]+)%s*[,)]")
  local base, name = (expr or ""):match("^([%w_.]+)[.:]([%w_]+)$")
  local parent = base and _G
  for seg in (base or ""):gmatch("[^.]+") do
    if type(parent) ~= "table" and type(parent) ~= "userdata" then parent = nil break end
    local ok, v = pcall(function() return parent[seg] end)
    parent = ok and v or nil
  end
  if not expr or expr == "nil" then return "help(nil): the value is nil; help() lists the topics" end
  if type(parent) ~= "table" then
    return ("help(%s): %s is nil%s; help() lists the topics"):format(expr, expr,
      base and parent == nil and (" (so is %s)"):format(base) or "")
  end
  local close = {}
  local function add(k) if type(k) == "string" and (k:find(name, 1, true) or name:find(k, 1, true) or
                              k:sub(1, 3) == name:sub(1, 3)) then close[#close + 1] = base .. "." .. k end end
  for k in pairs(parent) do add(k) end
  local mt = getmetatable(parent)
  if mt and type(mt.__index) == "table" then for k in pairs(mt.__index) do add(k) end end
  table.sort(close)
  return ("help(%s): %s has no field %s%s"):format(expr, base, name,
    #close > 0 and ("; did you mean " .. table.concat(close, ", ", 1, math.min(#close, 6)) .. "?") or
    ("; help(%s) lists what it has"):format(base))
end

-- Long text goes through a pager when standard output is a terminal that
-- it would overflow ($PAGER, else less -FRX, else more); opts.all prints it.
local function page(text, opts)
  local rows = simec_terminal and select(1, simec_terminal())
  local _, lines = text:gsub("\n", "")
  if opts and opts.all or not rows or lines + 2 < rows then return print(text) end
  local pager = os.getenv("PAGER")
  if not pager or pager == "" then
    pager = os.execute("command -v less >/dev/null 2>&1") and "less -FRX" or "more"
  end
  local p = io.popen(pager, "w")
  if not p then return print(text) end
  p:write(text, "\n")
  p:close()
end

setmetatable(help, {__call = function(_, ...)
  local x, opts = ...
  if select("#", ...) > 0 and x == nil then return print(nil_text()) end
  page(help.text(x), opts)
end})

-- How the REPL shows a value: plain tables as their contents (keys sorted,
-- nested tables to depth 2, at most 12 entries each, matrices by their
-- first line), everything else as tostring does.
local function repr(v, depth)
  local mt = getmetatable(v)
  if type(v) ~= "table" or (mt and (mt.__tostring or mt.__name)) then
    if type(v) == "string" and depth > 0 then return ("%q"):format(v):gsub("\\\n", "\\n") end
    local s = tostring(v)
    return depth > 0 and s:match("^[^\n]*") or s
  end
  if depth >= 2 then return "{...}" end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  local n = #v
  table.sort(keys, function(a, b)
    local ta, tb = type(a) == "number", type(b) == "number"
    if ta ~= tb then return ta end
    if ta then return a < b end
    return tostring(a) < tostring(b)
  end)
  local parts = {}
  for i, k in ipairs(keys) do
    if i > 12 then parts[#parts + 1] = ("... (%d entries)"):format(#keys) break end
    local val = repr(v[k], depth + 1)
    if math.type(k) == "integer" and k >= 1 and k <= n then parts[#parts + 1] = val
    elseif type(k) == "string" and k:match("^[%a_][%w_]*$") then parts[#parts + 1] = k .. " = " .. val
    else parts[#parts + 1] = "[" .. repr(k, 1) .. "] = " .. val end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function help.repr(v) return repr(v, 0) end

-- The REPL's text of results: side by side (tab-separated, as lua.c), or
-- one per line when one of them takes several lines (two matrices)
function help.shown(...)
  local out, multi = {}, false
  for i = 1, select("#", ...) do
    out[i] = repr((select(i, ...)), 0)
    multi = multi or out[i]:find("\n", 1, true) ~= nil
  end
  return table.concat(out, multi and "\n" or "\t")
end

-- The REPL's printer (the notebook's text/plain is help.shown too)
function help.show(...)
  io.write(help.shown(...), "\n")
end

help.add{
  "help", "In-REPL help: help() lists the topics, help(x) describes a module, function, method, model object or " ..
  "value (its type's methods); help(\"matrix:t\") looks up by name. Text longer than the terminal goes through " ..
  "$PAGER (else less); help(x, {all = true}) prints it all. help(nil) names the expression that was nil and the " ..
  "fields that come close.",
  "help.text(x)", "The text help(x) prints, as a string.",
  "help.add{sig, text, ...}", "Adds entries (the key is sig up to its '(').",
  "help.resolve(key)", "The function or table an entry describes (nil when it names nothing).",
  "help.shape(mt)", "Registers a metatable with a __name so help(x) describes the tables that carry it.",
  "help.classes{Name = class, ...}", "Registers classes of Lua objects (each its objects' metatable) so " ..
  "help(\"Name:method\") and help(obj) find their entries; returns the table. Each model family registers its own; " ..
  "help.classes() lists them all.",
  "help.repr(v)", "The text the REPL shows for v: plain tables as their sorted contents (depth 2, 12 entries), " ..
  "other values as tostring.",
  "help.show(...)", "The REPL's printer: values tab-separated, or one per line when one takes several lines.",
  "help.shown(...)", "The text help.show prints, without its newline (a notebook's text/plain).",
  "help.markdown()", "The whole registry as Markdown (docs/reference.md, written by make reference).",
}

return help
