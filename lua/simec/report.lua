-- Results of examples in the format of DESIGN.md section 8, written with
-- lua-cjson (Debian's lua-cjson, a well-kept encoder):
--   report.json(path, dataset, results [, fields])
-- results: {scenario, method, seconds, params, and the metrics present:
-- rmse, mae for ratings; p@10, r@10, ndcg@10, auc, aupr for rankings}.
-- fields: more top-level keys; seed (or seeds, whose first is the "seed")
-- says which split seed the figures come from.
local report = {}

local function encoder()
  local cjson = require("cjson").new()
  cjson.encode_invalid_numbers("null") -- NaN and infinities are not JSON
  cjson.encode_number_precision(14)    -- cjson's most: 14 significant digits
  cjson.encode_sparse_array(false)     -- a list with holes is an error, not an object
  return cjson
end

-- cjson (Debian's 2.1.0) writes every empty table as {}: a list that may
-- be empty is marked with report.array and written as [], so that a
-- field keeps one JSON type whatever the run had
local ARRAY = {__name = "simec.report.array"}
local EMPTY = "\1simec: an empty list\1"

function report.array(t)
  return setmetatable(t or {}, ARRAY)
end

-- a copy of v with each empty marked list replaced by EMPTY
local function with_empty_lists(v)
  if type(v) ~= "table" then return v end
  if getmetatable(v) == ARRAY and next(v) == nil then return EMPTY end
  local out = {}
  for k, x in pairs(v) do out[k] = with_empty_lists(x) end
  return out
end

-- a result's params stay objects, and each result keeps its fields
function report.encode(doc)
  local ok, text = pcall(encoder().encode, with_empty_lists(doc))
  if not ok then error("report.json: " .. tostring(text), 3) end
  return (text:gsub('"\\u0001simec: an empty list\\u0001"', "[]"))
end

-- path's folder and name ("." for a bare name, "/" for the root's files)
local function folder_and_name(path)
  local dir, name = path:match("^(.*)/([^/]*)$")
  if not dir then return ".", path end
  return dir == "" and "/" or dir, name
end

-- a file name in dir that nothing else uses, for a probe made and removed at once
local function probe_in(dir)
  return ("%s/.simec-probe-%d-%d"):format(dir, os.time(), math.random(1 << 30))
end

-- Whether report.json can write path: true, or nil and why. Examples ask
-- before a run, so that a long run does not end on a path it cannot
-- write: a probe file is created and removed in path's folder, as
-- write_file's temporary file would be.
function report.writable(path)
  if type(path) ~= "string" or path == "" then return nil, "needs a file name" end
  local d = io.open(path .. "/.", "rb")
  if d then d:close() return nil, "is a folder" end
  local dir = folder_and_name(path)
  local probe = probe_in(dir)
  local f, err = io.open(probe, "wb")
  if not f then
    return nil, ("cannot write in the folder %s (%s)"):format(dir, tostring(err):match(": ([^:]*)$") or tostring(err))
  end
  f:close()
  os.remove(probe)
  return true
end

-- The options naming files an example writes at the end of its run, and
-- what report.writable checks for each (a prefix gets ".svg")
local OUTPUTS = {{"json", ""}, {"predictions", ""}, {"svg", ""}, {"svg_prefix", ".svg"}}

-- Whether two writable paths name one file: the same name in one folder,
-- the folder told by a probe file made in a's and looked for in b's, so
-- that relative and absolute paths, "./" and symbolic links agree.
local function same_file(a, b)
  local da, na = folder_and_name(a)
  local db, nb = folder_and_name(b)
  if na ~= nb then return false end
  local probe = probe_in(da)
  local f = io.open(probe, "wb")
  if not f then return a == b end
  f:close()
  local g = io.open(db .. probe:sub(#da + 1), "rb")
  if g then g:close() end
  os.remove(probe)
  return g ~= nil
end

-- The options naming files a run reads: an output that names one of them
-- would replace the data when the run ends
local INPUTS = {"ratings", "train", "test", "item_features", "user_features", "interactions", "row_similarity",
                "col_similarity", "row_features", "col_features"}

-- nil when every output option in opts (json, predictions, svg, svg_prefix) can be
-- written, each to a file of its own and none over an input file, else the usage
-- error for the first that cannot
function report.unwritable(opts)
  local inputs = {}
  for _, key in ipairs(INPUTS) do
    local v = opts[key]
    for _, path in ipairs(type(v) == "table" and v or {v}) do
      if type(path) == "string" then inputs[#inputs + 1] = {name = key:gsub("_", "-"), value = path} end
    end
  end
  local given = {}
  for _, o in ipairs(OUTPUTS) do
    local v = opts[o[1]]
    if v then
      local name = o[1]:gsub("_", "-")
      local writable, why = report.writable(v .. o[2])
      if not writable then return ("--%s %s: %s"):format(name, v, why) end
      for _, earlier in ipairs(given) do
        -- the later file would replace the earlier one when the run ends
        if same_file(earlier.path, v .. o[2]) then
          return ("--%s %s: the same file as --%s %s"):format(name, v, earlier.name, earlier.value)
        end
      end
      for _, input in ipairs(inputs) do
        if same_file(v .. o[2], input.value) then
          return ("--%s %s: the same file as the input --%s %s; the run would write over it"):format(name, v,
                  input.name, input.value)
        end
      end
      given[#given + 1] = {name = name, value = v, path = v .. o[2]}
    end
  end
end

function report.json(path, dataset, results, fields)
  fields = fields or {}
  local doc = {dataset = dataset, results = report.array()}
  for k, v in pairs(fields) do doc[k] = v end
  doc.seed = fields.seed or (fields.seeds and fields.seeds[1]) or nil
  for i, r in ipairs(results) do
    local row = {}
    for k, v in pairs(r) do row[k] = v end
    row.params = r.params or {}
    doc.results[i] = row
  end
  local text = report.encode(doc) .. "\n"
  local ok, err = pcall(require("simec").write_file, path, text) -- temporary file, fsync, rename
  if not ok then error("report.json: " .. tostring(err), 2) end
end

require("simec.help").add{
  "report", "Results of examples and benchmarks as JSON (the design notes' format, lua-cjson).",
  "report.encode(doc)", "JSON text of a Lua table (lua-cjson; NaN and infinities as null; a list marked with " ..
  "report.array is [] when empty, where cjson would write {}).",
  "report.array([t])", "t (or a new table) marked as a list, so that report.encode writes it as [] when it is " ..
  "empty.",
  "report.writable(path)", "true when report.json can write path (its folder exists and takes a file), else " ..
  "nil and why; the examples ask before a run.",
  "report.unwritable(opts)", "nil when each output option of opts (json, predictions, svg, svg_prefix) names a " ..
  "file of its own that can be written and is none of the input files the options name (ratings, train, test, " ..
  "feature and similarity files), else the usage error for the first that cannot (the examples' check before a " ..
  "run).",
  "report.json(path, dataset, results [, fields])", "Writes {dataset, seed, results = [{scenario, method, " ..
  "metrics..., seconds, params}], fields...} to path crash-safely.",
}

return report
