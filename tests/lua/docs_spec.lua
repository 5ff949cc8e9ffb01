-- The documentation is tested: every REPL transcript (a fenced block that
-- starts with "$ ./simec") and every ```lua block of README.md and
-- docs/tutorial.md runs, and what it prints must be what the document
-- shows. A transcript's input lines ("> ", ">> ") go to `simec -i`; its
-- whole output (stdout and stderr) is compared with the block. A ```lua
-- block runs as a script; a ```output block right after it is compared
-- with what the script prints. Before a block, <!-- not run: REASON -->
-- skips it and <!-- needs: NAME --> runs it only where data.find(NAME)
-- finds the data set; both skips are printed (scripts/docblocks.lua reads
-- the blocks). The man page's options are checked against simec --help.
local T = require "simec.test"
local check, eq, case = T.check, T.eq, T.case
local data = require "simec.data"

local DOCS = {"README.md", "docs/tutorial.md"}

local function read(path)
  local f = assert(io.open(path, "rb"), path .. " is missing (run from the project root)")
  local text = f:read("a")
  f:close()
  return text
end

local docblocks = dofile("scripts/docblocks.lua") -- the parsing update-transcripts.lua uses too
local blocks, run, skip_reason = docblocks.blocks, docblocks.run, docblocks.skip_reason

local function lines_of(s)
  local t = {}
  for l in (s:gsub("\n$", "") .. "\n"):gmatch("([^\n]*)\n") do t[#t + 1] = (l:gsub("%s+$", "")) end
  return t
end

-- whether two lines are the same up to their numbers' last digits (BLAS
-- kernels differ between machines in the 15th digit): the text between
-- numbers must match and each number pair agree to 1e-6 relative
local NUM = "%-?%d+%.?%d*[eE]?[-+]?%d*"
local function same_line(a, b)
  if a == b then return true end
  if not a or not b or a:gsub(NUM, "#") ~= b:gsub(NUM, "#") then return false end
  local na, nb = {}, {}
  for x in a:gmatch(NUM) do na[#na + 1] = tonumber(x) end
  for x in b:gmatch(NUM) do nb[#nb + 1] = tonumber(x) end
  for k = 1, #na do
    local x, y = na[k], nb[k]
    if not x or not y or math.abs(x - y) > 1e-6 * math.max(math.abs(x), math.abs(y), 1e-3) then return false end
  end
  return true
end

-- the first line where got and want differ, or nil
local function differ(got, want)
  for k = 1, math.max(#got, #want) do
    if not same_line(got[k], want[k]) then return k end
  end
  return nil
end

local function compare(doc, b, got_text, want)
  local got = lines_of(got_text)
  -- the banner names the Lua release the host was built with
  if got[1] and want[1] then
    got[1] = got[1]:gsub("^simec [%d.]+ %(Lua [%d.]+%)$", "simec VERSION")
    want[1] = want[1]:gsub("^simec [%d.]+ %(Lua [%d.]+%)$", "simec VERSION")
  end
  local k = differ(got, want)
  if k then
    error(("%s:%d: the block's output differs at its line %d (make docs-transcripts rewrites the outputs; " ..
           "review the diff):\n  shown: %s\n  got:   %s"):format(doc, b.line, k, tostring(want[k]), tostring(got[k])), 0)
  end
end

for _, doc in ipairs(DOCS) do
  case(doc .. ": every transcript and Lua block prints what the document shows", function()
    local bs = blocks(read(doc))
    local ran, skipped = 0, {}
    for n, b in ipairs(bs) do
      local transcript = docblocks.is_transcript(b)
      if transcript or b.info == "lua" then
        local why = skip_reason(b)
        if why then
          skipped[#skipped + 1] = ("line %d (%s)"):format(b.line, why)
        elseif transcript then
          local want = {}
          for k = 2, #b.lines do want[#want + 1] = b.lines[k]:gsub("%s+$", "") end
          compare(doc, b, run(SIMEC_BIN .. " -i", docblocks.input(b)), want)
          ran = ran + 1
        else
          local got = run(SIMEC_BIN .. " -", table.concat(b.lines, "\n") .. "\n")
          local nxt = bs[n + 1]
          if nxt and nxt.info == "output" then
            compare(doc, b, got, (function()
              local w = {}
              for _, l in ipairs(nxt.lines) do w[#w + 1] = l:gsub("%s+$", "") end
              return w
            end)())
          else
            check(got == "", ("%s:%d: the block printed output the document does not show:\n%s"):format(doc, b.line,
                  got))
          end
          ran = ran + 1
        end
      end
    end
    check(ran + #skipped > 0, doc .. " has no Lua block")
    io.write(("docs_spec: %s: %d blocks ran"):format(doc, ran))
    if #skipped > 0 then io.write(("; skipped %s"):format(table.concat(skipped, ", "))) end
    io.write("\n")
  end)
end

case("the test finds differences: a stale transcript fails, naming the line", function()
  local b = blocks("x\n```\n$ ./simec\nsimec 0.1.0 (Lua 5.4.4)\n> 1 + 1\n3\n> \n```\n")[1]
  local want = {}
  for k = 2, #b.lines do want[#want + 1] = b.lines[k] end
  local ok, err = pcall(compare, "doc.md", b, run(SIMEC_BIN .. " -i", "1 + 1\n"), want)
  check(not ok and err:find("doc.md:2: the block's output differs at its line 3 (", 1, true) and
        err:find("\n  shown: 3\n  got:   2", 1, true),
        tostring(err))
  check(same_line("rmse 1.0435149386112\t3", "rmse 1.0435149386131\t3"), "the 14th digit may differ")
  check(not same_line("rmse 1.0435\t3", "rmse 1.0436\t3"), "the 4th may not")
  check(not same_line("fit history: 20 epochs", "fit history: 21 epochs"), "nor an integer")
  check(not same_line("a 1", "b 1"), "nor the text")
  local marked = blocks("<!-- not run: needs a terminal -->\n```lua\nx = 1\n```\n")[1]
  eq(skip_reason(marked), "not run: needs a terminal")
  eq(skip_reason(blocks("<!-- needs: no-such-data-set -->\n```lua\n```\n")[1]),
     "needs no-such-data-set (scripts/get-data.sh no-such-data-set)")
  eq(skip_reason(blocks("<!-- needs: no-such-data-set -->\n\nsome text\n```lua\n```\n")[1]), nil)
end)

-- every option simec --help lists is in the man page's OPTIONS, and back
case("the man page lists the options simec --help prints", function()
  local from_help, from_man = {}, {}
  for l in run(SIMEC_BIN .. " --help", ""):gmatch("[^\n]+") do
    local first = l:match("^  (%-[%-%a]*)")
    if first then
      from_help[first] = true
      for o in l:gmatch(", (%-%-%a[%w-]*)") do from_help[o] = true end
    end
  end
  local man = read("man/simec.1")
  local section = man:match("\n%.SH OPTIONS\n(.-)\n%.SH ")
  check(section, "man/simec.1 has no OPTIONS section")
  for tag in (section .. "\n"):gmatch("%.TP\n([^\n]*)\n") do
    for o in (tag:gsub("\\%-", "-") .. " "):gmatch("(%-[%-%a]*)[%s\"]") do from_man[o] = true end
  end
  check(next(from_help), "simec --help lists no option")
  for o in pairs(from_help) do check(from_man[o], ("man/simec.1 does not describe %s (simec --help lists it)"):format(o)) end
  for o in pairs(from_man) do check(from_help[o], ("simec --help does not list %s (man/simec.1 describes it)"):format(o)) end
end)

-- every relative link and image of the front door and the docs points at a file
case("the README's and docs' relative links and images exist", function()
  local docs = {"README.md", "CHANGELOG.md"}
  for f in io.popen("ls docs/*.md"):lines() do docs[#docs + 1] = f end
  local broken = {}
  for _, doc in ipairs(docs) do
    local dir = doc:match("^(.*)/") or "."
    for target in read(doc):gmatch("%]%(([^)#%s]+)[^)]*%)") do
      if not target:match("^%a+:") then
        local f = io.open(dir .. "/" .. target, "rb")
        if f then f:close() else broken[#broken + 1] = doc .. ": " .. target end
      end
    end
  end
  check(#broken == 0, "broken links: " .. table.concat(broken, ", "))
end)

case("simec --version, the changelog's newest version and the man page agree", function()
  local version = io.popen(SIMEC_BIN .. " --version"):read("l"):match("^simec (%S+)")
  local newest = read("CHANGELOG.md"):match("\n## (%d+%.%d+%.%d+)")
  eq(newest, version, "CHANGELOG.md's newest version against simec --version")
  eq(read("man/simec.1"):match('^%.TH SIMEC 1 "[^"]*" "simec ([^"]+)"'), version, "man/simec.1's .TH")
end)

case("docs/guide.md names every global module", function()
  local text = read("docs/guide.md")
  local globals = text:match("\nGlobals (.-)%.\n") or text:match("\nGlobals (.-)simec%.version")
  check(globals, "docs/guide.md has no Globals paragraph")
  for _, m in ipairs(require("simec").modules) do
    check(globals:find("`" .. m.name .. "`", 1, true), "docs/guide.md's Globals paragraph does not name " .. m.name)
  end
end)

case("make docs-transcripts rewrites stale outputs and keeps the blocks it cannot run here", function()
  local doc = T.tmpname() .. ".md"
  local stale = "```\n$ ./simec\nsimec 0.1.0 (Lua 5.4.4)\n> 1 + 1\n3\n> \n```\n"
  T.write(doc, "# t\n\n" .. stale .. "\n<!-- needs: no-such-data-set -->\n" .. stale .. "\nend\n")
  local bin = SIMEC_BIN or "./simec"
  local out = run(("%s scripts/update-transcripts.lua %s"):format(bin, doc), "")
  check(out:find("1 blocks re-run; kept line 12 (needs no-such-data-set", 1, true), out)
  local text = T.read(doc)
  local b = blocks(text)
  eq(b[1].lines[4], "2") -- rewritten
  eq(b[2].lines[4], "3") -- kept: this machine cannot run it
  check(text:find("\nend\n$"), "the text after the blocks is kept")
  os.remove(doc)
end)
