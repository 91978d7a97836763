-- A mixed workload: recursion, tables, strings, floats and closures.
local n = tonumber(arg[1]) or 1

local function fib(k)
  if k < 2 then return k end
  return fib(k - 1) + fib(k - 2)
end

local function sieve(limit)
  local composite, count = {}, 0
  for i = 2, limit do
    if not composite[i] then
      count = count + 1
      for j = i * i, limit, i do composite[j] = true end
    end
  end
  return count
end

local function words(rounds)
  local freq, parts = {}, {}
  for i = 1, rounds do
    local w = string.format("w%03d", (i * 7919) % 997)
    freq[w] = (freq[w] or 0) + 1
    parts[#parts + 1] = w:upper()
  end
  local keys = {}
  for k in pairs(freq) do keys[#keys + 1] = k end
  table.sort(keys)
  return #keys, #table.concat(parts, ",")
end

local function floats(steps)
  local x, sum = 0.5, 0.0
  for i = 1, steps do
    x = 3.7 * x * (1 - x)
    sum = sum + math.sin(x) * math.sqrt(i)
  end
  return string.format("%.6f", sum)
end

local function counters(k)
  local fs = {}
  for i = 1, k do
    local c = i
    fs[i] = function() c = c + 1; return c end
  end
  local total = 0
  for _ = 1, 10 do for i = 1, k do total = total + fs[i]() end end
  return total
end

for round = 1, n do
  print(round, fib(22), sieve(200000), words(50000), floats(200000), counters(20000))
end
