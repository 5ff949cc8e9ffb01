-- Data sets: MovieLens (100K; 1M/10M; latest/20M/25M CSV) and a synthetic
-- generator. Ratings are items x users sparse matrices labelled with the
-- original ids; feature matrices are aligned with the rows (columns) of it.
local simec = require "simec"
local features = require "simec.features"
local sparse, matrix, rng = simec.sparse, simec.matrix, simec.rng
local rec = require "simec.rec"
local data = {}

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function is_dir(path)
  local f = io.open(path .. "/.", "rb")
  if f then f:close() return true end
  return false
end

-- the data sets scripts/get-data.sh downloads
local GET_DATA = {["ml-100k"] = true, ["ml-1m"] = true, ["ml-10m"] = true, ["ml-20m"] = true, ["ml-25m"] = true,
                  ["ml-latest"] = true, ["ml-latest-small"] = true, dti = true}

-- The folder above the host's lua/ (a checkout, or share/simec when
-- installed), or nil under stock Lua.
local function home()
  local dir = rawget(_G, "SIMEC_LUA_DIR")
  return type(dir) == "string" and dir:match("^(.+)/lua/*$") or nil
end

-- Where a data set named (or pathed) name lives: the path given, else
-- data/NAME (where scripts/get-data.sh puts it), else ../shared/data/NAME;
-- run from outside the simec checkout (a notebook runs in its own folder),
-- the same two places beside the checkout. Not found: nil, the places
-- looked, and the get-data.sh command when the script knows the name.
function data.find(name)
  local tried = {name}
  if is_dir(name) then return name end
  if not name:find("/", 1, true) then
    local roots = {"data", "../shared/data"}
    local h = home()
    if h and not exists("lua/simec/data.lua") then -- not in a checkout, whose data/ was just tried
      roots[3], roots[4] = h .. "/data", h .. "/../shared/data"
    end
    for _, root in ipairs(roots) do
      local p = root .. "/" .. name
      tried[#tried + 1] = p
      if is_dir(p) then return p end
    end
  end
  return nil, tried, GET_DATA[name] and ("scripts/get-data.sh %s"):format(name) or nil
end

-- What a data set prints as in the REPL:
--   ml-100k: 1,682 items x 943 users, 100,000 ratings; 27 item features, 49 user features
-- 12345 -> "12,345"
function data.thousands(n)
  local sign, digits, rest = tostring(math.tointeger(n) or n):match("^(-?)(%d*)(.*)$")
  return sign .. digits:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "") .. rest
end
local count = data.thousands
data.DataSet = require("simec.help").shape{__name = "data set"}
data.DataSet.__tostring = function(d)
  local R = d.ratings or d.interactions or (d.given and d.given.train)
  if not R then return ("data set %s"):format(tostring(d.name)) end
  local rows, cols = "items", "users"
  if d.targets then rows, cols = "targets", "drugs" elseif d.interactions then rows, cols = "rows", "columns" end
  local function nf(side, what)
    local X = side and (side.features or side.similarity)
    return X and ("%s %s features"):format(count(X:ncols()), what) or ("no %s features"):format(what)
  end
  return ("%s: %s %s x %s %s, %s %s; %s, %s"):format(tostring(d.name), count(R:nrows()), rows, count(R:ncols()), cols,
    count(R:nnz()), d.interactions and "interactions" or "ratings", nf(d.items or d.targets or d.rows, rows:sub(1, -2)),
    nf(d.users or d.drugs or d.cols, cols == "columns" and "column" or cols:sub(1, -2)))
end

-- A file's first line as text: a byte-order mark dropped, a file that is
-- not text (compressed, a workbook, UTF-16 ...) an error naming it
local function first_text(path, l)
  local what = simec.not_text(l)
  if what then error(("%s: %s"):format(path, what), 0) end
  return (l:gsub("^\239\187\191", ""))
end

