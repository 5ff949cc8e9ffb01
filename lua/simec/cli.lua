-- Command lines of the examples: options and the data set to run on.
--   local opts = cli.parse(arg, {json = "string", synthetic = "flag", epochs = "integer"}, "implicit")
--   local ds = cli.dataset(opts, {items = 1682, users = 943, ratings = 100000, seed = 13})
local data = require "simec.data"
local cli = {}

-- "--name value" for strings and integers, "--name" for flags (dashes in
-- names become underscores); other arguments are positional (opts[1], ...)
function cli.parse(argv, spec, prog)
  local opts, i = {}, 1
  while argv[i] do
    local a = argv[i]
    if a:sub(1, 2) == "--" then
      local key = a:sub(3):gsub("-", "_")
      local kind = spec[key] or error(("%s: unknown option %s"):format(prog, a), 0)
      if kind == "flag" then
        opts[key], i = true, i + 1
      else
        local v = argv[i + 1] or error(("%s: %s needs a value"):format(prog, a), 0)
        if kind == "integer" then
          v = math.tointeger(tonumber(v)) or error(("%s: %s needs an integer, got %s"):format(prog, a, v), 0)
        end
        opts[key], i = v, i + 2
      end
    else
      opts[#opts + 1], i = a, i + 1
    end
  end
  return opts
end

-- DATA_DIR (a MovieLens release), --synthetic, or ../shared/data/ml-100k
-- when it exists and the built-in synthetic data otherwise
function cli.dataset(opts, synthetic, movielens_opts)
  if opts.synthetic or (not opts[1] and not io.open("../shared/data/ml-100k/u.data")) then
    return data.synthetic(synthetic)
  end
  return data.movielens(opts[1] or "../shared/data/ml-100k", movielens_opts)
end

require("simec.help").add{
  "cli", "Command lines of the examples.",
  "cli.parse(argv, spec, prog)", "Options from arg: spec maps names to \"string\", \"integer\" or \"flag\" " ..
  "(--name value / --name); other arguments are positional; errors name prog and the option.",
  "cli.dataset(opts, synthetic [, movielens_opts])", "The data set an example runs on: opts[1] or " ..
  "../shared/data/ml-100k when it exists, else data.synthetic(synthetic) (also with opts.synthetic).",
}

return cli
