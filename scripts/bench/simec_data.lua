-- The SimEc benchmarks' data (simec_simec.lua, flops.lua): the ratings and
-- item features that baselines_gen.lua writes, as the sparse features X of
-- the rating matrix's items and the targets T (ratings minus their mean).
--   local X, T = dofile("scripts/bench/simec_data.lua")(RATINGS, FEATURES)
return function(ratings_path, features_path)
  local R = sparse.read(ratings_path, {row = 2, col = 1})
  local F = sparse.read(features_path, {delim = "\t", value = false})
  local idx = {}
  for i, id in ipairs(R:row_labels()) do idx[i] = F:row_index(id) or error("no features for item " .. id) end
  local mean = R:sum() / R:nnz()
  return F:select_rows(idx), sparse.from_values(R, R:values() - mean)
end