-- The lines of a text file, numbered: "\n", "\r\n" and "\r" (old Mac)
-- endings alike, a UTF-8 byte-order mark at the start dropped, a
-- file that is not text an error
local function each_line(path)
  local f, err = io.open(path, "rb")
  if not f then error(err, 3) end
  local n, queue, first = 0, {}, true
  return function()
    if #queue == 0 then
      local l = f:read("l")
      if not l then f:close() return nil end
      if first then
        local ok, text = pcall(first_text, path, l)
        if not ok then f:close() error(text, 0) end
        l, first = text, false
      end
      l = l:gsub("\r$", "")
      for part in (l .. "\r"):gmatch("([^\r]*)\r") do queue[#queue + 1] = part end
    end
    n = n + 1
    return n, table.remove(queue, 1)
  end
end

-- The first two lines of a file as each_line reads them (nil for one it
-- lacks), without reading further; false and the message when it cannot
-- be opened
local function first_lines(path)
  local f, err = io.open(path, "rb")
  if not f then return false, err end
  local a, b = f:read("l", "l")
  f:close()
  if not a then return nil end
  local lines = {}
  for k, l in ipairs{a, b} do
    if k == 1 then l = first_text(path, l) end
    for part in (l:gsub("\r$", "") .. "\r"):gmatch("([^\r]*)\r") do lines[#lines + 1] = part end
  end
  return lines[1], lines[2]
end

-- The first line alone (nil when empty); false and the message when the
-- file cannot be opened
local function first_line(path)
  local l, err = first_lines(path)
  if l == false then return false, err end
  return l
end

local function split(s, sep)
  local out, i = {}, 1
  while true do
    local a, b = s:find(sep, i, true)
    if not a then out[#out + 1] = s:sub(i); return out end
    out[#out + 1] = s:sub(i, a - 1)
    i = b + 1
  end
end

-- A number in the readers' grammar: the C readers' own parser
-- (io_parse_number), so Lua and C readers take the same numbers.
data.number = simec.number

-- What an error about field text v adds when the readers can tell why it
-- is no number (a decimal comma): data.number's second result
local function why_not_number(v)
  local _, why = data.number(v)
  return why and (" (%s)"):format(why) or ""
end

-- The names a ratings file's header gives its user, item and rating
-- fields, compared without case, spaces, '_', '-' and '.' (MovieLens's
-- userId, Book-Crossing's User-ID, Amazon's reviewerID and overall, ...).
local HEADER_NAMES = {
  user = {"user", "users", "userid", "uid", "u", "customer", "customerid", "reviewer", "reviewerid", "member",
          "memberid", "visitor", "visitorid", "client", "clientid", "person", "personid", "account", "accountid",
          "player", "playerid"},
  item = {"item", "items", "itemid", "iid", "i", "movie", "movieid", "product", "productid", "asin", "isbn", "book",
          "bookid", "song", "songid", "track", "trackid", "artist", "artistid", "business", "businessid", "anime",
          "animeid", "game", "gameid", "recipe", "recipeid", "beer", "beerid", "joke", "jokeid", "article",
          "articleid", "video", "videoid", "restaurant", "restaurantid", "hotel", "hotelid", "place", "placeid",
          "course", "courseid", "news", "newsid", "app", "appid"},
  rating = {"rating", "ratings", "r", "score", "stars", "star", "value", "preference", "pref", "bookrating",
            "overall", "grade", "count", "playcount", "plays", "weight", "label", "y"},
}
local HEADER_ROLE = {}
for role, names in pairs(HEADER_NAMES) do
  for _, n in ipairs(names) do HEADER_ROLE[n] = role end
end

local function header_key(name) return (name:lower():gsub("[%s_%-%.]", "")) end

-- Which of a header's fields (a list of names) hold the user, the item and
-- the rating: {user = i, item = j, rating = k or nil}, or nil, why and
-- whether two fields name one role (rather than none the user's or the
-- item's). The user's and the item's must each be named by one field; the
-- rating's is the one named so, else the one field left of three.
function data.header_columns(fields)
  local at = {}
  for f, name in ipairs(fields) do
    local role = HEADER_ROLE[header_key(name)]
    if role then
      if at[role] then return nil, ("fields %d and %d ('%s', '%s') both name the %s"):format(at[role], f,
        fields[at[role]], name, role), true end
      at[role] = f
    end
  end
  if not at.user or not at.item then
    return nil, ("no field is named as the %s"):format(not at.user and "user" or "item")
  end
  if not at.rating and #fields == 3 then at.rating = 6 - at.user - at.item end
  return at
end

-- A ratings file's first line split as the ratings reader splits a line:
-- at delim, or at the delimiter the reader detects on line 2 as a first
-- data line of need fields; its fields and the line, or nil when the file
-- has no two lines or they cannot be split (the reader then says why).
function data.header_fields(path, delim, need)
  local read, head, first = pcall(first_lines, path)
  if not read or not head or not first then return nil end
  local detected, _, d = pcall(sparse.split_line, first, delim, need)
  if not detected then return nil end
  local split_ok, names = pcall(sparse.split_line, head, d)
  if split_ok then return names, head end
end

-- a feature file's empty field or R's NA: a missing value, not a token
local function missing_value(v) return v == "" or v == "NA" end

-- one CSV record with RFC 4180 quoting ("" inside quotes), its fields
-- separated by delim (one character; default ","); spaces around a field
-- or its quotes are not part of it ("1, 2" is "1" and "2"), as in the C
-- reader of ratings, unless delim is a space
function data.csv_fields(line, delim)
  delim = delim or ","
  local trim = delim ~= " "
  local out, i, n = {}, 1, #line
  while i <= n + 1 do
    local b = i
    if trim then b = line:find("[^ ]", i) or n + 1 end
    if line:sub(b, b) == '"' then
      local buf, j = {}, b + 1
      while true do
        local q = line:find('"', j, true)
        if not q then error("unterminated quote", 2) end
        buf[#buf + 1] = line:sub(j, q - 1)
        if line:sub(q + 1, q + 1) == '"' then
          buf[#buf + 1] = '"'
          j = q + 2
        else
          local a = q + 1
          if trim then a = line:find("[^ ]", a) or n + 1 end
          local after = line:sub(a, a)
          if after ~= "" and after ~= delim then error("text after a closing quote", 2) end
          out[#out + 1] = table.concat(buf)
          i = a + 1 -- past the delimiter
          break
        end
      end
    else
      local c = line:find(delim, i, true) or n + 1
      local f = line:sub(i, c - 1)
      if trim then f = f:match("^ *(.-) *$") end
      out[#out + 1] = f
      i = c + 1
    end
  end
  return out
end

-- the column labels of a header (line 1: an id column, then these), or an
-- error naming the first two columns of one label
local function distinct_labels(path, labels)
  local at = {}
  for k, name in ipairs(labels) do
    if at[name] then
      error(("%s:1: columns %d and %d are both labelled '%s'"):format(path, at[name] + 1, k + 1, name), 0)
    end
    at[name] = k
  end
  return labels
end

-- fields(line, ln) of a file of one's own, split at delim as CSV writers
-- quote them (R's write.csv quotes every string); a malformed quote is an
-- error naming path and line
local function fields_reader(path, delim)
  return function(line, ln)
    local ok, f = pcall(data.csv_fields, line, delim)
    if not ok then error(("%s:%d: %s"):format(path, ln, tostring(f):gsub("^.-: ", "")), 0) end
    return f
  end
end

-- Text as UTF-8: a string that is not valid UTF-8 is read as Latin-1
-- (ml-100k's u.item is; "Ã" + "(c)" mojibake otherwise reaches the screen)
local function utf8_text(s)
  if utf8.len(s) then return s end
  return (s:gsub("[\128-\255]", function(c) return utf8.char(c:byte()) end))
end

local function year_of(title, date)
  local y = title and title:match("%((%d%d%d%d)%)%s*$")
  if not y and date then y = date:match("(%d%d%d%d)") end
  return y and tonumber(y) or nil
end

local AGE_1M = {["1"] = "Under 18", ["18"] = "18-24", ["25"] = "25-34", ["35"] = "35-44", ["45"] = "45-49",
                ["50"] = "50-55", ["56"] = "56+"}
local function age_bucket(age)
  age = tonumber(age)
  if not age then return nil end
  if age < 18 then return "Under 18" elseif age < 25 then return "18-24" elseif age < 35 then return "25-34"
  elseif age < 45 then return "35-44" elseif age < 50 then return "45-49" elseif age < 56 then return "50-55" end
  return "56+"
end
local OCC_1M = {[0] = "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
  "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student",
  "lawyer", "programmer", "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer",
  "tradesman/craftsman", "unemployed", "writer"}

local function item_tokens(genres, year)
  local t = {}
  for _, g in ipairs(genres) do
    if g ~= "" and g ~= "(no genres listed)" then t[#t + 1] = "genre=" .. g end
  end
  if year then t[#t + 1] = ("decade=%ds"):format(year // 10 * 10) end
  return t
end

-- extra "id<TAB>token" files merged into the token lists (keyed by id)
local function merge_pairs(path, tokens, what)
  local ignored = 0
  for ln, line in each_line(path) do
    if line ~= "" then
      local id, tok = line:match("^([^\t]+)\t(.+)$")
      if not id then error(("%s:%d: expected 'id<TAB>token'"):format(path, ln), 3) end
      local t = tokens[id]
      if t then t[#t + 1] = tok else ignored = ignored + 1 end
    end
  end
  if ignored > 0 then
    io.stderr:write(("simec: warning: %s: %d lines name %s ids that are not in the ratings (ignored)\n")
      :format(path, ignored, what))
  end
end

-- Token lists in the order of the labels (rows or columns of R).
local function aligned(labels, meta)
  local rows = {}
  for i, id in ipairs(labels) do rows[i] = meta[id] or {} end
  return rows
end

-- The rows of the labelled sparse matrix A in the order of ids (an empty
-- row for an id A lacks), by one gather in C.
local function align_rows(A, ids)
  local blank = A:nrows() + 1
  local idx = {}
  for i, id in ipairs(ids) do idx[i] = A:row_index(id) or blank end
  local Z = sparse.from_triplets({}, {}, 1, {rows = 1, cols = A:ncols()})
  local cl = A:col_labels()
  local B = sparse.vstack{A, Z}:select_rows(idx)
  if cl then B:set_col_labels(cl) end
  return B
end

-- what a field-count error adds when its line begins like another
-- tool's comment ("#", "%"): here every line is data
local function comment_hint(line)
  return line:match("^[#%%]") and " (a comment line? every line is read as data: remove it)" or ""
end

-- The tokens of a '|' list: spaces around a token are not part of it, an
-- empty token ("a||b") names nothing, and a token given twice counts once.
local function list_tokens(v)
  local out, once = {}, {}
  for token in (v .. "|"):gmatch("([^|]*)|") do
    token = token:match("^%s*(.-)%s*$")
    if token ~= "" and not once[token] then once[token], out[#out + 1] = true, token end
  end
  return out
end

-- Values most of which hold a '|' (MovieLens's "Comedy|Drama", pandas'
-- str.get_dummies(sep="|")) are lists: a feature per token, so that two
-- lists share their common genres. given and listed count the values.
local function are_lists(listed, given) return listed > 0 and listed >= given / 2 end

-- Ids are compared as written, so '007' and '7' are two items; a file
-- that writes the data's ids otherwise (leading zeros of a number, case,
-- spaces around them) gets a hint naming the first such pair.
local function id_key(id)
  local k = id:match("^%s*(.-)%s*$"):lower()
  return k:match("^0+(%d.*)$") or k
end
-- The first id of the list unknown that an id of known would be but for
-- that, as "'001' differs from <whose> '1' only in ...", or nil.
function data.near_hint(unknown, known, whose)
  if #unknown == 0 then return nil end
  local keys = {}
  for _, id in ipairs(known) do
    local k = id_key(id)
    keys[k] = keys[k] or id
  end
  for _, id in ipairs(unknown) do
    local near = keys[id_key(id)]
    if near then
      return ("'%s' differs from %s '%s' only in leading zeros, case or spaces, and ids are compared as written")
        :format(id, whose, near)
    end
  end
end

-- A feature file for the items (or users) ids, aligned with them: either
-- pairs, "id<TAB>token" or "id,token" per line (a binary feature per
-- token, or per token of the lists where most tokens are '|' lists), or columns, a header "id,name1,name2,..." and a row of values per
-- id (tab, comma or ';' between fields): a column of 0s and 1s as it is
-- (an empty field 0), any other column of numbers standardised over the
-- ids' lines (an empty field, or an id without a line, its mean: 0), a
-- column of words categorical (a 0/1 feature "name=value" per value, or
-- per token where most values are '|' lists); an empty field and R's NA
-- are missing values. A file of two
-- fields a line is ambiguous: its first line is a header when it names no
-- id and its second field is no number, and then the values under it
-- decide: numbers make one column, tokens make pairs (the header skipped),
-- and a mix with numbers in the majority is an error at the first token, so
-- that a numeric column is never read as one token per value. Lines naming
-- ids outside ids are counted; so are the ids a column file has no line
-- for (their values are 0, a standardised column's mean); an id given
-- twice in a column file is an error. Returns a sparse matrix (#ids x features, labelled columns) and
-- {format, id_field (the ids' field when a header names one other than
-- the first: age,gender,user_id), features, lines, unknown, first_unknown = {line, id}, near (a
-- data.near_hint for the first 1000 unknown ids, or nil), header,
-- missing (ids without a line), standardised, categorical (columns), blank
-- (missing values of the ids' lines), id_like (categorical columns with
-- about a value per id: {name, values, ids}), lists (categorical columns
-- most of whose values hold a '|', split into tokens: {name, listed, ids,
-- tokens})}.
function data.features_file(path, ids, what)
  local index = {}
  for i, id in ipairs(ids) do index[id] = i end
  local first, err = first_line(path)
  if first == false then error(("%s features: %s"):format(what, err), 0) end
  if not first then error(("%s: empty %s feature file"):format(path, what), 0) end
  local delim = first:find("\t", 1, true) and "\t" or first:find(",", 1, true) and "," or
                first:find(";", 1, true) and ";" or nil
  if not delim then
    -- MovieLens 100K's u.user and u.item separate their fields by '|' and
    -- have no header: which column is which is not in the file
    local piped = first:find("|", 1, true) and
      " (fields separated by '|', as MovieLens 100K's u.user and u.item: give a table a header line naming " ..
      "its columns and tabs, ',' or ';' between fields; the ml-100k folder as the data set reads its own files)" or ""
    error(("%s:1: expected 'id<TAB>token', 'id,token' or a header of columns%s%s"):format(path, piped,
          comment_hint(first)), 0)
  end
  local I, J, V, unknown, lines, first_unknown, unknown_ids = {}, {}, {}, 0, 0, nil, {}
  local function note_unknown(n, ln, id)
    first_unknown = first_unknown or {line = ln, id = id}
    if #unknown_ids < 1000 then unknown_ids[#unknown_ids + 1] = id end
    return n + 1
  end
  local function near()
    return data.near_hint(unknown_ids, ids, ("the data's %s"):format(what))
  end
  -- a file none of whose ids the data has would add only zeros: the other
  -- side's file, or a line split at the wrong character
  local function some_known()
    if lines > 0 and unknown == lines then
      local like = near() or ("the data's %s ids look like '%s'"):format(what, ids[1] or "")
      error(("%s: its %d lines name no %s id of the data (line %d: '%s'; %s)")
        :format(path, lines, what, first_unknown.line, first_unknown.id, like), 0)
    end
  end
  local fields_of = fields_reader(path, delim)
  local head = fields_of(first, 1)
  -- a header whose first field is not the ids' but names one other field
  -- as them (age,gender,user_id): that field is read as the id column
  local function names_ids(name)
    local key = header_key(name)
    return HEADER_ROLE[key] == what or key == "id"
  end
  local id_column
  if not index[head[1]] and not names_ids(head[1]) then
    for f = 2, #head do
      if names_ids(head[f]) then
        if id_column then
          error(("%s:1: fields %d and %d ('%s', '%s') both name the %s ids; put the ids' field first"):format(path,
                id_column, f, head[id_column], head[f], what), 0)
        end
        id_column = f
      end
    end
  end
  if id_column then
    local raw = fields_of
    fields_of = function(line, ln)
      local f = raw(line, ln)
      if #f >= id_column then table.insert(f, 1, table.remove(f, id_column)) end
      return f
    end
    head = fields_of(first, 1)
  end
  local columns, pairs_header = #head > 2, false
  if #head == 2 and not index[head[1]] and not data.number(head[2]) then
    local numbers, tokens, first_token = 0, 0, nil
    for ln, line in each_line(path) do
      local v = ln > 1 and fields_of(line, ln)[2]
      local why = v and why_not_number(v)
      if why and why ~= "" then -- a number, not a token: refused rather than read as a category
        error(("%s:%d: field 2 (%s) is not a finite number: '%s'%s"):format(path, ln, head[2], v, why), 0)
      end
      if v and (missing_value(v) or data.number(v)) then
        numbers = numbers + 1
      elseif v then
        tokens, first_token = tokens + 1, first_token or {ln, v}
      end
    end
    if tokens > 0 and numbers > tokens then
      error(("%s:%d: field 2 (%s) is not a finite number: '%s' (line 1 is a header and %d of the %d values under " ..
             "it are numbers)"):format(path, first_token[1], head[2], first_token[2], numbers, numbers + tokens), 0)
    end
    columns, pairs_header = tokens == 0, tokens > 0
  end
  if not columns then
    local rows, listed = {}, 0
    for i = 1, #ids do rows[i] = {} end
    for ln, line in each_line(path) do
      if line ~= "" and not (pairs_header and ln == 1) then
        local fields = fields_of(line, ln)
        if #fields ~= 2 or fields[1] == "" or fields[2] == "" then
          error(("%s:%d: expected 'id%stoken', got %d fields%s"):format(path, ln, delim == "\t" and "<TAB>" or delim,
                #fields, comment_hint(line)), 0)
        end
        lines = lines + 1
        local r = index[fields[1]]
        if r then
          local t = rows[r]
          t[#t + 1] = fields[2]
          if fields[2]:find("|", 1, true) then listed = listed + 1 end
        else
          unknown = note_unknown(unknown, ln, fields[1])
        end
      end
    end
    some_known()
    local lists, split = {}, are_lists(listed, lines - unknown)
    if split then
      for r, values in ipairs(rows) do
        local tokens = {}
        for _, v in ipairs(values) do
          for _, token in ipairs(list_tokens(v)) do tokens[#tokens + 1] = token end
        end
        rows[r] = tokens
      end
    end
    local X = features.onehot(rows)
    if split then
      lists[1] = {name = pairs_header and head[2] or "token", listed = listed, ids = lines - unknown, tokens = X:ncols()}
    end
    return X, {format = "pairs", id_field = id_column, features = X:ncols(), lines = lines, unknown = unknown,
               first_unknown = first_unknown, near = near(),
               header = pairs_header, missing = 0, standardised = 0, categorical = 0, blank = 0, id_like = {},
               lists = lists}
  end
  -- The first pass checks every line and keeps, per column, the count,
  -- mean and squared deviations (Welford) of the known ids' numbers,
  -- whether they are all 0 or 1, and how many values are numbers and how
  -- many text; the second takes the values. A column of numbers stays as
  -- it is when it holds 0s and 1s and is standardised otherwise, so that a
  -- year or a count does not swamp the models' other inputs (an empty
  -- field or an id without a line is then the column's mean, 0). A column
  -- whose values are mostly text (gender, occupation) is categorical: a
  -- 0/1 feature "name=value" per value its known ids have. Text among
  -- mostly numbers, or a value that looks like a number but is none (inf,
  -- 0x10, 3,5), is an error rather than a guess.
  local names, seen, stats = nil, {}, {}
  local function looks_numeric(v)
    local l = v:lower()
    return v:find("^[%+%-]?%.?%d") ~= nil or l:find("^[%+%-]?inf") ~= nil or l:find("^[%+%-]?nan$") ~= nil
  end
  local blank = 0
  for ln, line in each_line(path) do
    local fields = fields_of(line, ln)
    if ln == 1 then
      names = distinct_labels(path, {table.unpack(fields, 2)})
      for k = 1, #names do stats[k] = {n = 0, mean = 0, m2 = 0, binary = true, numbers = 0, odd = 0, words = 0} end
    elseif line ~= "" then
      if #fields ~= #names + 1 then
        error(("%s:%d: expected %d fields (an id and %d values), got %d%s"):format(path, ln, #names + 1, #names,
              #fields, comment_hint(line)), 0)
      end
      lines = lines + 1
      local r = index[fields[1]]
      if seen[fields[1]] then error(("%s:%d: %s id %s given twice"):format(path, ln, what, fields[1]), 0) end
      seen[fields[1]] = true
      if not r then unknown = note_unknown(unknown, ln, fields[1]) end
      for k = 2, #fields do
        local v, st = fields[k], stats[k - 1]
        if missing_value(v) then
          if r then blank = blank + 1 end
        else
          local x = data.number(v) -- finite, or nil
          if x then
            st.numbers = st.numbers + 1
            if r then
              st.n = st.n + 1
              local d = x - st.mean
              st.mean = st.mean + d / st.n
              st.m2 = st.m2 + d * (x - st.mean)
              st.binary = st.binary and (x == 0 or x == 1)
            end
          else
            local odd = looks_numeric(v)
            if odd then st.odd = st.odd + 1 else st.words = st.words + 1 end
            if not st.first then st.first = {ln, v, odd} end
          end
        end
      end
    end
  end
  -- a column of words is categorical; in any other the first line (then
  -- column) whose value is no number is an error
  local worst
  for k, st in ipairs(stats) do
    st.categorical = st.words > 0 and st.words >= st.numbers + st.odd
    local at = not st.categorical and st.first
    if at and (not worst or at[1] < worst[1]) then
      local why = why_not_number(at[2])
      if why == "" and not at[3] then
        why = (" (%d of the %d values in this column are numbers; a column of codes? give it as 'id,token' pairs)")
          :format(st.numbers + st.odd, st.numbers + st.odd + st.words)
      end
      worst = {at[1], ("%s:%d: field %d (%s) is not a finite number: '%s'%s"):format(path, at[1], k + 1, names[k],
                       at[2], why)}
    end
  end
  if worst then error(worst[2], 0) end
  some_known()
  local standardised, categorical = 0, 0
  for _, st in ipairs(stats) do
    if st.categorical then
      categorical, st.rows = categorical + 1, {}
    elseif not st.binary then
      standardised = standardised + 1
      st.sd = st.m2 > 0 and math.sqrt(st.m2 / st.n) or nil -- nil: a constant column, all 0
    end
  end
  for ln, line in each_line(path) do
    if ln > 1 and line ~= "" then
      local fields = fields_of(line, ln)
      local r = index[fields[1]]
      if r then
        for k = 2, #fields do
          local v, st = fields[k], stats[k - 1]
          if missing_value(v) then -- a number's mean (0) or no category
          elseif st.categorical then
            local rows = st.rows[v]
            if not rows then rows = {}; st.rows[v] = rows end
            rows[#rows + 1] = r
          else
            local x = data.number(v)
            if not st.binary then x = st.sd and (x - st.mean) / st.sd or 0 end
            if x ~= 0 then I[#I + 1], J[#J + 1], V[#V + 1] = r, k - 1, x end
          end
        end
      end
    end
  end
  -- columns in the file's order, a categorical one as its values in
  -- sorted order (numbers by value); the numbers' entries so far name
  -- their column in the file
  local labels, col_of, nnum, id_like, lists = {}, {}, #J, {}, {}
  for k, st in ipairs(stats) do
    if st.categorical then
      local values, num, given, listed = {}, {}, 0, 0
      for v, rows in pairs(st.rows) do
        given = given + #rows
        if v:find("|", 1, true) then listed = listed + #rows end
      end
      local split = are_lists(listed, given)
      if split then
        local by_token = {}
        for v, rows in pairs(st.rows) do
          for _, token in ipairs(list_tokens(v)) do
            local t = by_token[token]
            if not t then t = {}; by_token[token] = t end
            table.move(rows, 1, #rows, #t + 1, t)
          end
        end
        st.rows = by_token
      end
      for v in pairs(st.rows) do values[#values + 1], num[v] = v, data.number(v) end
      table.sort(values, function(x, y)
        local nx, ny = num[x], num[y]
        if nx and ny and nx ~= ny then return nx < ny end
        if (nx ~= nil) ~= (ny ~= nil) then return nx ~= nil end
        return x < y
      end)
      -- a value for about every id (a title, a name) makes features that
      -- no two ids, and no new id, share
      if given >= 10 and #values > given / 2 then
        id_like[#id_like + 1] = {name = names[k], values = #values, ids = given}
      end
      if split then
        lists[#lists + 1] = {name = names[k], listed = listed, ids = given, tokens = #values}
      end
      for _, v in ipairs(values) do
        labels[#labels + 1] = names[k] .. "=" .. v
        for _, r in ipairs(st.rows[v]) do I[#I + 1], J[#J + 1], V[#V + 1] = r, #labels, 1 end
      end
    else
      labels[#labels + 1] = names[k]
      col_of[k] = #labels
    end
  end
  for t = 1, nnum do J[t] = col_of[J[t]] end
  local X = sparse.from_triplets(I, J, V, {rows = #ids, cols = #labels})
  if #labels > 0 then X:set_col_labels(labels) end
  return X, {format = "columns", id_field = id_column, features = #labels, lines = lines, unknown = unknown,
             first_unknown = first_unknown, near = near(),
             header = true, missing = #ids - (lines - unknown), standardised = standardised, categorical = categorical,
             blank = blank, id_like = id_like, lists = lists}
end

-- The warnings for a feature file (info from data.features_file): its
-- lines whose ids are not in the data (how many, and the first), and the
-- ids of the data a column file has no line for.
-- what names the side ("user"), where the data ("the ratings").
function data.warn_features(path, info, what, where)
  if info.unknown > 0 then
    io.stderr:write(("simec: warning: %s: %d of %d lines name %s ids that are not in %s (first: line %d, '%s')%s\n")
      :format(path, info.unknown, info.lines, what, where, info.first_unknown.line, info.first_unknown.id,
              info.near and "; " .. info.near or ""))
  end
  if info.missing > 0 then
    io.stderr:write(("simec: warning: %s: %d %s ids of %s have no line (their features are 0, a standardised " ..
                     "column's mean)\n")
      :format(path, info.missing, what, where))
  end
  for _, c in ipairs(info.id_like) do
    io.stderr:write(("simec: warning: %s: column %s has %d values among %d %ss: as categories they are about one " ..
                     "per %s, shared by none and by no new %s (leave the column out?)\n")
      :format(path, c.name, c.values, c.ids, what, what, what))
  end
end

-- The tag genome (movieId,tagId,relevance): items x tags, the relevance
-- where it is at least min (columns "genome=<tag>" when genome-tags.csv is there)
local function genome(scores, tags, item_ids, min)
  local f1 = split(first_line(scores) or "", ",")
  local G = sparse.read(scores, {row = 1, col = 2, value = 3, delim = ",", header = not data.number(f1[3] or "")})
  -- relevances lie in [0, 1]: from_dense keeps those above the tolerance
  local kept = sparse.from_dense(G:dense(), math.max(0, min - 1e-12))
  kept:set_row_labels(G:row_labels())
  local names = {}
  if tags then
    -- a header line names tag "tagId", which no score column has
    for ln, line in each_line(tags) do
      if line ~= "" then
        local ok, f = pcall(data.csv_fields, line)
        if not ok or #f < 2 then error(("%s:%d: expected tagId,tag"):format(tags, ln), 0) end
        names[f[1]] = f[2]
      end
    end
  end
  local cols = {}
  for j, id in ipairs(G:col_labels()) do cols[j] = "genome=" .. (names[id] or id) end
  local A = align_rows(kept, item_ids)
  A:set_col_labels(cols)
  return A
end

function data.movielens(dir, opts)
  opts = opts or {}
  if type(dir) ~= "string" then error("data.movielens: dir must be a string", 2) end
  local found, tried, get = data.find(dir)
  if not found then
    error(("data.movielens: no data set %s: looked in %s%s"):format(dir, table.concat(tried, ", "),
          get and "; get it with " .. get or ""), 2)
  end
  dir = found
  local p = function(f) return dir .. "/" .. f end
  local ds, R, info
  local item_meta, user_meta, titles, years = {}, nil, {}, {}
  if exists(p("u.data")) then
    ds = "ml-100k"
    R, info = sparse.read(p("u.data"), {row = 2, col = 1, value = 3, delim = "\t", order = true})
    local genre_names = {}
    if exists(p("u.genre")) then
      for _, line in each_line(p("u.genre")) do
        local name, idx = line:match("^(.-)|(%d+)$")
        if name then genre_names[tonumber(idx) + 1] = name end
      end
    end
    if exists(p("u.item")) then
      for ln, line in each_line(p("u.item")) do
        local f = split(line, "|")
        if #f < 24 then error(("%s:%d: expected 24 fields, got %d"):format(p("u.item"), ln, #f), 2) end
        local g = {}
        for k = 1, 19 do if f[5 + k] == "1" then g[#g + 1] = genre_names[k] or ("genre" .. k) end end
        titles[f[1]], years[f[1]] = utf8_text(f[2]), year_of(f[2], f[3])
        item_meta[f[1]] = item_tokens(g, years[f[1]])
      end
    end
    if exists(p("u.user")) then
      user_meta = {}
      for ln, line in each_line(p("u.user")) do
        local f = split(line, "|")
        if #f < 5 then error(("%s:%d: expected 5 fields, got %d"):format(p("u.user"), ln, #f), 2) end
        user_meta[f[1]] = {"gender=" .. f[3], "age=" .. (age_bucket(f[2]) or "?"), "occupation=" .. f[4],
                           "zip=" .. f[5]:sub(1, 1)}
      end
    end
  elseif exists(p("ratings.dat")) then
    R, info = sparse.read(p("ratings.dat"), {row = 2, col = 1, value = 3, delim = "::", order = true})
    ds = R:ncols() > 10000 and "ml-10m" or "ml-1m"
    if exists(p("movies.dat")) then
      for ln, line in each_line(p("movies.dat")) do
        local id, title, genres = line:match("^(.-)::(.*)::(.-)$")
        if not id then error(("%s:%d: expected 'id::title::genres'"):format(p("movies.dat"), ln), 2) end
        titles[id], years[id] = utf8_text(title), year_of(title)
        item_meta[id] = item_tokens(split(genres, "|"), years[id])
      end
    end
    if exists(p("users.dat")) then
      user_meta = {}
      for ln, line in each_line(p("users.dat")) do
        local f = split(line, "::")
        if #f < 5 then error(("%s:%d: expected 5 fields, got %d"):format(p("users.dat"), ln, #f), 2) end
        user_meta[f[1]] = {"gender=" .. f[2], "age=" .. (AGE_1M[f[3]] or f[3]),
                           "occupation=" .. (OCC_1M[tonumber(f[4])] or f[4]), "zip=" .. f[5]:sub(1, 1)}
      end
    end
    if exists(p("tags.dat")) then
      local tags = {}
      for ln, line in each_line(p("tags.dat")) do
        if line ~= "" then
          local f = split(line, "::")
          if #f < 4 then error(("%s:%d: expected userId::movieId::tag::timestamp"):format(p("tags.dat"), ln), 2) end
          tags[#tags + 1] = {f[2], f[3]}
        end
      end
      data._add_tags(item_meta, tags, opts.min_tag_count or 5)
    end
  elseif exists(p("ratings.csv")) then
    -- the releases have a header line; a file without one keeps its first
    -- rating. The rating field tells them apart: ids need not be numbers.
    local first = first_line(p("ratings.csv"))
    local f1 = split(first or "", ",")
    local header = not data.number(f1[3] or "")
    R, info = sparse.read(p("ratings.csv"), {row = 2, col = 1, value = 3, delim = ",", header = header, order = true})
    ds = "ml-csv"
    -- The first line of movies.csv and tags.csv is a header when its
    -- movieId is no rated item: a file without a header keeps its first
    -- line, and a line about an unrated item would not count anyway.
    local function header(ln, ok, id) return ln == 1 and ok and id ~= nil and not R:row_index(id) end
    if exists(p("movies.csv")) then
      for ln, line in each_line(p("movies.csv")) do
        local ok, f = pcall(data.csv_fields, line)
        if not header(ln, ok, f[1]) then
          if not ok or #f < 3 then error(("%s:%d: expected movieId,title,genres"):format(p("movies.csv"), ln), 2) end
          titles[f[1]], years[f[1]] = utf8_text(f[2]), year_of(f[2])
          item_meta[f[1]] = item_tokens(split(f[3], "|"), years[f[1]])
        end
      end
    end
    if exists(p("tags.csv")) then
      local tags = {}
      for ln, line in each_line(p("tags.csv")) do
        local ok, f = pcall(data.csv_fields, line)
        if not header(ln, ok, f[2]) then
          if not ok or #f < 3 then error(("%s:%d: expected userId,movieId,tag,timestamp"):format(p("tags.csv"), ln), 2) end
          tags[#tags + 1] = {f[2], f[3]}
        end
      end
      data._add_tags(item_meta, tags, opts.min_tag_count or 5)
    end
  else
    error(("data.movielens: no MovieLens ratings in %s (expected u.data, ratings.dat or ratings.csv)"):format(dir), 2)
  end

  local item_ids, user_ids = R:row_labels(), R:col_labels()
  for _, id in ipairs(item_ids) do item_meta[id] = item_meta[id] or {} end
  local base = dir:gsub("/+$", ""):match("([^/]+)$")
  if ds == "ml-csv" or ds == "ml-10m" or ds == "ml-1m" then
    -- the folder's own name where it says which release this is (get-data.sh names them so)
    ds = base and base:match("^ml%-") and base:lower():gsub("^ml%-10m100k$", "ml-10m") or ds
  end
  if opts.item_features then merge_pairs(opts.item_features, item_meta, "item") end
  if opts.user_features then
    user_meta = user_meta or {}
    for _, id in ipairs(user_ids) do user_meta[id] = user_meta[id] or {} end
    merge_pairs(opts.user_features, user_meta, "user")
  end
  local out = {name = ds, dir = dir, ratings = R, order = info.order}
  local item_rows = aligned(item_ids, item_meta)
  local X, vocab = features.onehot(item_rows)
  -- the tag genome (20m, 25m, latest): relevance scores of items for 1,128 tags, kept where they reach genome_min
  local gmin = opts.genome_min == nil and 0.5 or opts.genome_min
  if gmin and exists(p("genome-scores.csv")) then
    local G = genome(p("genome-scores.csv"), exists(p("genome-tags.csv")) and p("genome-tags.csv") or nil,
                          item_ids, gmin)
    X = sparse.hstack{X, G}
    out.genome = {tags = G:ncols(), min = gmin, entries = G:nnz()}
  end
  local t, y = {}, {}
  for i, id in ipairs(item_ids) do t[i], y[i] = titles[id], years[id] end
  -- a title listed under several ids (ml-100k has some movies twice): disclosed, not merged
  local by_title, duplicates = {}, {}
  for i = 1, #item_ids do
    local title = t[i]
    if title then
      local list = by_title[title]
      if list then list[#list + 1] = item_ids[i] else by_title[title] = {item_ids[i]} end
    end
  end
  for title, ids in pairs(by_title) do
    if #ids > 1 then duplicates[#duplicates + 1] = {title = title, ids = ids} end
  end
  table.sort(duplicates, function(a, b) return a.title < b.title end)
  out.items = {ids = item_ids, titles = t, years = y, tokens = item_rows, features = X, vocab = vocab,
               duplicate_titles = duplicates}
  if user_meta then
    local user_rows = aligned(user_ids, user_meta)
    local U, uvocab = features.onehot(user_rows)
    out.users = {ids = user_ids, tokens = user_rows, features = U, vocab = uvocab}
  else
    out.users = {ids = user_ids}
  end
  return setmetatable(out, data.DataSet)
end

-- tags applied to at least min_count items become "tag=<lowercase>" tokens
function data._add_tags(item_meta, tags, min_count)
  local per_tag, seen = {}, {}
  for _, t in ipairs(tags) do
    local id, tag = t[1], t[2]:lower():gsub("^%s+", ""):gsub("%s+$", "")
    local key = id .. "\0" .. tag
    if tag ~= "" and not seen[key] then
      seen[key] = true
      per_tag[tag] = (per_tag[tag] or 0) + 1
    end
  end
  seen = {}
  for _, t in ipairs(tags) do
    local id, tag = t[1], t[2]:lower():gsub("^%s+", ""):gsub("%s+$", "")
    local key = id .. "\0" .. tag
    if (per_tag[tag] or 0) >= min_count and not seen[key] and item_meta[id] then
      seen[key] = true
      local m = item_meta[id]
      m[#m + 1] = "tag=" .. tag
    end
  end
end

-- Synthetic ratings whose item/user factors (and biases) are linear in
-- binary feature vectors, so cold start is learnable from the features.
function data.synthetic(opts)
  opts = opts or {}
  local items, users = opts.items or 1000, opts.users or 2000
  local nratings = opts.ratings or 50000
  local rank, noise, seed = opts.rank or 10, opts.noise or 0.5, opts.seed or 13
  local fi, fu = opts.item_features or 40, opts.user_features or 20
  local per_item, per_user = opts.item_tokens or math.min(5, fi), opts.user_tokens or math.min(4, fu)
  for k, v in pairs{items = items, users = users, ratings = nratings, rank = rank} do
    if math.type(v) ~= "integer" or v < 1 then
      error(("data.synthetic: %s must be a positive integer, got %s"):format(k, tostring(v)), 2)
    end
  end
  if nratings > items * users then
    error(("data.synthetic: %d ratings do not fit %d items x %d users"):format(nratings, items, users), 2)
  end
  local g = rng.new(seed)
  local function tokens(n, nf, per, prefix)
    local rows = {}
    for i = 1, n do
      local t, mark = {}, {}
      if nf > 0 then
        for _ = 1, per do
          local f = g:integers(1, nf + 1)
          if not mark[f] then mark[f] = true; t[#t + 1] = prefix .. f end
        end
      end
      rows[i] = t
    end
    return rows
  end
  local function factors(X, n, nf, per, s1, s2)
    if nf == 0 then return matrix.randn(n, rank, s1) * (1 / math.sqrt(rank)), matrix.randn(n, 1, s2) * 0.3 end
    local A = matrix.randn(nf, rank, s1) * (1 / math.sqrt(rank * per))
    local a = matrix.randn(nf, 1, s2) * (0.3 / math.sqrt(per))
    return X * A, X * a
  end
  local item_rows, user_rows = tokens(items, fi, per_item, "if"), tokens(users, fu, per_user, "uf")
  local function names(n, prefix) local t = {} for k = 1, n do t[k] = prefix .. k end return t end
  local Xi, vi = features.onehot(item_rows, features.vocab(names(fi, "if")))
  local Xu, vu = features.onehot(user_rows, features.vocab(names(fu, "uf")))
  local P, bi = factors(Xi, items, fi, per_item, seed + 1, seed + 2)
  local Q, bu = factors(Xu, users, fu, per_user, seed + 3, seed + 4)
  local R = rec.synthetic(P, Q, bi, bu, opts.mu or 3.5, noise, opts.skew or 0.8, nratings, g)
  local ids = function(n) local t = {} for i = 1, n do t[i] = tostring(i) end return t end
  R:set_row_labels(ids(items))
  R:set_col_labels(ids(users))
  return setmetatable({name = "synthetic", ratings = R, order = nil,
                       items = {ids = R:row_labels(), tokens = item_rows, features = Xi, vocab = vi},
                       users = {ids = R:col_labels(), tokens = user_rows, features = Xu, vocab = vu},
                       truth = {P = P, Q = Q, bi = bi, bu = bu}}, data.DataSet)
end

-- A labelled table as the Yamanishi files store it: a header of an empty
-- cell and the column labels, then rows of a label and numbers, tab-separated
local function read_labelled(path)
  local rows, rlab, clab, row_line = {}, {}, nil, {}
  for n, l in each_line(path) do
    local f = split(l, "\t")
    if n == 1 then
      if f[1] ~= "" or #f < 2 then
        error(("%s:1: expected a header of an empty cell and column labels"):format(path), 0)
      end
      clab = distinct_labels(path, {table.unpack(f, 2)})
    elseif l ~= "" then
      if #f ~= #clab + 1 then
        error(("%s:%d: expected %d tab-separated fields (a label and %d values), got %d"):format(path, n, #clab + 1,
              #clab, #f), 0)
      end
      local row = {}
      for k = 2, #f do
        row[k - 1] = data.number(f[k]) or
          error(("%s:%d: field %d is not a number: '%s'%s"):format(path, n, k, f[k], why_not_number(f[k])), 0)
      end
      if row_line[f[1]] then
        error(("%s:%d: row label '%s' is also on line %d"):format(path, n, f[1], row_line[f[1]]), 0)
      end
      row_line[f[1]] = n
      rlab[#rlab + 1], rows[#rows + 1] = f[1], row
    end
  end
  if not clab then error(path .. ": empty file", 0) end
  return rows, rlab, clab
end

-- A similarity matrix over labels, in their order whatever the file's
-- (it must have a row and a column for each and no others), symmetrised
-- ((S + S^T) / 2) with unit diagonal, as the published DTI code does; a
-- warning says when that changed the file's values
local function similarity(path, labels)
  local rows, rlab, clab = read_labelled(path)
  local want = {}
  for i, l in ipairs(labels) do want[l] = i end
  local function positions(got, what)
    local pos = {}
    for k, l in ipairs(got) do
      if not want[l] then
        error(("%s: %s '%s' is not in the interaction matrix (in a pairs file, a line 'row<TAB>column<TAB>0' " ..
               "adds a row or column without interactions)"):format(path, what, l), 0)
      end
      pos[want[l]] = k
    end
    for i, l in ipairs(labels) do
      if not pos[i] then error(("%s: no %s for '%s' of the interaction matrix"):format(path, what, l), 0) end
    end
    return pos
  end
  local rp, cp = positions(rlab, "row"), positions(clab, "column")
  local n, asym, diag = #labels, 0, 0
  local S = {}
  for i = 1, n do
    local src, r = rows[rp[i]], {}
    for j = 1, n do r[j] = src[cp[j]] end
    S[i] = r
  end
  for i = 1, n do
    if S[i][i] ~= 1 then diag = diag + 1; S[i][i] = 1 end
    for j = i + 1, n do
      local a, b = S[i][j], S[j][i]
      if a ~= b then asym = math.max(asym, math.abs(a - b)); S[i][j] = (a + b) / 2; S[j][i] = (a + b) / 2 end
    end
  end
  if asym > 0 or diag > 0 then
    io.stderr:write(("simec: warning: %s: %s%s%s\n"):format(path,
      asym > 0 and ("not symmetric (largest |S - S^T| %.3g): symmetrised as (S + S^T) / 2"):format(asym) or "",
      asym > 0 and diag > 0 and "; " or "",
      diag > 0 and ("%d diagonal entries were not 1: set to 1"):format(diag) or ""))
  end
  return matrix.new(S)
end

-- A labelled 0/1 table (data.dti's interaction files, data.interactions'
-- tables) as a labelled sparse matrix, and its row and column labels
local function labelled_interactions(path)
  local rows, rlab, clab = read_labelled(path)
  local ri, ci = {}, {}
  for i, row in ipairs(rows) do
    for j, v in ipairs(row) do
      if v ~= 0 and v ~= 1 then
        error(("%s:%d: entry for %s is %s, expected 0 or 1"):format(path, i + 1, clab[j], tostring(v)), 0)
      end
      if v == 1 then ri[#ri + 1], ci[#ci + 1] = i, j end
    end
  end
  local Y = sparse.from_triplets(ri, ci, 1, {rows = #rlab, cols = #clab})
  Y:set_row_labels(rlab)
  Y:set_col_labels(clab)
  return Y, rlab, clab
end

-- An interaction matrix of one's own (rows x columns, 1 where they
-- interact): a labelled table as data.dti reads (a header of an empty cell
-- and the column labels, then rows of a label and 0/1 values,
-- tab-separated), or "row<TAB>column[<TAB>value]" lines (comma-separated
-- too; value 0 or 1, absent 1; a 0 only makes its row and column known;
-- a first line of three fields whose value is no number and whose labels
-- no other line names is a header), told apart by the first line (the
-- table's starts with its empty cell).
-- opts: row_similarity, col_similarity (labelled square tables over the
-- rows' or columns' labels, in any order), row_features, col_features
-- (files data.features_file reads). A DataSet {name, interactions, rows =
-- {ids, similarity, features}, cols = {...}}.
function data.interactions(path, opts)
  opts = opts or {}
  if type(path) ~= "string" then error("data.interactions: expected a file name", 2) end
  local first, err = first_line(path)
  if first == false then error(("data.interactions: %s"):format(err), 2) end
  if not first then error(("%s: empty interaction file"):format(path), 0) end
  local Y, rlab, clab
  if first:sub(1, 1) == "\t" then
    Y, rlab, clab = labelled_interactions(path)
  else
    local delim = first:find("\t", 1, true) and "\t" or first:find(",", 1, true) and "," or
      error(("%s:1: expected 'row<TAB>column[<TAB>value]' lines or a labelled table%s"):format(path,
            comment_hint(first)), 0)
    local shown = delim == "\t" and "<TAB>" or ","
    local rindex, cindex, seen = {}, {}, {}
    local ri, ci, rcount, ccount, head = {}, {}, {}, {}, nil
    rlab, clab = {}, {}
    -- a first line whose third field is no number, and whose labels no
    -- other line names, is a header (its value column's name); a first
    -- line of two labels cannot be told from a pair
    local fields_of = fields_reader(path, delim)
    local f1 = fields_of(first, 1)
    local header = #f1 == 3 and f1[3] ~= "" and not data.number(f1[3])
    for n, l in each_line(path) do
      if l ~= "" and not (header and n == 1) then
        local f = fields_of(l, n)
        if #f < 2 or #f > 3 or f[1] == "" or f[2] == "" then
          error(("%s:%d: expected row%scolumn[%svalue], got '%s'%s"):format(path, n, shown, shown, l, comment_hint(l)),
                0)
        end
        local v = f[3] and data.number(f[3])
        if f[3] and v ~= 0 and v ~= 1 then
          error(("%s:%d: value '%s' is not 0 or 1"):format(path, n, f[3]), 0)
        end
        local key = f[1] .. "\0" .. f[2]
        if seen[key] then error(("%s:%d: the pair %s, %s is also on line %d"):format(path, n, f[1], f[2], seen[key]), 0) end
        seen[key] = n
        if not rindex[f[1]] then rlab[#rlab + 1] = f[1]; rindex[f[1]] = #rlab end
        if not cindex[f[2]] then clab[#clab + 1] = f[2]; cindex[f[2]] = #clab end
        if v ~= 0 then ri[#ri + 1], ci[#ci + 1] = rindex[f[1]], cindex[f[2]] end
        rcount[f[1]], ccount[f[2]] = (rcount[f[1]] or 0) + 1, (ccount[f[2]] or 0) + 1
        head = head or {n = n, row = f[1], col = f[2], lines = 0}
        head.lines = head.lines + 1
      end
    end
    if header and (rcount[f1[1]] or ccount[f1[2]]) then
      error(("%s:1: value '%s' is not 0 or 1"):format(path, f1[3]), 0)
    end
    -- so that a header of two labels is not taken for an interaction unseen
    if head and head.lines > 2 and rcount[head.row] == 1 and ccount[head.col] == 1 then
      io.stderr:write(("simec: warning: %s:%d: row '%s' and column '%s' are on no other line: a header line? It is " ..
                       "read as an interaction (remove it if it is a header)\n"):format(path, head.n, head.row,
                                                                                       head.col))
    end
    Y = sparse.from_triplets(ri, ci, 1, {rows = #rlab, cols = #clab})
    Y:set_row_labels(rlab)
    Y:set_col_labels(clab)
  end
  local function side(ids, what)
    local t = {ids = ids}
    local sim, feat = opts[what .. "_similarity"], opts[what .. "_features"]
    if sim then t.similarity = similarity(sim, ids) end
    if feat then
      local name = what == "row" and "row" or "column"
      local X, info = data.features_file(feat, ids, name)
      data.warn_features(feat, info, name, "the interaction matrix")
      t.features = X
    end
    return t
  end
  return setmetatable({name = path:match("([^/]+)$"):gsub("%.%w+$", ""), interactions = Y, rows = side(rlab, "row"),
                       cols = side(clab, "col")}, data.DataSet)
end

-- The names of Yamanishi et al.'s four sets
data.DTI_SETS = {"nr", "gpcr", "ic", "e"}

-- Yamanishi et al.'s drug-target data (NAME: one of data.DTI_SETS, or any
-- set in their format): interactions (targets x drugs, sparse, 1 where
-- they interact, labelled), and the drug and target similarity matrices
-- (their rows are the feature vectors)
function data.dti(dir, name)
  if type(dir) ~= "string" or type(name) ~= "string" then
    error("data.dti: expected a directory and a data set name (e.g. \"nr\", \"gpcr\")", 2)
  end
  local base = dir .. "/" .. name
  if not exists(base .. "_admat_dgc.txt") then
    error(("data.dti: %s_admat_dgc.txt not found (expected %s_admat_dgc.txt, %s_simmat_dc.txt, %s_simmat_dg.txt)")
          :format(base, name, name, name), 2)
  end
  local Y, targets, drugs = labelled_interactions(base .. "_admat_dgc.txt")
  -- a missing similarity file (mirrors often lack Enzyme's) leaves that
  -- side without one, said on stderr; the interactions still load
  local function side(file, ids, what)
    local path = base .. file
    if exists(path) then return {ids = ids, similarity = similarity(path, ids)} end
    io.stderr:write(("simec: warning: %s not found: the %s have no similarity matrix (ds.%s.similarity is nil)\n")
      :format(path, what, what))
    return {ids = ids, missing_similarity = path}
  end
  return setmetatable({name = name, interactions = Y, targets = side("_simmat_dg.txt", targets, "targets"),
                       drugs = side("_simmat_dc.txt", drugs, "drugs")}, data.DataSet)
end

-- Synthetic drug-target data shaped as data.dti's: drugs and targets have
-- latent vectors (rank r, standard normal); similarities are Gaussian
-- kernels of their distances (width: the rank), so similarity rows carry
-- the latent structure; the pairs with the largest u_d . v_t + noise
-- interact (density of all pairs).
--   d = data.synthetic_dti{drugs = 200, targets = 100, rank = 5, density = 0.03, noise = 1, seed = 1}
function data.synthetic_dti(opts)
  opts = opts or {}
  local nd, nt, r = opts.drugs or 200, opts.targets or 100, opts.rank or 5
  local density, noise, seed = opts.density or 0.03, opts.noise or 1, opts.seed or 1
  for k, v in pairs{drugs = nd, targets = nt, rank = r, seed = seed} do
    if math.type(v) ~= "integer" or v < 1 then
      error(("data.synthetic_dti: %s must be a positive integer, got %s"):format(k, tostring(v)), 2)
    end
  end
  if type(density) ~= "number" or density <= 0 or density >= 1 then
    error(("data.synthetic_dti: density must be in (0, 1), got %s"):format(tostring(density)), 2)
  end
  local U, V = matrix.randn(nd, r, seed), matrix.randn(nt, r, seed + 1)
  local E = matrix.randn(nd, nt, seed + 2)
  local function kernel(X)
    local n, G = X:nrows(), X * X:t()
    local S = matrix.zeros(n, n)
    for i = 1, n do
      for j = 1, n do
        S:set(i, j, math.exp(-(G:get(i, i) + G:get(j, j) - 2 * G:get(i, j)) / (2 * r)))
      end
    end
    return S
  end
  local score, pairs_ = U * V:t(), {}
  for d = 1, nd do
    for t = 1, nt do pairs_[#pairs_ + 1] = {score:get(d, t) + noise * E:get(d, t), t, d} end
  end
  table.sort(pairs_, function(a, b) return a[1] > b[1] end)
  local m = math.max(1, math.floor(density * nd * nt + 0.5))
  local ri, ci = {}, {}
  for k = 1, m do ri[k], ci[k] = pairs_[k][2], pairs_[k][3] end
  local dids, tids = {}, {}
  for d = 1, nd do dids[d] = "d" .. d end
  for t = 1, nt do tids[t] = "t" .. t end
  local Y = sparse.from_triplets(ri, ci, 1, {rows = nt, cols = nd})
  Y:set_row_labels(tids)
  Y:set_col_labels(dids)
  return setmetatable({name = "synthetic", interactions = Y, targets = {ids = tids, similarity = kernel(V)},
          drugs = {ids = dids, similarity = kernel(U)}}, data.DataSet)
end

require("simec.help").add{
  "data", "Data sets: MovieLens (100K, 1M/10M, CSV releases) with item and user features, Yamanishi drug-target " ..
  "data, and a synthetic generator.",
  "data.find(name)", "The folder of a data set: the path given, else data/NAME (where scripts/get-data.sh puts it), " ..
  "else ../shared/data/NAME; not found: nil, the places looked and the get-data.sh command for a name it knows.",
  "data.movielens(dir [, {min_tag_count = 5, genome_min = 0.5, item_features, user_features}])", "Ratings (items x users, labelled), " ..
  "their file order, and items/users with ids, titles, years, tokens and binary feature matrices; the release is " ..
  "detected by its files. Malformed lines are errors naming file and line.",
  "data.synthetic{items, users, ratings, rank, noise, item_features, user_features, item_tokens, user_tokens, skew, " ..
  "seed}", "Ratings from a low-rank model with biases where features determine factors and biases (so cold start " ..
  "is learnable), Zipf popularity, half stars in [0.5, 5]; with the truth.",
  "data.synthetic_dti{drugs = 200, targets = 100, rank = 5, density = 0.03, noise = 1, seed = 1}", "Synthetic " ..
  "drug-target data shaped as data.dti's: latent vectors behind Gaussian-kernel similarities and the interacting " ..
  "pairs (the largest scores plus noise).",
  "data.dti(dir, name)", "Yamanishi drug-target data (name: nr, gpcr, ic, e): interactions (targets x drugs) and " ..
  "symmetrised drug and target similarity matrices (aligned by label); a missing similarity file leaves that " ..
  "side's similarity nil " ..
  "(missing_similarity names the file), with a warning.",
  "data.interactions(path, {row_similarity, col_similarity, row_features, col_features})", "An interaction " ..
  "matrix of one's own (rows x columns, 1 where they interact): a labelled 0/1 table as data.dti reads, or " ..
  "row<TAB>column[<TAB>0|1] lines (a header line with a value column is skipped; one of two labels is read as a " ..
  "pair, with a warning); optional labelled similarity tables (any order of the labels) and feature " ..
  "files per side. A DataSet {name, interactions, rows = {ids, similarity, features}, cols = {...}}.",
  "data.header_columns(fields)", "Which fields of a ratings file's header (a list of names) hold the user, the " ..
  "item and the rating, by their names (userId, user_id, User-ID, movieId, item, ISBN, asin, rating, score, " ..
  "overall, ...; case, spaces, '_', '-' and '.' ignored): {user, item, rating} (rating nil when no field is " ..
  "named so and more than three are there), or nil, why and true when two fields name one role.",
  "data.header_fields(path [, delim [, need]])", "A ratings file's first line split as sparse.read splits a line " ..
  "(at delim, or at the delimiter it detects on line 2 as a first data line of need fields) and the line; nil " ..
  "when the file has no two lines or they cannot be split.",
  "data.csv_fields(line [, delim])", "The fields of one CSV record (RFC 4180 quoting), separated by delim (one " ..
  "character; default ','); spaces around a field or its quotes are dropped, as the ratings reader drops them.",
  "data set", "A data set (data.movielens, data.synthetic, data.dti, simec.study's loaders): name, ratings (items x " ..
  "users, labelled) or interactions, order, items and users (or targets and drugs) with ids, titles, features, " ..
  "vocab; printing it summarises sizes and features.",
  "data.thousands(n)", "n with thousands separators (12345 -> \"12,345\").",
  "data.number(s)", "A number in the readers' grammar ([+-] digits [. digits] [e [+-] digits], finite), or nil " ..
  "(hexadecimal, inf, nan and blanks are not numbers) and, where the readers can tell, why (a decimal comma).",
  "data.features_file(path, ids, what)", "Features of the items (or users) ids from a file of 'id<TAB>token' " ..
  "pairs or of an id column and named columns (with a header); a sparse matrix aligned with ids and " ..
  "{format, id_field, features, lines, unknown, first_unknown = {line, id}, near, header, missing, standardised, " ..
  "categorical, blank, id_like, lists}. The ids are the first field unless a header names another as the side's " ..
  "ids (age,gender,user_id: id_field 3; the names data.header_columns knows, or id). Columns of 0s and 1s are kept; other numeric columns are standardised (an empty field, NA or a missing " ..
  "id: the mean, 0); a column of words (gender, occupation) is categorical, a 0/1 feature \"name=value\" per " ..
  "value, and one whose values are mostly '|' lists (genres: Comedy|Drama) a feature per token (lists: {name, " ..
  "listed, ids, tokens}); text among mostly numbers, or a number the readers refuse (inf, 0x10, 3,5), is an error. A file " ..
  "of two fields a line whose first line names no id and has no number is a header and a numeric column, or pairs " ..
  "when its values are tokens.",
  "data.warn_features(path, info, what, where)", "Warns on stderr when a feature file (info from " ..
  "data.features_file) has lines naming <what> ids outside <where> (how many, and the first), when a column " ..
  "file has no line for some ids of <where>, and when a categorical column has about a value per id (a title); " ..
  "with info.near, which id of <where> an unknown one may have meant.",
  "data.near_hint(unknown, known, whose)", "Ids are compared as written ('007' and '7' are two items): the first " ..
  "id of the list unknown that differs from an id of known only in leading zeros, case or spaces around it, as a " ..
  "sentence naming both (\"'007' differs from <whose> '7' only in ...\"), or nil. The feature readers and a given " ..
  "split's test file add it to their warnings.",
}

return data
