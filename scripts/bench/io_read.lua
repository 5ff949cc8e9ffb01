-- Reads a ratings file once; prints seconds, the core's peak bytes and the CSR size.
--   simec scripts/bench/io_read.lua FILE
local path = assert(arg[1], "usage: io_read.lua FILE")
simec.memory(true)
local t0 = simec.clock()
local wall0 = os.time()
local R = sparse.read(path, {row = 2, col = 1})
local secs = simec.clock() - t0
local _, peak = simec.memory()
local rows, cols = R:shape()
local labels = 0
for _, l in ipairs(R:row_labels()) do labels = labels + #l + 1 + 8 end
for _, l in ipairs(R:col_labels()) do labels = labels + #l + 1 + 8 end
local csr = R:nnz() * 12 + (rows + 1) * 8
print(("%.3f %d %d %d %d"):format(secs, peak, csr, labels, R:nnz()))
assert(os.time() - wall0 < 3600)
