-- Standalone SVG plots: scatter, line and histogram, with axes, ticks,
-- labels and a title. Each returns a figure (its SVG text in fig.svg;
-- fig:save(path) writes it, plot.show(fig) opens it) and, with opts.file,
-- writes it too (to a temporary file beside it, then renamed).
--   plot.scatter(x, y, {title =, xlabel =, ylabel =, file =, width = 640, height = 480})
--   plot.line(x, {y1, y2, ...}, {labels = {"train", "validation"}, ...})
--   plot.hist(values, {bins = 30, ...})
--   plot.bar(values, names, {...})   -- horizontal bars, e.g. feature relevances
-- x, y and values are Lua lists or column (or row) matrices.
--   plot.show(fig)                   -- writes it and opens it in a browser
local plot = {}
local write_file = require("simec").write_file -- temporary file, fsync, rename

local COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

local function list(v, what)
  if type(v) == "table" then return v end
  local ok, r, c = pcall(function() return v:nrows(), v:ncols() end)
  if not ok or (r ~= 1 and c ~= 1) then
    error(("plot: %s must be a list or a vector matrix"):format(what), 3)
  end
  local t = {}
  for k = 1, r * c do t[k] = r == 1 and v:get(1, k) or v:get(k, 1) end
  return t
end

local function finite_range(...)
  local lo, hi = math.huge, -math.huge
  for _, t in ipairs{...} do
    for _, v in ipairs(t) do
      if v == v and v ~= math.huge and v ~= -math.huge then lo, hi = math.min(lo, v), math.max(hi, v) end
    end
  end
  if lo > hi then error("plot: no finite values to plot", 3) end
  if lo == hi then lo, hi = lo - 0.5, hi + 0.5 end
  return lo, hi
end

