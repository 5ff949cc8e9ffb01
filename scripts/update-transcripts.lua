-- Re-runs the REPL transcripts and Lua blocks of Markdown files and writes
-- what they print back into them (the format scripts/docblocks.lua reads
-- and tests/lua/docs_spec.lua checks): a transcript keeps its "$ ./simec"
-- line and input lines and gets simec -i's output; a ```lua block's
-- ```output block gets what it prints. Blocks that are not run here
-- (marked "not run", or needing a data set this machine lacks) stay as
-- they are, and are listed. Review the diff before committing.
--   simec scripts/update-transcripts.lua README.md docs/tutorial.md   (make docs-transcripts)
local root = arg[0]:match("^(.*)/scripts/[^/]*$") or "."
local docblocks = dofile(root .. "/scripts/docblocks.lua")
local bin = root .. "/simec"

for _, doc in ipairs(arg) do
  local f = assert(io.open(doc, "rb"))
  local text = f:read("a")
  f:close()
  local lines = {}
  for l in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  local bs = docblocks.blocks(text)
  local new = {} -- fence line of a block -> the lines it gets
  local rerun, kept = 0, {}
  for n, b in ipairs(bs) do
    local transcript, why = docblocks.is_transcript(b), docblocks.skip_reason(b)
    if (transcript or b.info == "lua") and why then
      kept[#kept + 1] = ("line %d (%s)"):format(b.line, why)
    elseif transcript then
      local out = {b.lines[1]}
      for l in (docblocks.run(bin .. " -i", docblocks.input(b)):gsub("\n$", "") .. "\n"):gmatch("([^\n]*)\n") do
        out[#out + 1] = l
      end
      new[b.line], rerun = out, rerun + 1
    elseif b.info == "lua" and bs[n + 1] and bs[n + 1].info == "output" then
      local out = {}
      for l in (docblocks.run(bin .. " -", table.concat(b.lines, "\n") .. "\n"):gsub("\n$", "") .. "\n")
                 :gmatch("([^\n]*)\n") do
        out[#out + 1] = l
      end
      new[bs[n + 1].line], rerun = out, rerun + 1
    end
  end
  local out, i = {}, 1
  while i <= #lines do
    out[#out + 1] = lines[i]
    if new[i] then -- the block's body replaced, its closing fence kept
      for _, l in ipairs(new[i]) do out[#out + 1] = l end
      i = i + 1
      while not lines[i]:match("^```%s*$") do i = i + 1 end
    else
      i = i + 1
    end
  end
  f = assert(io.open(doc, "wb"))
  f:write(table.concat(out, "\n"), "\n")
  f:close()
  print(("%s: %d blocks re-run%s"):format(doc, rerun, #kept > 0 and "; kept " .. table.concat(kept, ", ") or ""))
end
