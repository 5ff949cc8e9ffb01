-- Writes the benchmark's data: a synthetic data set the size of
-- MovieLens-10M as "user<TAB>item<TAB>rating" lines and "item<TAB>token"
-- feature lines.   simec baselines_gen.lua DIR [RATINGS]
local dir, n = arg[1], tonumber(arg[2] or "10000054")
local ds = data.synthetic{items = 10681, users = 69878, ratings = math.tointeger(n), rank = 20,
                          item_features = 1000, item_tokens = 20, user_features = 0, seed = 13}
ds.ratings:write(dir .. "/ratings.tsv", {transpose = true})
local f = assert(io.open(dir .. "/items.tsv", "w"))
for i, toks in ipairs(ds.items.tokens) do
  local id = ds.ratings:row_label(i)
  for _, tk in ipairs(toks) do f:write(id, "\t", tk, "\n") end
end
f:close()
