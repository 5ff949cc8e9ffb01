local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case
local plot = require "simec.plot"

-- well formed: every tag closed in order, attribute values quoted, & only in entities
local function well_formed(svg)
  local stack = {}
  for close, name, attrs, selfclose in svg:gmatch("<(/?)([%w:]+)([^>]*)(/?)>") do
    if close == "/" then
      if stack[#stack] ~= name then return false, "</" .. name .. "> closes " .. tostring(stack[#stack]) end
      stack[#stack] = nil
    else
      local rest = attrs:gsub('%s+[%w:-]+="[^"]*"', "")
      if rest:match("%S") and rest ~= "/" then return false, "bad attributes in <" .. name .. ">: " .. attrs end
      if selfclose ~= "/" and not attrs:match("/%s*$") then stack[#stack + 1] = name end
    end
  end
  if #stack > 0 then return false, "unclosed <" .. stack[#stack] .. ">" end
  if svg:gsub("&%a+;", ""):find("&", 1, true) then return false, "bare &" end
  return true
end

case("plot: scatter, line and histogram give well-formed SVG with axes, ticks and labels", function()
  local x, y = {}, {}
  for k = 1, 50 do x[k] = k / 50; y[k] = math.sin(k / 8) end
  local s = plot.scatter(x, y, {title = "A & B <test>", xlabel = "x", ylabel = "sin"})
  check(well_formed(s))
  check(s:find("A &amp; B &lt;test&gt;", 1, true) ~= nil)
  local n = 0
  for _ in s:gmatch("<circle") do n = n + 1 end
  eq(n, 50)
  check(s:find(">0.4<", 1, true) and s:find(">0.8<", 1, true)) -- tick labels at steps of 0.2
  local l = plot.line(matrix.new{{1}, {2}, {3}}, {{1, 2, 3}, matrix.new{{3}, {2}, {1}}}, {labels = {"up", "down"}})
  check(well_formed(l))
  check(l:find(">up<", 1, true) and l:find(">down<", 1, true))
  local h = plot.hist({1, 1, 2, 3, 3, 3, 0 / 0}, {bins = 3})
  check(well_formed(h))
  n = 0
  for _ in h:gmatch("<rect") do n = n + 1 end
  eq(n, 4) -- the background and three bars
  -- written atomically to a file, equal to the returned text
  local path = T.tmpname() .. ".svg"
  local w = plot.scatter({1, 2}, {3, 4}, {file = path})
  eq(io.open(path, "rb"):read("a"), w)
  os.remove(path)
  checkerr("plot: ", plot.scatter, {1}, {2}, {file = "/nonexistent-dir/p.svg"})
  checkerr("plot.scatter: x has 2 values, y has 1", plot.scatter, {1, 2}, {1})
  checkerr("plot.line: series 1 has 2 values, x has 3", plot.line, {1, 2, 3}, {{1, 2}})
  checkerr("plot.hist: bins must be a positive integer", plot.hist, {1, 2}, {bins = 0})
  checkerr("plot: no finite values to plot", plot.scatter, {0 / 0}, {1})
  checkerr("plot: x must be a list or a vector matrix", plot.scatter, matrix.ones(2, 2), {1, 2})
end)

local chromium = io.popen("command -v chromium chromium-browser 2>/dev/null"):read("l")
if chromium then
  case("plot: the SVG renders in headless Chromium (a screenshot that is not blank)", function()
    local dir = T.tmpname()
    os.execute("mkdir " .. dir)
    plot.scatter({1, 2, 3}, {1, 4, 9}, {file = dir .. "/p.svg", title = "render", xlabel = "x", ylabel = "y"})
    T.write(dir .. "/blank.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">' ..
                                 '<rect width="640" height="480" fill="white"/></svg>')
    local function shot(name)
      -- without the sanitizer runtime the suite may preload, and never for long
      os.execute(("env -u LD_PRELOAD -u ASAN_OPTIONS timeout 60 %s --headless --no-sandbox --disable-gpu " ..
                  "--hide-scrollbars --window-size=640,480 --screenshot=%s/%s.png file://%s/%s.svg >/dev/null 2>&1")
                 :format(chromium, dir, name, dir, name))
      local f = io.open(dir .. "/" .. name .. ".png", "rb")
      check(f ~= nil, "no screenshot of " .. name)
      local data = f:read("a")
      f:close()
      return data
    end
    local blank, drawn = shot("blank"), shot("p")
    check(drawn:sub(2, 4) == "PNG")
    -- a white page compresses to almost nothing; axes, text and points do not
    check(#drawn > #blank + 1000, ("screenshot %d bytes, a blank page %d"):format(#drawn, #blank))
  end)
else
  io.stderr:write("plot_spec: skipped the Chromium rendering test: chromium is not installed " ..
                  "(apt-get install chromium)\n")
end

case("plot.bar draws one labelled bar per value", function()
  local b = plot.bar({0.5, -0.2, 1}, {"genre=Drama", "decade=1990s", "genre=War & peace"}, {title = "relevance"})
  check(well_formed(b))
  local n = 0
  for _ in b:gmatch("<rect") do n = n + 1 end
  eq(n, 4) -- the background and three bars
  check(b:find("genre=War &amp; peace", 1, true) ~= nil)
  checkerr("plot.bar: 1 names for 2 values", plot.bar, {1, 2}, {"a"})
end)
