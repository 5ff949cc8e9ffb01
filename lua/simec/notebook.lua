-- What a notebook shows: the display data (text/plain, text/html,
-- image/svg+xml) of a value, display(x) in the middle of a cell, and the
-- help text behind the kernel's inspect requests. The Jupyter kernel
-- (simec --kernel) sets notebook.sink; elsewhere display prints as the REPL.
local help = require "simec.help"

local notebook = {}

-- how much of a matrix the HTML form shows: the same corners as the text form
notebook.MAX_ROWS, notebook.MAX_COLS = 10, 8
-- the entries of a sparse matrix, the fields of an object, the epochs of a history
notebook.MAX_ENTRIES = 12

local esc = require("simec.plot").escape

local function num(v)
  if math.type(v) == "integer" then return tostring(v) end
  return ("%.6g"):format(v)
end

-- the indices shown of n: all, or the first and last half of max with a gap (0)
local function pick(n, max)
  if n <= max then
    local all = {}
    for i = 1, n do all[i] = i end
    return all
  end
  local h, out = max // 2, {}
  for i = 1, h do out[#out + 1] = i end
  out[#out + 1] = 0
  for i = n - (max - h) + 1, n do out[#out + 1] = i end
  return out
end

local function html_table(caption, header, rows)
  local p = {'<table class="simec">'}
  if caption then p[#p + 1] = "<caption>" .. esc(caption) .. "</caption>" end
  if header then
    p[#p + 1] = "<thead><tr>"
    for _, h in ipairs(header) do p[#p + 1] = "<th>" .. esc(h) .. "</th>" end
    p[#p + 1] = "</tr></thead>"
  end
  p[#p + 1] = "<tbody>"
  for _, r in ipairs(rows) do
    p[#p + 1] = "<tr>"
    for k, c in ipairs(r) do
      local tag = k == 1 and header and header[1] == "" and "th" or "td"
      p[#p + 1] = ("<%s>%s</%s>"):format(tag, esc(c), tag)
    end
    p[#p + 1] = "</tr>"
  end
  p[#p + 1] = "</tbody></table>"
  return table.concat(p)
end

local function first_line(v)
  return (tostring(v):match("^[^\n]*"))
end

local function matrix_html(m)
  local r, c = m:shape()
  local ri, ci = pick(r, notebook.MAX_ROWS), pick(c, notebook.MAX_COLS)
  local header, rows = {""}, {}
  for _, j in ipairs(ci) do header[#header + 1] = j == 0 and "…" or tostring(j) end
  for _, i in ipairs(ri) do
    local row = {i == 0 and "…" or tostring(i)}
    for _, j in ipairs(ci) do
      row[#row + 1] = (i == 0 or j == 0) and "…" or num(c == 1 and m:get(i) or m:get(i, j))
    end
    rows[#rows + 1] = row
  end
  return html_table(("matrix %dx%d"):format(r, c), header, rows)
end

local function sparse_html(S)
  local rows, n = {}, 0
  for i, j, v in S:triplets() do
    n = n + 1
    if n > notebook.MAX_ENTRIES then rows[#rows + 1] = {"…", "…", "…"} break end
    rows[#rows + 1] = {tostring(i), tostring(j), num(v)}
  end
  return html_table(first_line(S), {"row", "column", "value"}, rows)
end

local function history_html(h)
  local n, rows = h.epochs or #(h.loss or {}), {}
  local has_val = type(h.val) == "table" and h.val[1] ~= nil
  for _, e in ipairs(pick(n, notebook.MAX_ENTRIES)) do
    if e == 0 then rows[#rows + 1] = has_val and {"…", "…", "…"} or {"…", "…"}
    else
      local row = {tostring(e), num(h.loss[e] or 0 / 0)}
      if has_val then row[#row + 1] = num(h.val[e] or 0 / 0) end
      rows[#rows + 1] = row
    end
  end
  return html_table(first_line(h), has_val and {"epoch", "loss", "validation"} or {"epoch", "loss"}, rows)
end

-- a field's value in one cell: scalars as they are, objects by their first line
local function cell(v)
  local t = type(v)
  if t == "number" then return num(v) end
  if t == "string" then return #v > 80 and v:sub(1, 77) .. "..." or v end
  if t == "boolean" then return tostring(v) end
  local mt = getmetatable(v)
  if mt and (mt.__tostring or mt.__name) then return first_line(v) end
  if t == "table" then
    if #v > 0 then return ("list of %d"):format(#v) end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    if #keys > 6 then keys = {keys[1], keys[2], keys[3], keys[4], keys[5], ("... (%d fields)"):format(#keys)} end
    return "{" .. table.concat(keys, ", ") .. "}"
  end
  return t
end

-- an object of simec's (data set, split, model ...): its first line, then its fields
local function object_html(v)
  local keys = {}
  for k, x in pairs(v) do
    if type(k) == "string" and type(x) ~= "function" and k:sub(1, 1) ~= "_" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  local rows = {}
  for i, k in ipairs(keys) do
    if i > notebook.MAX_ENTRIES then rows[#rows + 1] = {"…", ("%d fields"):format(#keys)} break end
    rows[#rows + 1] = {k, cell(v[k])}
  end
  return html_table(first_line(v), {"field", "value"}, rows)
end

-- a list of records with scalar fields (a results table): one row each
local function records_html(list)
  local cols, seen = {}, {}
  for _, r in ipairs(list) do
    for k, x in pairs(r) do
      if type(k) == "string" and not seen[k] and type(x) ~= "table" and type(x) ~= "function" then
        seen[k] = true
        cols[#cols + 1] = k
      end
    end
  end
  if #cols == 0 then return nil end
  table.sort(cols)
  local rows = {}
  for i, r in ipairs(list) do
    if i > 50 then rows[#rows + 1] = {("… %d rows"):format(#list)} break end
    local row = {}
    for k, c in ipairs(cols) do row[k] = r[c] == nil and "" or cell(r[c]) end
    rows[#rows + 1] = row
  end
  return html_table(nil, cols, rows)
end

local function is_records(v)
  if type(v) ~= "table" or getmetatable(v) or #v == 0 then return false end
  for k, r in pairs(v) do
    if math.type(k) ~= "integer" or type(r) ~= "table" or getmetatable(r) then return false end
  end
  return true
end

-- notebook.table(rows, columns): rows (tables) shown with those fields in
-- that order: an HTML table in a notebook, aligned columns as text
local Table = help.shape{__name = "notebook table"}
Table.__index = Table

local function table_cells(t)
  local out = {}
  for i, r in ipairs(t.rows) do
    local row = {}
    for k, c in ipairs(t.columns) do
      local v = r[c]
      row[k] = v == nil and "" or math.type(v) == "float" and ("%.4f"):format(v) or cell(v)
    end
    out[i] = row
  end
  return out
end

Table.__tostring = function(t)
  local cells, width = table_cells(t), {}
  for k, c in ipairs(t.columns) do width[k] = utf8.len(c) or #c end
  for _, row in ipairs(cells) do
    for k, v in ipairs(row) do width[k] = math.max(width[k], utf8.len(v) or #v) end
  end
  local function line(row)
    local p = {}
    for k, v in ipairs(row) do p[k] = v .. (" "):rep(width[k] - (utf8.len(v) or #v)) end
    return (table.concat(p, "  "):gsub("%s+$", ""))
  end
  local lines = {line(t.columns)}
  for _, row in ipairs(cells) do lines[#lines + 1] = line(row) end
  return table.concat(lines, "\n")
end

function notebook.table(rows, columns)
  if type(rows) ~= "table" then error("notebook.table: rows must be a list of tables", 2) end
  if type(columns) ~= "table" or #columns == 0 then error("notebook.table: columns must be a list of field names", 2) end
  for i, r in ipairs(rows) do
    if type(r) ~= "table" then error(("notebook.table: row %d is a %s, not a table"):format(i, type(r)), 2) end
  end
  return setmetatable({rows = rows, columns = columns}, Table)
end

-- The display data of one value beside its text: {mime = text}.
local function rich(v, out)
  local mt = getmetatable(v)
  local name = mt and mt.__name
  if mt == Table then
    out["text/html"] = html_table(nil, v.columns, table_cells(v))
  elseif name == "figure" then
    out["image/svg+xml"] = v.svg
    -- the same figure inline in HTML: nbconvert 6.5 strips the elements of
    -- image/svg+xml outputs when it exports HTML, and prefers text/html
    out["text/html"] = v.svg
  elseif name == "matrix" then
    out["text/html"] = matrix_html(v)
  elseif name == "sparse" then
    out["text/html"] = sparse_html(v)
  elseif name == "fit history" then
    out["text/html"] = history_html(v)
  elseif type(v) == "table" and type(name) == "string" and #v == 0 then -- a list (an explanation) reads best as text
    out["text/html"] = object_html(v)
  elseif is_records(v) then
    out["text/html"] = records_html(v)
  end
end

-- notebook.bundle(...): {["text/plain"] = what the REPL prints, and for one
-- value its HTML table or SVG figure where it has one}
function notebook.bundle(...)
  local n = select("#", ...)
  local out = {["text/plain"] = help.shown(...)}
  if n == 1 then
    local ok, err = pcall(rich, (...), out)
    if not ok then out["text/html"] = nil io.stderr:write("notebook: ", tostring(err), "\n") end
  end
  return out
end

-- display(x, ...): shows each value now, in the middle of a cell (in the
-- REPL and in scripts: prints it as the REPL would)
function notebook.display(...)
  for i = 1, select("#", ...) do
    local v = (select(i, ...))
    if notebook.sink then notebook.sink(notebook.bundle(v)) else help.show(v) end
  end
end

-- notebook.show(x, id): shows x as the display id; notebook.update(id, x)
-- replaces what that display shows (progress in place)
function notebook.show(x, id)
  if type(id) ~= "string" then error("notebook.show: id must be a string", 2) end
  if notebook.sink then notebook.sink(notebook.bundle(x), id) else help.show(x) end
end

function notebook.update(id, x)
  if type(id) ~= "string" then error("notebook.update: id must be a string", 2) end
  if notebook.sink then notebook.sink(notebook.bundle(x), id, true) else help.show(x) end
end

-- notebook.progress([id]): a function(line) for progress: in a notebook
-- one display that each line replaces, elsewhere a line on stderr each
local displays = 0
function notebook.progress(id)
  if id ~= nil and type(id) ~= "string" then error("notebook.progress: id must be a string", 2) end
  displays = displays + 1
  id = id or ("simec-progress-" .. displays)
  local shown = false
  return function(line)
    if not notebook.sink then return io.stderr:write(line, "\n") end
    if shown then notebook.update(id, line) else notebook.show(line, id) end
    shown = true
  end
end

-- The help text of a name at the cursor (a global, a.b.c or obj:method),
-- or nil when it names nothing help knows.
function notebook.inspect(name)
  if type(name) ~= "string" or name == "" then return nil end
  local v, ok = _G, true
  for sep, part in ("." .. name):gmatch("([.:])([%w_]+)") do
    local parent = v
    ok, v = pcall(function() return parent[part] end)
    if not ok or v == nil then v = nil break end
    if sep == ":" and type(parent) ~= "table" then
      local mt = getmetatable(parent)
      return help.text(((mt and mt.__name) or type(parent)) .. ":" .. part)
    end
  end
  local text = help.text(v ~= nil and v or name)
  if text:find("^no help for") then
    if v == nil then return nil end
    return help.repr(v)
  end
  return text
end

help.add{
  "notebook table", "What notebook.table returns: rows and columns; it prints as aligned text and shows as an HTML " ..
  "table in a notebook.",
  "notebook", "What the Jupyter kernel (simec --kernel) shows: the display data of a value (HTML tables for matrices, " ..
  "sparse matrices, fit histories, data sets, splits, models and lists of records; SVG for figures) and display(x) " ..
  "mid-cell. Outside a notebook display prints as the REPL does.",
  "notebook.bundle(...)", "The display data of the values: {[\"text/plain\"] = what the REPL prints} plus, for one " ..
  "value, \"text/html\" or \"image/svg+xml\" where it has one.",
  "notebook.display(...)", "Shows each value now (the global display in the kernel); prints it elsewhere.",
  "notebook.show(x, id)", "Shows x as a display with that id, which notebook.update can replace.",
  "notebook.update(id, x)", "Replaces what the display with that id shows (progress in place).",
  "notebook.progress([id])", "A function(line) for progress lines: in a notebook one display that each line " ..
  "replaces, elsewhere each line on stderr (study.run's default).",
  "notebook.table(rows, columns)", "The rows (tables) with those fields in that order: an HTML table in a notebook, " ..
  "aligned text elsewhere (floats with four decimals).",
  "notebook.inspect(name)", "The help text of a name (a.b.c or obj:method) for the kernel's inspect requests, or nil.",
}

return notebook
