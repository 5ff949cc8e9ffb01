-- Re-runs the REPL transcripts and Lua blocks of Markdown files and writes
-- what they print back into them (the format tests/lua/docs_spec.lua
-- checks): a transcript keeps its input lines ("> ", ">> ") and gets
-- simec -i's output; a ```lua block's ```output block gets what it
-- prints. Blocks marked <!-- not run: ... --> stay as they are. Review
-- the diff before committing.
--   simec scripts/update-transcripts.lua README.md docs/tutorial.md   (make docs-transcripts)
local bin = arg[0]:match("^(.*)/scripts/") and arg[0]:match("^(.*)/scripts/") .. "/simec" or "./simec"

local function run(cmd, input)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(input)
  f:close()
  local p = io.popen(("%s < %s 2>&1"):format(cmd, path))
  local out = p:read("a")
  p:close()
  os.remove(path)
  return (out:gsub("\n$", ""))
end

for _, doc in ipairs(arg) do
  local f = assert(io.open(doc, "rb"))
  local lines = {}
  for l in (f:read("a") .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  f:close()
  if lines[#lines] == "" then lines[#lines] = nil end
  local out, i, skip, changed = {}, 1, false, 0
  while i <= #lines do
    local l = lines[i]
    if l:match("^<!%-%-%s*not run:") then skip = true end
    if l:match("^```") and not l:match("^```%s*$") or (l == "```" and lines[i + 1] and
                                                      lines[i + 1]:match("^%$ %.?/?simec%s*$")) then
      local info = l:match("^```(%S*)")
      local j, body = i + 1, {}
      while j <= #lines and not lines[j]:match("^```%s*$") do body[#body + 1] = lines[j]; j = j + 1 end
      if not skip and info == "" and body[1] and body[1]:match("^%$ %.?/?simec%s*$") then
        local input = {}
        for k = 2, #body do
          local code = body[k]:match("^>>? (.*)$")
          if code and (code:find("%S") or k < #body) then input[#input + 1] = code end
        end
        out[#out + 1] = l
        out[#out + 1] = body[1]
        for r in (run(bin .. " -i", table.concat(input, "\n") .. "\n") .. "\n"):gmatch("([^\n]*)\n") do
          out[#out + 1] = r
        end
        out[#out + 1] = "```"
        changed = changed + 1
        i = j + 1
      elseif not skip and info == "lua" then
        for k = i, j do out[#out + 1] = lines[k] end
        local printed = run(bin .. " -", table.concat(body, "\n") .. "\n")
        local n = j + 1
        while lines[n] == "" do out[#out + 1] = ""; n = n + 1 end
        if lines[n] == "```output" then
          local e = n + 1
          while e <= #lines and not lines[e]:match("^```%s*$") do e = e + 1 end
          out[#out + 1] = "```output"
          for r in (printed .. "\n"):gmatch("([^\n]*)\n") do out[#out + 1] = r end
          out[#out + 1] = "```"
          i = e + 1
        else
          i = n
        end
        changed = changed + 1
      else
        for k = i, math.min(j, #lines) do out[#out + 1] = lines[k] end
        i = j + 1
      end
      skip = false
    else
      if l:match("%S") and not l:match("^<!%-%-") then skip = false end
      out[#out + 1] = l
      i = i + 1
    end
  end
  f = assert(io.open(doc, "wb"))
  f:write(table.concat(out, "\n"), "\n")
  f:close()
  print(("%s: %d blocks re-run"):format(doc, changed))
end
