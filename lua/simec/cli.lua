-- Command lines of the examples that are not study declarations (implicit,
-- dti, explain, similar_items), on Debian's lua-argparse like the study's:
--   local opts = cli.parse(arg, {json = "string", synthetic = "flag", epochs = {"integer", "Epochs."}}, "implicit")
--   local ds = cli.dataset(opts, {items = 1682, users = 943, ratings = 100000, seed = 13})
-- --help lists the options; a usage error prints one line and exits 2.
local data = require "simec.data"
local cli = {}

local DEFAULT_HELP = {json = "Write the results as JSON to this file.", synthetic = "Run on synthetic data.",
                      epochs = "Training epochs."}
local DEFAULT_ARGS = "A MovieLens folder or release name (default ml-100k: the path, then data/NAME, then " ..
                     "../shared/data/NAME)."

-- argparse converters for a numeric option: the value, or nil and a
-- message naming the option (argparse's own names only the value).
-- integer: at least min when given, which "what" may describe
function cli.integer(flag, min, what)
  return function(v)
    local n = math.tointeger(tonumber(v))
    if n and (not min or n >= min) then return n end
    return nil, ("%s needs %s, got %s"):format(flag, what or (min == 1 and "a positive integer") or
                                                 (min == 0 and "a non-negative integer") or
                                                 (min and ("an integer of at least %d"):format(min)) or "an integer", v)
  end
end

function cli.number(flag)
  return function(v)
    local n = data.number(v)
    if n then return n end
    return nil, ("%s needs a number, got %s"):format(flag, v)
  end
end

-- opts from argv, or nil and the message of a usage error. spec maps
-- names to "string", "integer", "number", "flag" or "list" (a repeatable
-- option; or {kind, help} or {"string", help, choices} or {"integer",
-- help, min}: an integer is at least min, 1 unless given, as the
-- examples' counts are); other arguments are positional (opts[1], ...),
-- described by spec._args; dashes in option names are underscores in opts.
function cli.try_parse(argv, spec, prog, about)
  local argparse = require "argparse"
  local p = argparse(prog, about):add_help(true)
  p:argument("args", spec._args or DEFAULT_ARGS):args("*")
  local names = {}
  for name in pairs(spec) do
    if name ~= "_args" then names[#names + 1] = name end
  end
  table.sort(names)
  for _, name in ipairs(names) do
    local kind, help, extra = spec[name], nil, nil
    if type(kind) == "table" then kind, help, extra = kind[1], kind[2], kind[3] end
    local flag = "--" .. name:gsub("_", "-")
    help = help or DEFAULT_HELP[name] or require("simec.study").OPTION_HELP[name]
    if kind == "flag" then p:flag(flag, help)
    elseif kind == "list" then p:option(flag, help):count("*")
    elseif kind == "integer" then p:option(flag, help):convert(cli.integer(flag, extra or 1))
    elseif kind == "number" then p:option(flag, help):convert(cli.number(flag))
    elseif extra then p:option(flag, help):choices(extra)
    else p:option(flag, help) end
  end
  local ok, args = p:pparse(argv)
  if not ok then return nil, ("%s: %s"):format(prog, args) end
  local opts = {}
  for _, name in ipairs(names) do opts[name] = args[name] end
  for i, v in ipairs(args.args) do opts[i] = v end
  return opts
end

function cli.fail(prog, msg)
  io.stderr:write(msg:find("^" .. prog:gsub("%p", "%%%0") .. ": ") and msg or (prog .. ": " .. msg), "\n")
  os.exit(2)
end

function cli.parse(argv, spec, prog, about)
  local opts, err = cli.try_parse(argv, spec, prog, about)
  if not opts then cli.fail(prog, err .. " (see --help)") end
  local unwritable = require("simec.report").unwritable(opts) -- the files the run's end writes, checked first
  if unwritable then cli.fail(prog, unwritable) end
  opts._prog = prog
  return opts
end

-- The options of a file of your own (cli.dataset reads them), for an
-- example's spec: --ratings (help: what its lines hold), --delim, --header,
-- --columns (help: which fields) and --duplicates
function cli.ratings_options(spec, ratings_help, columns_help)
  local study = require "simec.study"
  spec.ratings = {"string", ratings_help}
  spec.delim = "string"
  spec.header = "flag"
  spec.columns = {"string", columns_help .. " " .. study.OPTION_HELP.columns_by_header}
  spec.duplicates = {"string", study.OPTION_HELP.duplicates, study.DUPLICATES}
  return spec
end

-- The data set an example runs on: with --synthetic data.synthetic(synthetic);
-- with --ratings that file (user,item[,value] lines: study.ratings_dataset);
-- else the MovieLens release opts[1] names (default ml-100k), found as
-- simec.study.find_data finds it (the path, data/NAME, ../shared/data/NAME);
-- with the feature files of opts.item_features and opts.user_features.
function cli.dataset(opts, synthetic, movielens_opts)
  local study = require "simec.study"
  local ok, ds = pcall(function()
    local d
    study.check_source(opts, opts[1], "a --ratings file")
    if opts.synthetic then d = data.synthetic(synthetic)
    elseif opts.ratings then d = study.ratings_dataset(opts, true)
    else
      local dir = study.find_data(opts[1] or "ml-100k")
      d = data.movielens(dir, movielens_opts)
    end
    study.add_feature_files(d, opts)
    return d
  end)
  if not ok then cli.fail(opts._prog or "simec", type(ds) == "table" and ds.msg or tostring(ds)) end
  if ds.columns then print(ds.columns) end -- which field is which, when a header's names chose
  return ds
end

require("simec.help").add{
  "cli", "Command lines of the examples (lua-argparse).",
  "cli.parse(argv, spec, prog [, about])", "Options from arg: spec maps names to \"string\", \"integer\" (at " ..
  "least 1, or {\"integer\", help, min}), \"number\", \"flag\" or \"list\" (or {kind, help}); other arguments are " ..
  "positional, described by spec._args (default: a MovieLens folder or release); --help is built in; usage " ..
  "errors print one line and exit 2.",
  "cli.try_parse(argv, spec, prog [, about])", "As cli.parse, returning nil and the message instead of exiting.",
  "cli.integer(flag [, min [, what]])", "An argparse converter for an integer option (at least min): the value, or " ..
  "nil and \"FLAG needs a positive integer, got V\" (what, if given, instead of the kind of integer).",
  "cli.number(flag)", "An argparse converter for a number option, in the readers' grammar (data.number): the value, " ..
  "or nil and \"FLAG needs a number, got V\".",
  "cli.fail(prog, msg)", "Prints 'prog: msg' on stderr and exits 2 (a usage error).",
  "cli.dataset(opts, synthetic [, movielens_opts])", "The data set an example runs on: data.synthetic(synthetic) " ..
  "with --synthetic, the file of --ratings (user,item[,value] lines, read as --delim, --header, --columns and " ..
  "--duplicates say), else the release opts[1] names (ml-100k), looked up as study.find_data does.",
  "cli.ratings_options(spec, ratings_help, columns_help)", "Adds --ratings, --delim, --header, --columns and " ..
  "--duplicates (a file of your own, as cli.dataset reads it) to an example's spec; returns spec.",
}

return cli