-- "nice" ticks: steps of 1, 2 or 5 times a power of ten, about n of them
local function ticks(lo, hi, n)
  local raw = (hi - lo) / n
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local step = mag
  for _, m in ipairs{1, 2, 5, 10} do
    if raw <= m * mag then step = m * mag; break end
  end
  local t, v = {}, math.ceil(lo / step - 1e-9) * step
  while v <= hi + step * 1e-9 do
    t[#t + 1] = math.abs(v) < step * 1e-9 and 0 or v
    v = v + step
  end
  return t
end

-- plot.escape(s): s as text inside SVG or HTML (the notebook's tables use it too)
function plot.escape(s)
  return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end
local esc = plot.escape

local function num(v) return ("%.2f"):format(v) end

-- the frame: axes, ticks, tick labels, axis labels and title; returns the
-- parts list and the data -> pixel maps
local function frame(opts, xlo, xhi, ylo, yhi)
  local W, H = opts.width or 640, opts.height or 480
  local L, R, T, B = 70, 20, opts.title and 40 or 20, 55
  local function px(x) return L + (x - xlo) / (xhi - xlo) * (W - L - R) end
  local function py(y) return H - B - (y - ylo) / (yhi - ylo) * (H - T - B) end
  local p = {('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" ' ..
              'font-family="sans-serif" font-size="12">'):format(W, H, W, H),
             ('<rect x="0" y="0" width="%d" height="%d" fill="white"/>'):format(W, H)}
  if opts.title then
    p[#p + 1] = ('<text x="%s" y="24" text-anchor="middle" font-size="15">%s</text>'):format(num(W / 2), esc(opts.title))
  end
  p[#p + 1] = ('<path d="M%s %sH%sM%s %sV%s" stroke="black" fill="none"/>'):format(num(L), num(H - B), num(W - R),
                                                                                 num(L), num(H - B), num(T))
  for _, v in ipairs(ticks(xlo, xhi, 6)) do
    p[#p + 1] = ('<path d="M%s %sv5" stroke="black"/><text x="%s" y="%s" text-anchor="middle">%s</text>')
      :format(num(px(v)), num(H - B), num(px(v)), num(H - B + 18), esc(("%g"):format(v)))
  end
  for _, v in ipairs(opts.no_yticks and {} or ticks(ylo, yhi, 5)) do
    p[#p + 1] = ('<path d="M%s %sh-5" stroke="black"/><text x="%s" y="%s" text-anchor="end">%s</text>')
      :format(num(L), num(py(v)), num(L - 8), num(py(v) + 4), esc(("%g"):format(v)))
  end
  if opts.xlabel then
    p[#p + 1] = ('<text x="%s" y="%s" text-anchor="middle">%s</text>'):format(num((L + W - R) / 2), num(H - 12),
                                                                            esc(opts.xlabel))
  end
  if opts.ylabel then
    p[#p + 1] = ('<text transform="translate(16 %s) rotate(-90)" text-anchor="middle">%s</text>')
      :format(num((T + H - B) / 2), esc(opts.ylabel))
  end
  return p, px, py
end

-- What the plot functions return: kind, size, the SVG text, and the file
-- it was last written to (nil until then)
local Figure = require("simec.help").shape{__name = "figure"}
Figure.__index = Figure
Figure.__tostring = function(f)
  return ("figure (%s, %dx%d, %d bytes of SVG)%s"):format(f.kind, f.width, f.height, #f.svg,
    f.file and (", written to " .. f.file) or "; fig:save(path) writes it, plot.show(fig) opens it")
end

-- fig:save(path): writes the SVG crash-safely; returns the figure
function Figure:save(path)
  if getmetatable(self) ~= Figure then error("save: expected a figure (call fig:save(path))", 2) end
  if type(path) ~= "string" or path == "" then error("save: path must be a file name", 2) end
  local ok, err = pcall(write_file, path, self.svg)
  if not ok then error("plot: " .. tostring(err), 2) end
  self.file = path
  return self
end

local function finish(p, opts, kind)
  p[#p + 1] = "</svg>\n"
  local fig = setmetatable({kind = kind, svg = table.concat(p, "\n"), width = opts.width or 640,
                            height = opts.height or 480}, Figure)
  if opts.file then
    local ok, err = pcall(write_file, opts.file, fig.svg)
    if not ok then error("plot: " .. tostring(err), 3) end
    fig.file = opts.file
  end
  return fig
end

-- plot.show(fig [, path]): writes the figure (to path, its own file, or a
-- new temporary .svg) and opens it with $BROWSER or xdg-open when there is
-- one; returns the path, and prints it when nothing could open it
function plot.show(fig, path)
  if getmetatable(fig) ~= Figure then error("plot.show: expected a figure (what plot.* returns)", 2) end
  path = path or fig.file
  if not path then
    local tmp = os.tmpname()
    os.remove(tmp)
    path = tmp .. ".svg"
  end
  fig:save(path)
  local opener = os.getenv("BROWSER")
  if (not opener or opener == "") and (os.getenv("DISPLAY") or os.getenv("WAYLAND_DISPLAY")) and
     os.execute("command -v xdg-open >/dev/null 2>&1") then
    opener = "xdg-open"
  end
  if opener and opener ~= "" then
    os.execute(("%s '%s' >/dev/null 2>&1 &"):format(opener, (path:gsub("'", "'\\''"))))
  else
    print(("figure written to %s (no $BROWSER or display to open it)"):format(path))
  end
  return path
end

local function range_of(opts, key, lo, hi)
  local r = opts[key]
  if r then return r[1], r[2] end
  local pad = (hi - lo) * 0.04
  return lo - pad, hi + pad
end

function plot.scatter(x, y, opts)
  opts = opts or {}
  x, y = list(x, "x"), list(y, "y")
  if #x ~= #y then error(("plot.scatter: x has %d values, y has %d"):format(#x, #y), 2) end
  local xlo, xhi = range_of(opts, "xrange", finite_range(x))
  local ylo, yhi = range_of(opts, "yrange", finite_range(y))
  local p, px, py = frame(opts, xlo, xhi, ylo, yhi)
  local r, color = opts.radius or 2, opts.color or COLORS[1]
  for k = 1, #x do
    if x[k] == x[k] and y[k] == y[k] then
      p[#p + 1] = ('<circle cx="%s" cy="%s" r="%s" fill="%s" fill-opacity="0.6"/>'):format(num(px(x[k])),
                                                                                         num(py(y[k])), r, color)
    end
  end
  return finish(p, opts, "scatter")
end

function plot.line(x, ys, opts)
  opts = opts or {}
  x = list(x, "x")
  if type(ys) ~= "table" or type(ys[1]) ~= "table" and type(ys[1]) ~= "userdata" then ys = {ys} end
  local series = {}
  for k, y in ipairs(ys) do
    series[k] = list(y, "y")
    if #series[k] ~= #x then
      error(("plot.line: series %d has %d values, x has %d"):format(k, #series[k], #x), 2)
    end
  end
  local xlo, xhi = range_of(opts, "xrange", finite_range(x))
  local ylo, yhi = range_of(opts, "yrange", finite_range(table.unpack(series)))
  local p, px, py = frame(opts, xlo, xhi, ylo, yhi)
  for k, y in ipairs(series) do
    local d = {}
    for q = 1, #x do
      if y[q] == y[q] then d[#d + 1] = (#d == 0 and "M" or "L") .. num(px(x[q])) .. " " .. num(py(y[q])) end
    end
    local color = COLORS[(k - 1) % #COLORS + 1]
    p[#p + 1] = ('<path d="%s" stroke="%s" stroke-width="1.5" fill="none"/>'):format(table.concat(d, ""), color)
    if opts.labels and opts.labels[k] then
      local ly = (opts.title and 40 or 20) + 6 + 16 * k
      p[#p + 1] = ('<path d="M%s %sh20" stroke="%s" stroke-width="2"/><text x="%s" y="%s">%s</text>')
        :format(num((opts.width or 640) - 150), num(ly - 4), color, num((opts.width or 640) - 125), num(ly),
                esc(opts.labels[k]))
    end
  end
  return finish(p, opts, "line")
end

function plot.hist(values, opts)
  opts = opts or {}
  local v = list(values, "values")
  local bins = opts.bins or 30
  if math.type(bins) ~= "integer" or bins < 1 then error("plot.hist: bins must be a positive integer", 2) end
  local lo, hi = finite_range(v)
  local counts, width = {}, (hi - lo) / bins
  for b = 1, bins do counts[b] = 0 end
  for _, a in ipairs(v) do
    if a == a and a ~= math.huge and a ~= -math.huge then
      local b = math.min(bins, math.floor((a - lo) / width) + 1)
      counts[b] = counts[b] + 1
    end
  end
  local top = 0
  for b = 1, bins do top = math.max(top, counts[b]) end
  local p, px, py = frame(opts, lo, hi, 0, top * 1.05)
  for b = 1, bins do
    local x0, x1 = px(lo + (b - 1) * width), px(lo + b * width)
    p[#p + 1] = ('<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="white"/>')
      :format(num(x0), num(py(counts[b])), num(math.max(x1 - x0, 0.5)), num(py(0) - py(counts[b])),
              opts.color or COLORS[1])
  end
  return finish(p, opts, "histogram")
end

-- horizontal bars, one per name (e.g. feature relevances), top to bottom
function plot.bar(values, names, opts)
  opts = opts or {}
  local v = list(values, "values")
  if type(names) ~= "table" or #names ~= #v then
    error(("plot.bar: %d names for %d values"):format(type(names) == "table" and #names or 0, #v), 2)
  end
  local lo, hi = finite_range(v, {0})
  local W, H = opts.width or 640, opts.height or math.max(160, 60 + 24 * #v)
  local o = {}
  for k, x in pairs(opts) do o[k] = x end
  o.width, o.height = W, H
  o.no_yticks = true -- the bars' positions carry their names, not numbers
  local p, px = frame(o, lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05, 0, #v)
  local top, bottom = opts.title and 40 or 20, H - 55
  local step = (bottom - top) / #v
  for k = 1, #v do
    local x0, x1 = px(math.min(0, v[k])), px(math.max(0, v[k]))
    local y = top + (k - 1) * step
    p[#p + 1] = ('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>'):format(num(x0), num(y + 3),
      num(math.max(x1 - x0, 0.5)), num(step - 6), v[k] >= 0 and COLORS[1] or COLORS[2])
    p[#p + 1] = ('<text x="%s" y="%s" text-anchor="%s">%s</text>'):format(num(v[k] >= 0 and x0 - 4 or x1 + 4),
      num(y + step / 2 + 4), v[k] >= 0 and "end" or "start", esc(names[k]))
  end
  return finish(p, o, "bar")
end

require("simec.help").add{
  "plot", "Standalone SVG figures with axes, ticks, labels and a title; each returns a figure (fig.svg its text) " ..
  "and with opts.file writes it crash-safely.",
  "plot.escape(s)", "s (any value, as tostring) as text inside SVG or HTML: & < > and \" as entities.",
  "plot.show(fig [, path])", "Writes the figure (to path, the file it was saved to, or a temporary .svg) and opens " ..
  "it with $BROWSER or xdg-open when a display is there; returns the path, and prints it otherwise.",
  "figure", "What plot.* returns: kind, width, height, svg (the text) and file (where it was last written); " ..
  "fig:save(path) writes it crash-safely and returns it.",
  "figure:save(path)", "Writes the figure's SVG through a temporary file and a rename; returns the figure.",
  "plot.scatter(x, y [, opts])", "A scatter plot; opts: title, xlabel, ylabel, file, width (640), height (480), " ..
  "xrange, yrange, color.",
  "plot.line(x, {y1, y2, ...} [, opts])", "Line series (e.g. training and validation loss); opts.labels adds a " ..
  "legend.",
  "plot.hist(values [, opts])", "A histogram; opts.bins (30).",
  "plot.bar(values, names [, opts])", "Horizontal bars with names (e.g. feature relevances), negative values to the " ..
  "left.",
}

return plot
