-- simec.notebook without Jupyter: the display data the kernel sends, the
-- inspect text, and display/show/update outside a notebook (they print).
local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case
local notebook = require "simec.notebook"
local help = require "simec.help"

local function rows_of(html)
  local n = 0
  for _ in html:gmatch("<tr>") do n = n + 1 end
  return n
end

-- the cells of an HTML table, in order
local function cells_of(html)
  local out = {}
  for tag, text in html:gmatch("<(t[dh])>(.-)</t[dh]>") do out[#out + 1] = text end
  return out
end

case("notebook.bundle: text/plain is what the REPL prints", function()
  eq(notebook.bundle(1 + 1)["text/plain"], "2")
  eq(notebook.bundle(1, "a", true)["text/plain"], "1\ta\ttrue")
  eq(notebook.bundle({b = 2, a = 1})["text/plain"], help.repr({b = 2, a = 1}))
  local m = matrix{{1, 2}, {3, 4}}
  eq(notebook.bundle(m, m)["text/plain"], tostring(m) .. "\n" .. tostring(m), "two multi-line values one per line")
  eq(notebook.bundle(m, m)["text/html"], nil, "several values: text only")
end)

case("notebook.bundle: a matrix as an HTML table of the text form's corners", function()
  local m = matrix.zeros(3, 2)
  m:set(2, 1, 1.5)
  local html = notebook.bundle(m)["text/html"]
  check(html:find("<caption>matrix 3x2</caption>", 1, true), html)
  eq(rows_of(html), 1 + 3, "a header and three rows")
  local c = cells_of(html)
  eq(c[4], "1", "row 1's header")
  eq(c[8], "1.5")
  local big = notebook.bundle(matrix.zeros(100, 50))["text/html"]
  eq(rows_of(big), 1 + notebook.MAX_ROWS + 1, "10 rows and the gap")
  local header = big:match("<thead>(.-)</thead>")
  local _, cols = header:gsub("<th>", "")
  eq(cols, 1 + notebook.MAX_COLS + 1, "8 columns, the gap and the row header")
  check(big:find("<th>100</th>", 1, true) and big:find("<th>50</th>", 1, true), "the last row and column shown")
  local v = notebook.bundle(matrix.zeros(4, 1))["text/html"]
  eq(rows_of(v), 5, "a column vector")
end)

case("notebook.bundle: sparse matrices, figures, histories and objects", function()
  local S = sparse.from_triplets({1, 2, 3}, {1, 2, 5}, {1.5, 2, 3})
  local html = notebook.bundle(S)["text/html"]
  check(html:find("sparse 3x5", 1, true) and html:find("<td>1.5</td>", 1, true), html)
  local fig = plot.line({1, 2, 3}, {{1, 4, 9}}, {title = "a < b"})
  local b = notebook.bundle(fig)
  eq(b["image/svg+xml"], fig.svg)
  eq(b["text/html"], fig.svg, "the figure inline in HTML too")
  check(b["text/plain"]:find("^figure"), b["text/plain"])
  local ds = data.synthetic{items = 20, users = 30, ratings = 200, seed = 1}
  html = notebook.bundle(ds)["text/html"]
  check(html:find("<caption>" .. tostring(ds):gsub("[%-%.%+%[%]%(%)%$%^%%%?%*]", "%%%0"):sub(1, 20)) and
        html:find("<td>ratings</td>", 1, true), html)
  local m = SimEc.new{input = 4, embedding = 2, output = 3, seed = 1}
  local h = m:fit(matrix.rand(10, 4, 1), matrix.rand(10, 3, 2), {epochs = 30, verbose = false})
  html = notebook.bundle(h)["text/html"]
  check(html:find("<th>epoch</th>", 1, true), html)
  eq(rows_of(html), 1 + notebook.MAX_ENTRIES + 1, "first and last epochs with a gap")
  check(html:find("<td>30</td>", 1, true), "the last epoch")
end)

case("notebook.bundle: lists of records and notebook.table", function()
  local rows = {{method = "mean", rmse = 1.0}, {method = "SVD <k=10>", rmse = 0.95, extra = "x"}}
  local html = notebook.bundle(rows)["text/html"]
  eq(cells_of(html)[1], "extra", "columns sorted")
  check(html:find("SVD &lt;k=10&gt;", 1, true), "escaped")
  local t = notebook.table(rows, {"method", "rmse"})
  eq(tostring(t), "method      rmse\nmean        1.0000\nSVD <k=10>  0.9500")
  local c = cells_of(notebook.bundle(t)["text/html"])
  eq(table.concat(c, "|"), "method|rmse|mean|1.0000|SVD &lt;k=10&gt;|0.9500")
  checkerr("columns must be a list", function() notebook.table(rows) end)
  checkerr("row 1 is a number", function() notebook.table({1}, {"a"}) end)
  eq(notebook.bundle({1, 2, 3})["text/html"], nil, "a plain list is text")
end)

case("notebook.bundle: a value whose rich form fails still shows its text", function()
  local bad = setmetatable({}, {__name = "broken", __tostring = function() return "broken thing" end,
                                __index = function() error("no fields") end, __pairs = function() error("no pairs") end})
  local b = notebook.bundle(bad)
  eq(b["text/plain"], "broken thing")
  eq(b["text/html"], nil)
end)

case("notebook.inspect: help entries by name, methods by the object's type", function()
  check(notebook.inspect("matrix.zeros"):find("^matrix.zeros%(r, c%)"), notebook.inspect("matrix.zeros"))
  check(notebook.inspect("metrics"):find("^metrics"), "a module")
  _G.__nb_m = matrix.zeros(2, 2)
  check(notebook.inspect("__nb_m:t"):find("matrix:t"), notebook.inspect("__nb_m:t"))
  _G.__nb_m = nil
  eq(notebook.inspect("no_such_name_anywhere"), nil)
  eq(notebook.inspect(""), nil)
end)

case("display, show and update print as the REPL outside a notebook", function()
  local out = {}
  local write = io.write
  io.write = function(...) for _, s in ipairs{...} do out[#out + 1] = s end end
  local ok, err = pcall(function()
    notebook.display(1 + 1, "x")
    notebook.show("step 1", "p")
    notebook.update("p", "step 2")
  end)
  io.write = write
  check(ok, err)
  eq(table.concat(out), "2\nx\nstep 1\nstep 2\n")
  checkerr("id must be a string", function() notebook.show(1) end)
  checkerr("id must be a string", function() notebook.update(nil, 1) end)
end)

case("help.shown is the REPL's text, help.show prints it, bundle's text/plain is it", function()
  local m = matrix{{1, 2}, {3, 4}}
  eq(help.shown(1, "a"), "1\ta")
  eq(help.shown(m, 1), tostring(m) .. "\n1")
  eq(help.shown(), "")
  eq(notebook.bundle(m, 1)["text/plain"], help.shown(m, 1))
end)
