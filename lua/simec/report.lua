-- Results of examples in the format of DESIGN.md section 8:
--   report.json(path, dataset, results)
-- results: {scenario, method, seconds, params, and the metrics present:
-- rmse, mae for ratings; p@10, r@10, ndcg@10, auc, aupr for rankings}
local report = {}

local function json_string(v)
  return '"' .. v:gsub('[%c"\\]', function(c)
    return ({['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t"})[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

-- a params value: numbers (non-finite as null), strings, booleans, and
-- tables as arrays (keys 1..n) or objects with sorted keys
local function value_json(v)
  local t = type(v)
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if math.type(v) == "integer" then return tostring(v) end
    local short = ("%.15g"):format(v) -- the shortest of the two that reads back as v
    return tonumber(short) == v and short or ("%.17g"):format(v)
  elseif t == "string" then return json_string(v)
  elseif t == "boolean" then return tostring(v)
  elseif t == "table" then
    local n, keys = #v, {}
    for key in pairs(v) do keys[#keys + 1] = key end
    if n > 0 and #keys == n then
      local items = {}
      for i = 1, n do items[i] = value_json(v[i]) end
      return "[" .. table.concat(items, ", ") .. "]"
    end
    local items = {}
    for _, key in ipairs(keys) do items[#items + 1] = json_string(tostring(key)) .. ": " .. value_json(v[key]) end
    table.sort(items)
    return "{" .. table.concat(items, ", ") .. "}"
  end
  error(("report.json: cannot write a %s in params"):format(t), 0)
end

local METRICS = {"rmse", "mae", "p@10", "r@10", "ndcg@10", "auc", "aupr"}

function report.json(path, dataset, results)
  local parts = {}
  for _, r in ipairs(results) do
    local fields = {'"scenario": ' .. json_string(r.scenario), '"method": ' .. json_string(r.method)}
    for _, key in ipairs(METRICS) do
      if r[key] then fields[#fields + 1] = ("%q: %.6f"):format(key, r[key]) end
    end
    fields[#fields + 1] = ('"seconds": %.4f, "params": %s'):format(r.seconds, value_json(r.params or {}))
    parts[#parts + 1] = "{" .. table.concat(fields, ", ") .. "}"
  end
  local text = ('{"dataset": %s, "seed": 13, "results": [\n  %s]}\n'):format(json_string(dataset),
                                                                            table.concat(parts, ",\n  "))
  local ok, err = pcall(require("simec").write_file, path, text) -- temporary file, fsync, rename
  if not ok then error("report.json: " .. tostring(err), 2) end
end

require("simec.help").add{
  "report", "Results of examples and benchmarks as JSON (the design notes' format).",
  "report.json(path, dataset, results)", "Writes {dataset, seed, results = [{scenario, method, metrics..., " ..
  "seconds, params}]} to path crash-safely.",
}

return report
