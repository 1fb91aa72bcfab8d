"""Shared helpers: copies of the sample configs, and Lua 5.4 itself as the reference reader."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
LUA = shutil.which("lua5.4")
LUAC = shutil.which("luac5.4")

# Reads a config the way Prosody does: a fresh global section per file, VirtualHost and
# Component switch sections, Include reads other files (globs in the last part, dot files
# skipped). Prints "section<TAB>option<TAB>value" with values in a canonical form.
EVALUATOR = r"""
local main = arg[1]
local main_dir = main:match("^(.*)/") or "."
local last = {}
local order = {}
local opaque = setmetatable({}, { __tostring = function() return "opaque" end })

local function ser(v)
  local t = type(v)
  if t == "string" then
    return "s:" .. v:gsub(".", function(c) return string.format("%02x", c:byte()) end)
  elseif t == "number" then
    if v == math.floor(v) and math.abs(v) < 2^53 then
      return string.format("n:%d", math.tointeger(v))
    end
    return string.format("n:%.17g", v)
  elseif t == "boolean" then
    return "b:" .. tostring(v)
  elseif t == "table" and v ~= opaque then
    local items = {}
    for k, val in pairs(v) do items[#items + 1] = ser(k) .. "=" .. ser(val) end
    table.sort(items)
    return "{" .. table.concat(items, ",") .. "}"
  end
  return "?"
end

local function glob_files(pattern)
  local path = pattern:sub(1, 1) == "/" and pattern or (main_dir .. "/" .. pattern)
  if not path:find("[*?]") then return { path } end
  local dir, glob = path:match("^(.*)/([^/]*)$")
  local lua_pattern = "^" .. glob:gsub("[%.%-%+%%%[%]%^%$%(%)]", "%%%0")
    :gsub("%*", ".*"):gsub("%?", ".") .. "$"
  local found = {}
  local listing = io.popen('ls -1a "' .. dir .. '"')
  for name in listing:lines() do
    if name:sub(1, 1) ~= "." and name:match(lua_pattern) then
      found[#found + 1] = dir .. "/" .. name
    end
  end
  listing:close()
  table.sort(found)
  return found
end

local function run(file)
  local current = "*"
  local env
  local function set_host(name)
    current = name
    return function() return function() end end
  end
  local api = {
    VirtualHost = set_host, Host = set_host, host = set_host, virtualhost = set_host,
    Component = set_host, component = set_host,
    FileContents = function() return opaque end,
    -- What configs written by others use beside options: Lua's libraries, print kept quiet.
    os = { getenv = os.getenv }, string = string, math = math, table = table,
    ipairs = ipairs, pairs = pairs, tonumber = tonumber, tostring = tostring,
    assert = assert, type = type, print = function() end,
    Include = function(pattern)
      for _, f in ipairs(glob_files(pattern)) do run(f) end
    end,
  }
  api.include = api.Include
  env = setmetatable({}, {
    __index = function(_, k)
      if k:match("^ENV_") then return os.getenv(k:sub(5)) end
      return api[k]
    end,
    __newindex = function(_, k, v)
      local key = current .. "\t" .. k
      if last[key] == nil then order[#order + 1] = key end
      last[key] = ser(v)
    end,
  })
  local chunk = assert(loadfile(file, "t", env))
  chunk()
end

run(main)
for _, key in ipairs(order) do print(key .. "\t" .. last[key]) end
"""


def canonical(value: object) -> str:
    """The evaluator's canonical form, computed from a value the Python parser found."""
    if isinstance(value, bool):
        return f"b:{str(value).lower()}"
    if isinstance(value, int | float):
        if float(value).is_integer() and abs(value) < 2**53:
            return f"n:{int(value)}"
        return f"n:{value:.17g}"
    if isinstance(value, str):
        return "s:" + value.encode("utf-8", "surrogateescape").hex()
    if isinstance(value, list):
        value = dict(enumerate(value, start=1))
    if isinstance(value, dict):
        items = sorted(f"{canonical(k)}={canonical(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    return "?"


def lua_reads(path: Path, env: dict[str, str] | None = None) -> dict[tuple[str, str], str]:
    """What Lua 5.4 itself makes of a config: (section, option) -> canonical value; ENV is
    the whole environment Lua runs with (for configs that read it)."""
    assert LUA, "lua5.4 is missing: scripts/host-deps.sh must install the lua5.4 package"
    done = subprocess.run(
        [LUA, "-", str(path)],
        input=EVALUATOR,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    result = {}
    for line in done.stdout.splitlines():
        section, option, value = line.split("\t")
        result[(section, option)] = value
    return result


# Samples built at test time from a committed twin. The CRLF sample must have CRLF line
# endings, which ansible-test sanity refuses in a committed file; it is multi.cfg.lua with
# every line ending turned into CRLF.
DERIVED: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "crlf.cfg.lua": ("multi.cfg.lua", lambda data: data.replace(b"\n", b"\r\n")),
}


def copy_sample(name: str, directory: Path) -> Path:
    """Copy a sample (a file or a directory) into directory and return the copy's path."""
    target = directory / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if name in DERIVED:
        twin, convert = DERIVED[name]
        target.write_bytes(convert((FIXTURES / twin).read_bytes()))
        return target
    source = FIXTURES / name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    return target


@pytest.fixture
def fixture_copy(tmp_path: Path):
    """Copy a sample (a file or a directory) into tmp_path and return the copy's path."""

    def copy(name: str) -> Path:
        return copy_sample(name, tmp_path)

    return copy
