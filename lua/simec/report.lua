-- Results of examples in the format of DESIGN.md section 8:
--   report.json(path, dataset, results)   -- results: {scenario, method, rmse, mae, seconds, params}
local report = {}

local function params_json(p)
  local ps = {}
  for key, v in pairs(p or {}) do
    ps[#ps + 1] = ("%q: %s"):format(key, type(v) == "string" and ("%q"):format(v) or tostring(v))
  end
  table.sort(ps)
  return "{" .. table.concat(ps, ", ") .. "}"
end

function report.json(path, dataset, results)
  local parts = {}
  for _, r in ipairs(results) do
    parts[#parts + 1] = ('{"scenario": %q, "method": %q, "rmse": %.6f, "mae": %.6f, "seconds": %.4f, "params": %s}')
      :format(r.scenario, r.method, r.rmse, r.mae, r.seconds, params_json(r.params))
  end
  local f, err = io.open(path, "w")
  if not f then error("report.json: " .. err, 2) end
  f:write(('{"dataset": %q, "seed": 13, "results": [\n  %s]}\n'):format(dataset, table.concat(parts, ",\n  ")))
  f:close()
end

return report
