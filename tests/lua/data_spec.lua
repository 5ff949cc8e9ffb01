local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case
local data, features = require "simec.data", require "simec.features"

local function dir_with(files)
  local d = T.tmpname()
  os.execute("mkdir " .. d)
  for name, text in pairs(files) do T.write(d .. "/" .. name, text) end
  return d
end

local function row_tokens(ds, id)
  local i = ds.ratings:row_index(id)
  local t = {}
  for _, j in ipairs((function() local c = ds.items.features:row(i); local o = {} for q = 1, c:nrows() do o[q] = c:get(q) end return o end)()) do
    t[#t + 1] = ds.items.features:col_label(j)
  end
  table.sort(t)
  return table.concat(t, ",")
end

case("data.movielens reads the 100K format with item and user features", function()
  local d = dir_with{
    ["u.data"] = "1\t10\t4\t881250949\n2\t10\t3\t881250950\n2\t20\t5\t881250951\n",
    ["u.item"] = "10|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n" ..
                 "20|Old Film|01-Jan-1962||http://y|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n" ..
                 "30|Unrated (1990)|01-Jan-1990||http://z|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n",
    ["u.genre"] = "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\nComedy|5\nCrime|6\nDocumentary|7\n" ..
                  "Drama|8\nFantasy|9\nFilm-Noir|10\nHorror|11\nMusical|12\nMystery|13\nRomance|14\nSci-Fi|15\n" ..
                  "Thriller|16\nWar|17\nWestern|18\n",
    ["u.user"] = "1|24|M|technician|85711\n2|53|F|other|94043\n"}
  local ds = data.movielens(d)
  eq(ds.name, "ml-100k")
  eq(ds.ratings:nrows(), 2); eq(ds.ratings:ncols(), 2)
  eq(ds.order:nrows(), 3)
  eq(ds.items.features:nrows(), 2) -- aligned with the rows of the ratings, unrated items left out
  eq(row_tokens(ds, "10"), "decade=1990s,genre=Animation,genre=Children's")
  eq(row_tokens(ds, "20"), "decade=1960s,genre=Drama")
  local i = ds.ratings:row_index("10")
  eq(ds.items.titles[i], "Toy Story (1995)"); eq(ds.items.years[i], 1995)
  local u = ds.ratings:col_index("2")
  eq(table.concat(ds.users.tokens[u], ","), "gender=F,age=50-55,occupation=other,zip=9")
  eq(ds.users.features:nrows(), 2)
  T.write(d .. "/u.item", "10|short\n")
  checkerr("u.item:1: expected 24 fields, got 2", data.movielens, d)
  os.execute("rm -rf " .. d)
end)

case("data.movielens reads the 1M/10M '::' format with users and tags", function()
  local d = dir_with{
    ["ratings.dat"] = "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n",
    ["movies.dat"] = "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n",
    ["users.dat"] = "1::F::1::10::48067\n2::M::56::16::70072\n",
    ["tags.dat"] = "1::661::Fun::1\n2::661::fun ::2\n1::1193::rare::3\n"}
  local ds = data.movielens(d, {min_tag_count = 1})
  eq(ds.name, "ml-1m")
  eq(row_tokens(ds, "661"), "decade=1990s,genre=Animation,genre=Children's,genre=Musical,tag=fun")
  eq(row_tokens(ds, "1193"), "decade=1970s,genre=Drama,tag=rare")
  local u = ds.ratings:col_index("2")
  eq(table.concat(ds.users.tokens[u], ","), "gender=M,age=56+,occupation=self-employed,zip=7")
  local ds2 = data.movielens(d) -- default min_tag_count 5 drops these rare tags
  eq(row_tokens(ds2, "1193"), "decade=1970s,genre=Drama")
  os.execute("rm -rf " .. d)
end)

case("data.movielens reads the CSV releases with quoted fields and extra feature files", function()
  local d = dir_with{
    ["ratings.csv"] = "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n7,31,4.5,1\n",
    ["movies.csv"] = 'movieId,title,genres\n31,"Dangerous Minds, The (1995)",Drama\n1029,"Dumbo ""Flying"" (1941)",Animation|Children\n',
    ["tags.csv"] = 'userId,movieId,tag,timestamp\n1,31,"high school, teacher",1\n',
    ["extra.tsv"] = "31\tdirector=Smith\n999\tdirector=Nobody\n",
    ["uextra.tsv"] = "7\tcountry=NZ\n"}
  local ds = data.movielens(d, {min_tag_count = 1, item_features = d .. "/extra.tsv", user_features = d .. "/uextra.tsv"})
  eq(ds.name, "ml-csv")
  eq(ds.ratings:get(ds.ratings:row_index("31"), ds.ratings:col_index("7")), 4.5)
  eq(row_tokens(ds, "31"), "decade=1990s,director=Smith,genre=Drama,tag=high school, teacher")
  eq(ds.items.titles[ds.ratings:row_index("1029")], 'Dumbo "Flying" (1941)')
  eq(table.concat(ds.users.tokens[ds.ratings:col_index("7")], ","), "country=NZ")
  checkerr("no data set /nonexistent: looked in /nonexistent", data.movielens, "/nonexistent")
  checkerr("no data set ml-1m-absent: looked in ml-1m-absent, data/ml-1m-absent, ../shared/data/ml-1m-absent",
           data.movielens, "ml-1m-absent")
  os.execute("mkdir -p " .. d .. "/empty")
  checkerr("no MovieLens ratings in " .. d .. "/empty", data.movielens, d .. "/empty")
  eq(data.find(d), d)
  local none, tried, get = data.find("ml-25m-absent")
  check(none == nil and #tried == 3 and get == nil, "an unknown name has no get-data.sh command")
  eq(select(3, data.find(d .. "/ml-1m")), nil)
  -- from a folder outside the checkout (a notebook's), the checkout's data/ is looked in too
  local home = SIMEC_LUA_DIR and SIMEC_LUA_DIR:match("^(.+)/lua/*$")
  if home then
    local probe = "ml-probe-" .. tostring(os.time()) .. tostring(math.random(1e6))
    os.execute(("mkdir -p '%s/data/%s'"):format(home, probe))
    local out = io.popen(("cd %s && %s -e 'io.write(data.find(\"%s\") or \"none\")'"):format(d, SIMEC_BIN:match("^/")
      and SIMEC_BIN or (os.getenv("PWD") .. "/" .. SIMEC_BIN), probe)):read("a")
    os.execute(("rmdir '%s/data/%s'"):format(home, probe))
    eq(out, home .. "/data/" .. probe, "found beside the checkout")
  end
  T.write(d .. "/extra.tsv", "31 no tab\n")
  checkerr("extra.tsv:1: expected 'id<TAB>token'", data.movielens, d, {item_features = d .. "/extra.tsv"})
  os.execute("rm -rf " .. d)
end)

case("header_columns: a ratings header's names say which field is the user's, the item's and the rating's",
     function()
  local function at(...)
    local t, why = data.header_columns{...}
    return t and table.concat({t.user, t.item, t.rating}, ",") or why
  end
  eq(at("userId", "movieId", "rating", "timestamp"), "1,2,3")
  eq(at("item_id", "user_id", "score"), "2,1,3")
  eq(at("User-ID", "ISBN", "Book-Rating"), "1,2,3")
  eq(at("asin", "reviewerID", "overall", "unixReviewTime"), "2,1,3")
  eq(at("timestamp", "Item", "USER", "Stars"), "3,2,4")
  eq(at("item", "user", "x"), "2,1,3") -- the one field left of three is the rating's
  eq(at("item", "user", "x", "z"), "2,1") -- of four, none named: no rating
  eq(at("a", "b", "c"), "no field is named as the user")
  eq(at("user", "b", "c"), "no field is named as the item")
  eq(at("user", "item", "rating", "score"), "fields 3 and 4 ('rating', 'score') both name the rating")
  eq(select(3, data.header_columns{"user", "item", "rating", "score"}), true)
  eq(select(3, data.header_columns{"a", "b", "c"}), nil)
end)

case("header_fields: a ratings file's first line split as the reader splits, its line endings and BOM as each_line's",
     function()
  local path = T.tmpname()
  local function fields(...)
    local f, head = data.header_fields(path, ...)
    return f and table.concat(f, "|") .. " / " .. head
  end
  T.write(path, "\239\187\191item_id;user_id;score\r\ni1;u1;4\r\n")
  eq(fields(), "item_id|user_id|score / item_id;user_id;score")
  T.write(path, "item user rating\ri1 u1 4\r") -- old Mac line ends, blanks between fields
  eq(fields(), "item|user|rating / item user rating")
  T.write(path, "a,b\n1,2\n")
  eq(fields(nil, 2), "a|b / a,b")
  eq(fields(";"), "a,b / a,b") -- a given delimiter the line lacks: one field
  T.write(path, "user,item,rating\n")
  eq(fields(), nil) -- no line under it
  eq(fields("::::::::::"), nil) -- a delimiter the reader refuses: the reader says so
  os.remove(path)
  eq(fields(), nil)
end)

case("csv_fields", function()
  local f = data.csv_fields('a,"b,c",,"d""e"')
  eq(#f, 4); eq(f[2], "b,c"); eq(f[3], ""); eq(f[4], 'd"e')
  eq(#data.csv_fields("x,"), 2)
  checkerr("unterminated quote", data.csv_fields, 'a,"b')
  -- another delimiter; text after a closing quote is an error, not a dropped character
  f = data.csv_fields('"a;b";c;"d"', ";")
  eq(#f, 3); eq(f[1], "a;b"); eq(f[3], "d")
  eq(data.csv_fields('"x"\t1', "\t")[2], "1")
  checkerr("text after a closing quote", data.csv_fields, '"a"b,c')
  -- spaces around a field or its quotes are not part of it, as the C reader of ratings trims them; inside
  -- quotes they are
  f = data.csv_fields(' a , "b, c " ,,d ')
  eq(#f, 4); eq(f[1], "a"); eq(f[2], "b, c "); eq(f[3], ""); eq(f[4], "d")
  eq(data.csv_fields(" x\t y ", "\t")[2], "y")
  eq(data.csv_fields(" x  y", " ")[1], "")
  -- files of one's own quoted as R's write.csv quotes them: interactions and features read their ids
  local path = T.write(T.tmpname(), '"drug","target","label"\n"d 1","t1",1\n"d2","t1",0\n')
  local ds = data.interactions(path)
  eq(table.concat(ds.interactions:row_labels(), "|"), "d 1|d2"); eq(ds.interactions:nnz(), 1)
  T.write(path, '"d1","t1"\n"d2"x,"t1"\n')
  checkerr(path .. ":2: text after a closing quote", data.interactions, path)
  os.remove(path)
end)

case("features.onehot: train vocabulary, unknown tokens dropped", function()
  local X, v = features.onehot{{"b", "a"}, {"c", "a", "a"}}
  eq(table.concat(v.names, ","), "a,b,c")
  check(X:dense() == matrix{{1, 1, 0}, {1, 0, 1}})
  eq(X:col_label(3), "c")
  local Y = features.onehot({{"c", "zzz"}, {}}, v)
  check(Y:dense() == matrix{{0, 0, 1}, {0, 0, 0}})
  checkerr("features.onehot: row 2 is a string, expected a list of tokens", features.onehot, {{"a"}, "b"})
end)

case("data.synthetic: exact size, aligned features, reproducible", function()
  local ds = data.synthetic{items = 70, users = 90, ratings = 3000, seed = 5}
  eq(ds.ratings:nnz(), 3000)
  eq(ds.items.features:nrows(), 70); eq(ds.users.features:nrows(), 90)
  eq(ds.items.features:ncols(), 40)
  local v = ds.ratings:values()
  check(v:min() >= 0.5 and v:max() <= 5)
  check(data.synthetic{items = 70, users = 90, ratings = 3000, seed = 5}.ratings:dense() == ds.ratings:dense())
  eq(data.synthetic{items = 10, users = 10, ratings = 100, seed = 1}.ratings:nnz(), 100) -- every cell
  checkerr("data.synthetic: 101 ratings do not fit 10 items x 10 users", data.synthetic,
           {items = 10, users = 10, ratings = 101})
  checkerr("data.synthetic: items must be a positive integer, got 0", data.synthetic, {items = 0})
end)

case("data.dti reads the Yamanishi format, symmetrises similarities and checks labels", function()
  local ad = "\tD1\tD2\tD3\nT1\t1\t0\t0\nT2\t0\t1\t1\n"
  local dc = "\tD1\tD2\tD3\nD1\t1\t0.2\t0.5\nD2\t0.4\t0.9\t0\nD3\t0.5\t0\t1\n"
  local dg = "\tT1\tT2\nT1\t1\t0.3\nT2\t0.3\t1\n"
  local d = dir_with{["x_admat_dgc.txt"] = ad, ["x_simmat_dc.txt"] = dc, ["x_simmat_dg.txt"] = dg}
  local ds = data.dti(d, "x")
  local Y = ds.interactions
  eq(Y:nrows(), 2); eq(Y:ncols(), 3); eq(Y:nnz(), 3)
  eq(Y:row_label(2), "T2"); eq(Y:col_label(3), "D3")
  eq(Y:get(2, 3), 1); eq(Y:get(1, 2), 0)
  local S = ds.drugs.similarity
  T.near(S:get(1, 2), 0.3, 1e-15); T.near(S:get(2, 1), 0.3, 1e-15)
  eq(S:get(2, 2), 1)
  eq(ds.targets.similarity:get(1, 2), 0.3)
  eq(ds.drugs.ids[2], "D2"); eq(ds.targets.ids[1], "T1")
  -- bad input names the file and line
  -- a similarity table in another order is aligned by label; a missing or
  -- unknown label is an error naming it
  d = dir_with{["x_admat_dgc.txt"] = ad, ["x_simmat_dc.txt"] = "\tD1\tD3\tD2\nD1\t1\t0.7\t0\nD3\t0.7\t1\t0.4\nD2\t0\t0.4\t1\n",
               ["x_simmat_dg.txt"] = dg}
  local re = data.dti(d, "x").drugs.similarity
  eq(re:get(1, 3), 0.7); eq(re:get(2, 3), 0.4); eq(re:get(1, 2), 0)
  d = dir_with{["x_admat_dgc.txt"] = ad, ["x_simmat_dc.txt"] = "\tD1\tD9\tD2\nD1\t1\t0\t0\nD9\t0\t1\t0\nD2\t0\t0\t1\n",
               ["x_simmat_dg.txt"] = dg}
  checkerr("x_simmat_dc.txt: row 'D9' is not in the interaction matrix", data.dti, d, "x")
  d = dir_with{["x_admat_dgc.txt"] = ad, ["x_simmat_dc.txt"] = "\tD1\tD2\nD1\t1\t0\nD2\t0\t1\n", ["x_simmat_dg.txt"] = dg}
  checkerr("x_simmat_dc.txt: no row for 'D3' of the interaction matrix", data.dti, d, "x")
  d = dir_with{["x_admat_dgc.txt"] = "\tD1\tD2\nT1\t1\t2\n", ["x_simmat_dc.txt"] = dc, ["x_simmat_dg.txt"] = dg}
  checkerr("x_admat_dgc.txt:2: entry for D2 is 2, expected 0 or 1", data.dti, d, "x")
  d = dir_with{["x_admat_dgc.txt"] = "\tD1\tD2\nT1\t1\n", ["x_simmat_dc.txt"] = dc, ["x_simmat_dg.txt"] = dg}
  checkerr("x_admat_dgc.txt:2: expected 3 tab-separated fields (a label and 2 values), got 2", data.dti, d, "x")
  d = dir_with{["x_admat_dgc.txt"] = "\tD1\nT1\tyes\n", ["x_simmat_dc.txt"] = dc, ["x_simmat_dg.txt"] = dg}
  checkerr("x_admat_dgc.txt:2: field 2 is not a number: 'yes'", data.dti, d, "x")
  checkerr("data.dti: " .. d .. "/y_admat_dgc.txt not found", data.dti, d, "y")
end)

case("data.interactions: one's own interaction matrix as a table or pairs, with similarities and features (issue 15)",
     function()
  -- pairs: first appearance orders the labels; a 0 line only names its row and column
  local d = dir_with{["y.tsv"] = "a\tX\nb\tX\t1\nb\tY\nc\tZ\t0\n",
                     ["y.csv"] = "a,X\nb,X,1\nb,Y\nc,Z,0\n",
                     ["cols.tsv"] = "\tZ\tX\tY\nY\t0.2\t0.1\t1\nX\t0\t1\t0.1\nZ\t1\t0\t0.2\n",
                     ["rows.tsv"] = "a\tf1\nb\tf1\nb\tf2\nc\tf2\n",
                     ["table.tsv"] = "\tX\tY\tZ\na\t1\t0\t0\nb\t1\t1\t0\nc\t0\t0\t0\n"}
  local ds = data.interactions(d .. "/y.tsv", {col_similarity = d .. "/cols.tsv", row_features = d .. "/rows.tsv"})
  local Y = ds.interactions
  eq(table.concat(ds.rows.ids, ","), "a,b,c"); eq(table.concat(ds.cols.ids, ","), "X,Y,Z")
  eq(Y:nnz(), 3); eq(Y:get(2, 2), 1); eq(Y:get(3, 3), 0); eq(Y:row_label(3), "c")
  local S = ds.cols.similarity
  eq(S:get(1, 2), 0.1); eq(S:get(2, 3), 0.2); eq(S:get(1, 3), 0)
  eq(ds.rows.features:nrows(), 3); eq(ds.rows.features:nnz(), 4); eq(ds.rows.similarity, nil)
  check(tostring(ds):find("3 rows x 3 columns, 3 interactions", 1, true), tostring(ds))
  local csv = data.interactions(d .. "/y.csv").interactions
  eq((csv:dense() - Y:dense()):norm(), 0)
  local tab = data.interactions(d .. "/table.tsv").interactions
  eq((tab:dense() - Y:dense()):norm(), 0)
  -- bad input names file and line
  d = dir_with{["v.tsv"] = "a\tX\t2\n", ["dup.tsv"] = "a\tX\nb\tX\na\tX\n", ["f.tsv"] = "a\tX\t1\t1\n",
               ["t.tsv"] = "\tX\na\t0.5\n", ["s.tsv"] = "\tX\tQ\nX\t1\t0\nQ\t0\t1\n", ["e.tsv"] = ""}
  checkerr("v.tsv:1: value '2' is not 0 or 1", data.interactions, d .. "/v.tsv")
  checkerr("dup.tsv:3: the pair a, X is also on line 1", data.interactions, d .. "/dup.tsv")
  checkerr("f.tsv:1: expected row<TAB>column[<TAB>value], got 'a\tX\t1\t1'", data.interactions, d .. "/f.tsv")
  checkerr("t.tsv:2: entry for X is 0.5, expected 0 or 1", data.interactions, d .. "/t.tsv")
  T.write(d .. "/ok.tsv", "a\tX\n")
  checkerr("s.tsv: row 'Q' is not in the interaction matrix", data.interactions, d .. "/ok.tsv",
           {col_similarity = d .. "/s.tsv"})
  checkerr("e.tsv: empty interaction file", data.interactions, d .. "/e.tsv")
  checkerr("data.interactions: " .. d .. "/none.tsv", data.interactions, d .. "/none.tsv")
end)

case("simec.test's stderr_of: what a function writes on stderr and its results; stderr restored on error", function()
  local stderr = io.stderr
  local text, a, b = T.stderr_of(function(x) io.stderr:write("one ", x, "\n"):write("two\n") return x, x + 1 end, 1)
  eq(text, "one 1\ntwo\n"); eq(a, 1); eq(b, 2)
  checkerr("boom", T.stderr_of, function() io.stderr:write("lost\n") error("boom") end)
  check(io.stderr == stderr, "io.stderr restored after an error")
end)

case("data.interactions: a header line is skipped, or named in a warning where it cannot be told from a pair", function()
  local d = dir_with{["h3.csv"] = "drug,target,label\nd1,t1,1\nd2,t2,1\nd1,t2,0\n",
                     ["typo.tsv"] = "d1\tt1\tx\nd1\tt2\t1\n",
                     ["h2.tsv"] = "drug\ttarget\nd1\tt1\nd2\tt2\nd1\tt2\n",
                     ["plain.tsv"] = "d1\tt1\nd2\tt2\nd1\tt2\n"}
  local function read(path)
    local warned, ds = T.stderr_of(data.interactions, path)
    return ds.interactions, warned
  end
  -- a value column's name: a header, not a bad value
  local Y, warned = read(d .. "/h3.csv")
  eq(table.concat(Y:row_labels(), ","), "d1,d2"); eq(table.concat(Y:col_labels(), ","), "t1,t2")
  eq(Y:nnz(), 2); eq(warned, "")
  -- a bad value on line 1 whose labels other lines use stays an error
  checkerr("typo.tsv:1: value 'x' is not 0 or 1", data.interactions, d .. "/typo.tsv")
  -- two labels no other line names: kept as a pair (it may be one), and named in a warning
  Y, warned = read(d .. "/h2.tsv")
  eq(Y:nnz(), 4)
  eq(warned, ("simec: warning: %s/h2.tsv:1: row 'drug' and column 'target' are on no other line: a header " ..
              "line? It is read as an interaction (remove it if it is a header)\n"):format(d))
  Y, warned = read(d .. "/plain.tsv")
  eq(Y:nnz(), 3); eq(warned, "")
  os.execute("rm -rf " .. d)
end)

if io.open("../shared/data/dti/nr_admat_dgc.txt") then
  case("data.dti on the shared NR and GPCR data: sizes and interaction counts of the paper", function()
    for _, c in ipairs{{"nr", 26, 54, 90}, {"gpcr", 95, 223, 635}} do
      local ds = data.dti("../shared/data/dti", c[1])
      eq(ds.interactions:nrows(), c[2]); eq(ds.interactions:ncols(), c[3]); eq(ds.interactions:nnz(), c[4])
      local S = ds.drugs.similarity
      eq((S - S:t()):abs():max(), 0)
      eq(S:nrows(), c[3]); eq(ds.targets.similarity:nrows(), c[2])
    end
  end)
end

case("data.synthetic_dti: data.dti's shape, symmetric unit-diagonal similarities, the asked density", function()
  local d = data.synthetic_dti{drugs = 30, targets = 12, rank = 3, density = 0.1, seed = 5}
  local Y = d.interactions
  eq(Y:nrows(), 12); eq(Y:ncols(), 30); eq(Y:nnz(), 36)
  eq(Y:values():min(), 1); eq(Y:values():max(), 1)
  eq(Y:row_label(2), "t2"); eq(Y:col_label(30), "d30")
  for _, S in ipairs{d.drugs.similarity, d.targets.similarity} do
    T.near((S - S:t()):abs():max(), 0, 1e-12)
    for i = 1, S:nrows() do T.near(S:get(i, i), 1, 1e-12) end
    check(S:min() > 0 and S:max() <= 1)
  end
  eq(#d.drugs.ids, 30); eq(#d.targets.ids, 12)
  -- seeded
  eq((data.synthetic_dti{drugs = 30, targets = 12, rank = 3, density = 0.1, seed = 5}.drugs.similarity - d.drugs.similarity)
     :abs():max(), 0)
  checkerr("data.synthetic_dti: density must be in (0, 1), got 1", data.synthetic_dti, {density = 1})
  checkerr("data.synthetic_dti: drugs must be a positive integer, got 0", data.synthetic_dti, {drugs = 0})
end)

case("data.movielens: the release's name from its folder, the tag genome as item features", function()
  local root = T.tmpname()
  os.execute("mkdir -p " .. root .. "/ml-25m " .. root .. "/ml-10M100K " .. root .. "/mine")
  local csv = {
    ["ratings.csv"] = "userId,movieId,rating,timestamp\n1,10,4.0,1\n2,10,3.5,2\n2,20,5.0,3\n3,30,2.0,4\n",
    ["movies.csv"] = 'movieId,title,genres\n10,A (1995),Comedy|Drama\n20,B (2001),Drama\n30,"C, the (1980)",Horror\n',
    -- movie 30 has no genome row; relevances below the threshold are left out
    ["genome-scores.csv"] = "movieId,tagId,relevance\n10,1,0.9\n10,2,0.1\n20,1,0.2\n20,2,0.7\n",
    ["genome-tags.csv"] = "tagId,tag\n1,funny\n2,dark\n"}
  for name, text in pairs(csv) do T.write(root .. "/ml-25m/" .. name, text) end
  local ds = data.movielens(root .. "/ml-25m/")
  eq(ds.name, "ml-25m")
  eq(ds.genome.tags, 2); eq(ds.genome.entries, 2)
  local X = ds.items.features
  local function at(id, name)
    for j = 1, X:ncols() do if X:col_label(j) == name then return X:get(ds.ratings:row_index(id), j) end end
    error("no feature " .. name)
  end
  eq(at("10", "genome=funny"), 0.9); eq(at("10", "genome=dark"), 0); eq(at("20", "genome=dark"), 0.7)
  eq(at("30", "genome=funny"), 0); eq(at("30", "genre=Horror"), 1)
  eq(data.movielens(root .. "/ml-25m", {genome_min = 0.05}).genome.entries, 4)
  eq(data.movielens(root .. "/ml-25m", {genome_min = false}).genome, nil)
  -- the same files without their header lines: every first line is data
  os.execute("mkdir -p " .. root .. "/bare")
  for name, text in pairs(csv) do T.write(root .. "/bare/" .. name, (text:gsub("^[^\n]*\n", ""))) end
  T.write(root .. "/bare/tags.csv", "1,10,noir,5\n2,20,noir,6\n")
  ds = data.movielens(root .. "/bare", {min_tag_count = 2})
  eq(ds.ratings:nnz(), 4); eq(ds.genome.entries, 2); eq(ds.genome.tags, 2)
  X = ds.items.features
  eq(at("10", "genome=funny"), 0.9); eq(at("10", "genre=Comedy"), 1); eq(at("10", "tag=noir"), 1)
  eq(ds.items.titles[ds.ratings:row_index("10")], "A (1995)")
  T.write(root .. "/ml-10M100K/ratings.dat", "1::1193::5::978300760\n")
  eq(data.movielens(root .. "/ml-10M100K").name, "ml-10m")
  T.write(root .. "/mine/ratings.dat", "1::1193::5::978300760\n")
  eq(data.movielens(root .. "/mine").name, "ml-1m") -- not a release's folder name: told by its size
  os.execute("rm -rf " .. root)
end)

case("loaders: byte-order marks, CR and CRLF endings, headerless ratings.csv, short tag lines (issue 16)", function()
  -- a UTF-8 BOM glued to the first id, CRLF endings and a CR-only file
  local d = dir_with{["ratings.csv"] = "\239\187\1911,10,4.0,1\r\n2,10,3.5,2\r\n2,20,5.0,3\r\n",
                     ["movies.csv"] = "movieId,title,genres\r10,A (1995),Comedy\r20,B (2001),Drama\r"}
  local ds = data.movielens(d)
  -- no header line: the first rating is a rating
  eq(ds.ratings:nnz(), 3)
  check(ds.ratings:col_index("1") ~= nil, "user 1 without the byte-order mark")
  eq(row_tokens(ds, "20"), "decade=2000s,genre=Drama")
  os.execute("rm -rf " .. d)
  d = dir_with{["ratings.csv"] = "userId,movieId,rating,timestamp\n1,10,4.0,1\n"}
  eq(data.movielens(d).ratings:nnz(), 1)
  os.execute("rm -rf " .. d)
  -- ids that are not numbers, no header: the first line is a rating, not a header
  d = dir_with{["ratings.csv"] = "u1,m1,4\nu2,m1,3\nu1,m2,5\n"}
  ds = data.movielens(d)
  eq(ds.ratings:nnz(), 3)
  eq(ds.ratings:get(ds.ratings:row_index("m1"), ds.ratings:col_index("u1")), 4)
  os.execute("rm -rf " .. d)
  d = dir_with{["ratings.dat"] = "1::1193::5::978300760\n", ["tags.dat"] = "1::1193::rare::3\n2::1193\n"}
  checkerr("tags.dat:2: expected userId::movieId::tag::timestamp", data.movielens, d)
  os.execute("rm -rf " .. d)
  -- the C reader: the mark dropped and reported; "\n", "\r\n" and "\r" endings read alike
  local path = T.write(T.tmpname(), "\239\187\1911\t2\t3\n4\t5\t1\n")
  local S, info = sparse.read(path)
  check(info.bom and S:row_index("1") ~= nil, "BOM dropped and reported")
  for _, eol in ipairs{"\n", "\r\n", "\r"} do
    T.write(path, ("1\t2\t3%s4\t5\t1%s7\t5\t2.5"):format(eol, eol))
    S, info = sparse.read(path)
    check(S:nnz() == 3 and S:sum() == 6.5 and info.lines == 3, ("endings %q"):format(eol))
  end
  os.remove(path)
end)

case("a file that is not text is named as such by every reader, never read as text", function()
  local gz = "\031\139\8\0\0\0\0\0\0\3" -- a gzip header
  local path = T.write(T.tmpname(), gz .. "\n1\t2\n")
  checkerr(path .. ": a gzip-compressed file: decompress it first (gunzip FILE)", sparse.read, path)
  checkerr(path .. ": a gzip-compressed file", sparse.read, path, {skip_bad = true})
  checkerr(path .. ": a gzip-compressed file", data.features_file, path, {"1"}, "item")
  checkerr(path .. ": a gzip-compressed file", data.interactions, path)
  local d = dir_with{["ratings.csv"] = "1,10,4.0,1\n", ["movies.csv"] = gz .. "\n"}
  checkerr(d .. "/movies.csv: a gzip-compressed file", data.movielens, d)
  os.execute("rm -rf " .. d)
  T.write(path, "PK\3\4\20\0")
  checkerr(path .. ": a zip archive (an .xlsx workbook is one too): unpack it first (unzip FILE)", sparse.read, path)
  -- Excel's "Unicode text" export: UTF-16 with its byte-order mark
  T.write(path, "\255\254u\0s\0e\0r\0\t\0g\0\n\0001\0\t\0a\0\n\0")
  local utf16 = ": UTF-16 text: save it as UTF-8 (iconv -f UTF-16 -t UTF-8 FILE)"
  checkerr(path .. utf16, data.features_file, path, {"1"}, "item")
  checkerr(path .. utf16, data.interactions, path)
  checkerr(path .. utf16, sparse.read, path)
  eq(simec.not_text("BZh91AY&SY"), "a bzip2-compressed file: decompress it first (bunzip2 FILE)")
  eq(simec.not_text("1\0,\0"), utf16:sub(3))
  eq(simec.not_text("BZh 1 2"), nil)
  eq(simec.not_text("PAR1,2,3"), nil)
  eq(simec.not_text("\253\181\47"), nil)
  os.remove(path)
end)

case("a feature table separated by '|' (ml-100k's u.user, u.item) is named as such", function()
  local path = T.write(T.tmpname(), "1|24|M|technician|85711\n2|53|F|other|94043\n")
  checkerr(path .. ":1: expected 'id<TAB>token', 'id,token' or a header of columns (fields separated by '|', as " ..
           "MovieLens 100K's u.user and u.item: give a table a header line naming its columns and tabs, ',' or ';' " ..
           "between fields; the ml-100k folder as the data set reads its own files)", data.features_file, path,
           {"1", "2"}, "user")
  os.remove(path)
end)

case("a feature file's header may name its ids' field anywhere (age,gender,user_id; genre,movieId)", function()
  local path = T.write(T.tmpname(), "age,gender,user_id\n21,M,u1\n40,F,u2\n33,F,u3\n")
  local X, info = data.features_file(path, {"u1", "u2", "u3"}, "user")
  eq(info.format, "columns"); eq(info.id_field, 3); eq(info.unknown, 0); eq(info.categorical, 1)
  eq(X:ncols(), 3); eq(X:col_label(1), "age"); eq(X:get(2, 2), 1) -- u2 is gender=F
  -- pairs under a header: the token first, the item's id second
  T.write(path, "genre,movieId\nComedy,1\nDrama,2\nComedy,2\n")
  X, info = data.features_file(path, {"1", "2"}, "item")
  eq(info.format, "pairs"); eq(info.id_field, 2); eq(X:nnz(), 3); eq(X:ncols(), 2)
  -- a plain id first: as before; two fields named as the ids: which one is asked
  T.write(path, "id,age,userId\nu1,21,x\n")
  X, info = data.features_file(path, {"u1"}, "user")
  eq(info.id_field, nil)
  T.write(path, "age,userId,user\n21,u1,u1\n")
  checkerr(path .. ":1: fields 2 and 3 ('userId', 'user') both name the user ids; put the ids' field first",
           data.features_file, path, {"u1"}, "user")
  os.remove(path)
end)

case("a comment line (another tool's '#' or '%') is named by the feature and interaction readers", function()
  local path = T.tmpname()
  local hint = "(a comment line? every line is read as data: remove it)"
  T.write(path, "# genres\n2\tComedy\n")
  checkerr(path .. ":1: expected 'id<TAB>token', 'id,token' or a header of columns " .. hint, data.features_file, path,
           {"2"}, "item")
  T.write(path, "2\tComedy\n% x\n")
  checkerr(path .. ":2: expected 'id<TAB>token', got 1 fields " .. hint, data.features_file, path, {"2"}, "item")
  T.write(path, "id,a,b\n2,1,0\n# x\n")
  checkerr(path .. ":3: expected 3 fields (an id and 2 values), got 1 " .. hint, data.features_file, path, {"2"}, "item")
  T.write(path, "# comment\n1\t2\n")
  checkerr(path .. ":1: expected 'row<TAB>column[<TAB>value]' lines or a labelled table " .. hint, data.interactions,
           path)
  T.write(path, "1\t2\n# a\tb\tc\td\n")
  checkerr(path .. ":2: expected row<TAB>column[<TAB>value], got '# a\tb\tc\td' " .. hint, data.interactions, path)
  T.write(path, "# comment\n1,2\n")
  checkerr(path .. ":2: expected 2 fields, got 1 (line 1 begins with '#': a comment?", sparse.read, path,
           {value = 0})
  T.write(path, "id,a,b\n2,1\n")
  local ok, err = pcall(data.features_file, path, {"2"}, "item")
  assert(not ok and not err:find("comment"), err)
  os.remove(path)
end)

case("duplicate labels are errors naming both places (issue 16)", function()
  local d = dir_with{["t_admat_dgc.txt"] = "\tD1\tD1\nT1\t1\t0\nT2\t0\t1\n",
                     ["t_simmat_dc.txt"] = "\tD1\tD2\nD1\t1\t0.3\nD2\t0.3\t1\n",
                     ["t_simmat_dg.txt"] = "\tT1\tT2\nT1\t1\t0.5\nT2\t0.5\t1\n"}
  checkerr("t_admat_dgc.txt:1: columns 2 and 3 are both labelled 'D1'", data.dti, d, "t")
  T.write(d .. "/t_admat_dgc.txt", "\tD1\tD2\nT1\t1\t0\nT1\t0\t1\n")
  checkerr("t_admat_dgc.txt:3: row label 'T1' is also on line 2", data.dti, d, "t")
  os.execute("rm -rf " .. d)
  local S = sparse.from_triplets({1, 2}, {1, 1})
  checkerr("set_row_labels: labels 1 and 2 are both 'a'", S.set_row_labels, S, {"a", "a"})
  checkerr("set_row_labels: label 2 contains a NUL byte", S.set_row_labels, S, {"a", "a\0b"})
end)

case("titles: Latin-1 files decoded to UTF-8; titles under two ids disclosed (issue 17)", function()
  local item = "1|Mis\233rables, Les (1995)|01-Jan-1995||http://x|" .. ("0|"):rep(18) .. "1\n" ..
               "2|Heat (1995)|01-Jan-1995||http://x|" .. ("0|"):rep(18) .. "1\n" ..
               "3|Heat (1995)|01-Jan-1995||http://x|" .. ("0|"):rep(18) .. "1\n"
  local d = dir_with{["u.data"] = "1\t1\t5\t1\n1\t2\t3\t2\n2\t3\t4\t3\n", ["u.item"] = item}
  local ds = data.movielens(d)
  eq(ds.items.titles[ds.ratings:row_index("1")], "Mis\195\169rables, Les (1995)")
  eq(#ds.items.duplicate_titles, 1)
  eq(ds.items.duplicate_titles[1].title, "Heat (1995)")
  eq(table.concat(ds.items.duplicate_titles[1].ids, ","), "2,3")
  os.execute("rm -rf " .. d)
end)

case("data.thousands groups digits by three", function()
  eq(data.thousands(0), "0"); eq(data.thousands(999), "999"); eq(data.thousands(1000), "1,000")
  eq(data.thousands(25000095), "25,000,095"); eq(data.thousands(1682.0), "1,682")
end)

case("data.dti without a similarity file loads, says so, and dti.lua skips the settings that need it", function()
  -- 12 drugs x 6 targets with a block structure, so every fold has interactions
  local drugs, targets = {}, {}
  for j = 1, 12 do drugs[j] = "D" .. j end
  for i = 1, 6 do targets[i] = "T" .. i end
  local ad = {"\t" .. table.concat(drugs, "\t")}
  for i = 1, 6 do
    local row = {targets[i]}
    for j = 1, 12 do row[#row + 1] = ((i + j) % 3 == 0) and "1" or "0" end
    ad[#ad + 1] = table.concat(row, "\t")
  end
  local dc = {"\t" .. table.concat(drugs, "\t")}
  for a = 1, 12 do
    local row = {drugs[a]}
    for b = 1, 12 do row[#row + 1] = a == b and "1" or ((a - b) % 3 == 0 and "0.8" or "0.1") end
    dc[#dc + 1] = table.concat(row, "\t")
  end
  local d = dir_with{["x_admat_dgc.txt"] = table.concat(ad, "\n") .. "\n", ["x_simmat_dc.txt"] = table.concat(dc, "\n") .. "\n"}
  local ds = data.dti(d, "x")
  eq(ds.targets.similarity, nil)
  eq(ds.targets.missing_similarity, d .. "/x_simmat_dg.txt")
  check(ds.drugs.similarity ~= nil, "the drug side keeps its file")
  local out = io.popen(("%s examples/dti.lua %s x --folds 2 2>&1"):format(SIMEC_BIN or "./simec", d)):read("a")
  check(out:find("x_simmat_dg.txt not found: the targets have no similarity matrix", 1, true), out)
  check(out:find("target GIP kernels of the training interactions (no similarity file)", 1, true), out)
  check(out:find("new targets: skipped (no target similarity file", 1, true), out)
  check(out:find("\nT1 +pairs +KronRLS%-GIP +[%d.]+") and out:find("\nT2a +new drugs +two%-SimEc"), out)
  check(not out:find("\nT2b ") and not out:find("\nT3 "), "no rows for the skipped settings:\n" .. out)
  -- NRLMF tuned on the inner folds, one choice per fold from the declared grid
  check(out:find("\nT1 +pairs +NRLMF tuned +[%d.]+"), out)
  local picks = out:match("pairs: NRLMF lambda/alpha/beta chosen per fold: ([^\n]*)")
  check(picks and picks:find("^[%d.]+/[%d.]+/[%d.]+ x%d"), out)
  -- a dozen positives per pass of the blend's inner folds: drawn again, five passes in all
  check(out:find("pairs: passes of the blend's inner folds per fold (until 500 positives are held out): 5 x2", 1, true),
        out)
  -- --quick: the declared small grid, nothing else chosen outside it
  out = io.popen(("%s examples/dti.lua %s x --folds 2 --quick 2>&1"):format(SIMEC_BIN or "./simec", d)):read("a")
  check(out:find("2-fold cross-validation, fold seed 13; quick grid", 1, true), out)
  check(out:find("pairs: embedding/epochs chosen per fold: 30/30 x2", 1, true), out)
  picks = out:match("pairs: NRLMF lambda/alpha/beta chosen per fold: ([^\n]*)")
  check(picks and picks:gsub("0%.125/0%.25/0%.125 x%d", ""):gsub("0%.5/0%.25/0%.125 x%d", ""):gsub("[, ]", "") == "",
        out)
  check(out:find("pairs: passes of the blend's inner folds per fold (until 500 positives are held out): 1 x2", 1, true),
        out)
  check(out:find("\nT2a +new drugs +blend%(Kron, WNN, NRLMF, SimEc%) +[%d.]+"), out)
  -- --models: those rows only; a name that is not a model is a usage error
  out = io.popen(("%s examples/dti.lua %s x --folds 2 --models nrlmf,kron 2>&1"):format(SIMEC_BIN or "./simec", d))
    :read("a")
  check(out:find("\nT1 +pairs +KronRLS%-GIP +[%d.]+") and out:find("\nT2a +new drugs +NRLMF +[%d.]+"), out)
  check(not out:find("SimEc") and not out:find("WNN") and not out:find("tuned") and not out:find("blend"), out)
  check(out:find("KronRLS%-GIP.*\nT1 +pairs +NRLMF "), "the table's order, not the option's:\n" .. out)
  local pipe = io.popen(("%s examples/dti.lua %s x --models kron,svd 2>&1"):format(SIMEC_BIN or "./simec", d))
  out = pipe:read("a")
  check(select(3, pipe:close()) == 2, out)
  eq(out, "dti: --models: unknown model 'svd' (one of smooth, kron, wnn, nrlmf, nrlmf_tuned, simec, blend)\n")
  -- a set's name alone: that set in the default folder (data/dti here), and
  -- a name found nowhere says where it looked and what to give instead
  local cwd = io.popen("pwd"):read("l")
  local bin = (SIMEC_BIN or "./simec"):sub(1, 1) == "/" and (SIMEC_BIN or "./simec") or cwd .. "/" .. (SIMEC_BIN or "./simec")
  local home = T.tmpname()
  os.execute(("mkdir -p %s/data/dti && cp %s/x_admat_dgc.txt %s/data/dti/nr_admat_dgc.txt && " ..
              "cp %s/x_simmat_dc.txt %s/data/dti/nr_simmat_dc.txt"):format(home, d, home, d, home))
  out = io.popen(("cd %s && %s %s/examples/dti.lua nr --folds 2 --models kron 2>&1"):format(home, bin, cwd)):read("a")
  check(out:find("data/dti/nr_simmat_dg.txt not found", 1, true) and out:find("\nT1 +pairs +KronRLS%-GIP +[%d.]+"), out)
  out = io.popen(("cd %s && %s %s/examples/dti.lua nrx 2>&1"):format(home, bin, cwd)):read("a")
  check(out:find("dti: no data set nrx: looked in nrx, data/nrx", 1, true) and
        out:find("give a folder of Yamanishi et al.'s files (DATA_DIR NAME) or --interactions FILE", 1, true), out)
  check(not out:find("traceback"), out)
  -- Liu et al.'s protocol: five trials, standard deviations, no both-new setting
  out = io.popen(("%s examples/dti.lua %s x --folds 2 --protocol liu2016 2>&1"):format(SIMEC_BIN or "./simec", d))
    :read("a")
  check(out:find("Liu et al.'s folds, trial seeds 7771, 8367, 22, 1812, 4659", 1, true), out)
  check(out:find("AUPR%-tr +sd +AUC +sd") and out:find("\nT1 +pairs +NRLMF +[%d.]+ +[%d.]+ +[%d.]+ +[%d.]+ +[%d.]+ +10 "),
        out)
  out = io.popen(("%s examples/dti.lua %s x --protocol bogus 2>&1"):format(SIMEC_BIN or "./simec", d)):read("a")
  check(out:find("dti: --protocol must be simec or liu2016, got bogus", 1, true), out)
end)
