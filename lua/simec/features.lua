-- Feature matrices from tokens (the study's features2mat).
--   X, vocab = features.onehot(rows, vocab)
-- rows: a list with one list of tokens (strings) per row. Without vocab the
-- vocabulary is every token seen, sorted; with the vocab of a training set,
-- tokens outside it are dropped (how test items are encoded). X is a binary
-- sparse matrix (#rows x #vocab.names) whose column labels are the names.
local sparse = require("simec").sparse
local features = {}

function features.vocab(names)
  local v = {names = {}, index = {}}
  for _, n in ipairs(names) do
    if not v.index[n] then
      v.names[#v.names + 1] = n
      v.index[n] = #v.names
    end
  end
  return v
end

function features.onehot(rows, vocab)
  if type(rows) ~= "table" then
    error(("features.onehot: rows must be a list of token lists, got %s"):format(type(rows)), 2)
  end
  if not vocab then
    local seen, names = {}, {}
    for i, toks in ipairs(rows) do
      if type(toks) ~= "table" then
        error(("features.onehot: row %d is a %s, expected a list of tokens"):format(i, type(toks)), 2)
      end
      for _, t in ipairs(toks) do
        if not seen[t] then seen[t] = true; names[#names + 1] = tostring(t) end
      end
    end
    table.sort(names)
    vocab = features.vocab(names)
  end
  local I, J, n = {}, {}, 0
  for i, toks in ipairs(rows) do
    local mark = {}
    for _, t in ipairs(toks) do
      local j = vocab.index[tostring(t)]
      if j and not mark[j] then
        mark[j] = true
        n = n + 1
        I[n], J[n] = i, j
      end
    end
  end
  local X = sparse.from_triplets(I, J, 1, {rows = #rows, cols = #vocab.names})
  if #vocab.names > 0 then X:set_col_labels(vocab.names) end
  return X, vocab
end

require("simec.help").add{
  "features", "Token lists (e.g. genre=Drama) to binary sparse feature matrices.",
  "features.onehot(rows [, vocab])", "A binary sparse matrix (one row per token list, column labels = feature " ..
  "names) and its vocabulary; given a training vocabulary, unknown tokens are dropped (how test items are encoded).",
  "features.vocab(names)", "A vocabulary {names = sorted names, index = {name = column}} from a list of names.",
}

return features
