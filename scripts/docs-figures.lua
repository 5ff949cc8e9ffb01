-- The figures docs/tutorial.md shows (docs/img/*.svg), one of each kind,
-- made the way the tutorial makes them: a SimEc's training loss (line),
-- one explanation (bar), the ratings (histogram) and predictions against
-- the true ratings (scatter). Needs ml-100k (scripts/get-data.sh ml-100k).
--   simec scripts/docs-figures.lua [OUT_DIR]     (make docs-figures)
local out = arg[1] or "docs/img"
local ml = data.movielens("ml-100k")
local s = splits.split(ml.ratings, "T2a", {seed = 13})
local base = models.means(s.train)
local X = ml.items.features
local m = SimEc.new{input = X:ncols(), embedding = 10, output = s.train:ncols(), l2_reg_emb = 1e-3, seed = 13,
                    optimizer = {"adamax", lr = 0.01}}
local h = m:fit(X:select_rows(s.train_items), base:residuals(s.train), {epochs = 20, seed = 13, verbose = false})
local epochs = {}
for k = 1, #h.loss do epochs[k] = k end
local figs = {}
figs.loss = plot.line(epochs, {h.loss}, {title = "SimEc training loss", xlabel = "epoch", ylabel = "loss"})
local e = m:explain_rating(X:select_rows({ml.ratings:row_index("50")}), 1, X:col_labels())
local names, rel = {}, {}
for k, t in ipairs(e) do names[k], rel[k] = t[1], t[2] end
figs.explanation = plot.bar(rel, names, {title = "Star Wars (1977) for user 196", xlabel = "relevance"})
figs.ratings = plot.hist(ml.ratings:values(), {bins = 5, title = "ratings", xlabel = "rating"})
local pred = base:predict(s.test, s.row_map, s.col_map):values() + m:predict_at(X, s.test):values()
local truth, guess = {}, {}
for k = 1, 400 do truth[k], guess[k] = s.test:values():get(k), pred:get(k) end
figs.predictions = plot.scatter(truth, guess, {title = "new items: predicted against true ratings",
                                               xlabel = "true rating", ylabel = "predicted"})
for _, name in ipairs{"loss", "explanation", "ratings", "predictions"} do
  local path = ("%s/%s.svg"):format(out, name)
  figs[name]:save(path)
  print("wrote " .. path)
end
