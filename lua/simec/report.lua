-- Results of examples in the format of DESIGN.md section 8:
--   report.json(path, dataset, results)
-- results: {scenario, method, seconds, params, and the metrics present:
-- rmse, mae for ratings; p@10, r@10, ndcg@10, auc, aupr for rankings}
local report = {}

local function params_json(p)
  local ps = {}
  for key, v in pairs(p or {}) do
    ps[#ps + 1] = ("%q: %s"):format(key, type(v) == "string" and ("%q"):format(v) or tostring(v))
  end
  table.sort(ps)
  return "{" .. table.concat(ps, ", ") .. "}"
end

local METRICS = {"rmse", "mae", "p@10", "r@10", "ndcg@10", "auc", "aupr"}

function report.json(path, dataset, results)
  local parts = {}
  for _, r in ipairs(results) do
    local fields = {("%q: %q"):format("scenario", r.scenario), ("%q: %q"):format("method", r.method)}
    for _, key in ipairs(METRICS) do
      if r[key] then fields[#fields + 1] = ("%q: %.6f"):format(key, r[key]) end
    end
    fields[#fields + 1] = ('"seconds": %.4f, "params": %s'):format(r.seconds, params_json(r.params))
    parts[#parts + 1] = "{" .. table.concat(fields, ", ") .. "}"
  end
  local text = ('{"dataset": %q, "seed": 13, "results": [\n  %s]}\n'):format(dataset, table.concat(parts, ",\n  "))
  local ok, err = pcall(require("simec").write_file, path, text) -- temporary file, fsync, rename
  if not ok then error("report.json: " .. tostring(err), 2) end
end

require("simec.help").add{
  "report", "Results of examples and benchmarks as JSON (the design notes' format).",
  "report.json(path, dataset, results)", "Writes {dataset, seed, results = [{scenario, method, metrics..., " ..
  "seconds, params}]} to path crash-safely.",
}

return report
