-- The runnable blocks of the Markdown docs, read one way for the test that
-- checks them (tests/lua/docs_spec.lua) and the script that rewrites their
-- outputs (scripts/update-transcripts.lua):
--   a transcript: a fenced block whose first line is "$ ./simec"; its
--     input lines ("> ", ">> ") go to `simec -i`, the rest is the output;
--   a ```lua block: a script for `simec -`, its output in a ```output block
--     right after it (when it prints);
--   <!-- not run: REASON --> before a block skips it, <!-- needs: NAME -->
--     runs it only where data.find(NAME) finds the data set.
--   local docblocks = dofile("scripts/docblocks.lua")
local data = require "simec.data"
local docblocks = {}

-- the fenced blocks of a Markdown text: {info, lines, line (of the fence),
-- marks (of the comment lines just before it)}
function docblocks.blocks(text)
  local out, lines = {}, {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  local i, marks = 1, {}
  while i <= #lines do
    local l = lines[i]
    local info = l:match("^```(%S*)%s*$")
    if info then
      local b = {info = info, lines = {}, line = i, marks = marks}
      i = i + 1
      while i <= #lines and not lines[i]:match("^```%s*$") do
        b.lines[#b.lines + 1] = lines[i]
        i = i + 1
      end
      out[#out + 1] = b
      marks = {}
    elseif l:match("^<!%-%-") then
      local k, v = l:match("^<!%-%-%s*([%w ]+):%s*(.-)%s*%-%->%s*$")
      if k then marks[k] = v end
    elseif l:match("%S") then
      marks = {}
    end
    i = i + 1
  end
  return out
end

function docblocks.is_transcript(b)
  return b.lines[1] ~= nil and b.lines[1]:match("^%$ %.?/?simec%s*$") ~= nil
end

-- why a block is not run here, or nil
function docblocks.skip_reason(b)
  if b.marks["not run"] then return "not run: " .. b.marks["not run"] end
  if b.marks.needs and not data.find(b.marks.needs) then
    return ("needs %s (scripts/get-data.sh %s)"):format(b.marks.needs, b.marks.needs)
  end
  return nil
end

-- a transcript's input lines (the last, empty prompt is no input)
function docblocks.input(b)
  local input = {}
  for k = 2, #b.lines do
    local code = b.lines[k]:match("^>>? (.*)$")
    if code and (code:find("%S") or k < #b.lines) then input[#input + 1] = code end
  end
  return table.concat(input, "\n") .. "\n"
end

-- what cmd prints (stdout and stderr) with input on its standard input
function docblocks.run(cmd, input)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(input)
  f:close()
  local p = io.popen(("%s < %s 2>&1"):format(cmd, path))
  local out = p:read("a")
  p:close()
  os.remove(path)
  return out
end

return docblocks
