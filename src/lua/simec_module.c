/* luaopen_simec: the single exported symbol of simec.so (and what the host
 * calls): registers every type and returns the module table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <time.h>
#include "alloc.h"
#include "bind.h"
#include "io.h"

/* simec.memory() -> bytes held by the core now, its high-water mark, the ceiling (0: none) */
/* simec.clock() -> seconds of wall time from a monotonic clock */
/* simec.number(s): the text readers' number grammar, for the Lua readers */
static int l_number(lua_State *L)
{
    size_t len;
    const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
    double v;
    if (!s || !io_parse_number(s, len, &v)) {
        const char *why = s ? io_number_why(s, len) : NULL;
        lua_pushnil(L);
        if (why) {
            lua_pushstring(L, why);
            return 2;
        }
    } else if (strcspn(s, ".eE") < len || lua_stringtonumber(L, s) == 0)
        lua_pushnumber(L, v);
    /* else: an integer literal, as Lua's own integer (tonumber("7") is 7, not 7.0) */
    return 1;
}

static int l_not_text(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len), *what = io_not_text(s, len);
    if (what)
        lua_pushstring(L, what);
    else
        lua_pushnil(L);
    return 1;
}

static int l_interrupted(lua_State *L)
{
    lua_settop(L, 1);
    lua_pushboolean(L, bind_is_interrupt(L, 1));
    return 1;
}

static int l_clock(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
    return 1;
}

/* "8G", "512M", "100K" or a number of bytes; -1 when malformed */
static double parse_bytes(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    switch (*end) {
    case 'k': case 'K': v *= 1024.0; end++; break;
    case 'm': case 'M': v *= 1048576.0; end++; break;
    case 'g': case 'G': v *= 1073741824.0; end++; break;
    case 't': case 'T': v *= 1099511627776.0; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    /* past 9e18 bytes (1e400 reads as infinity) is no size: converting it to size_t is undefined */
    return end == s || *end || !(v >= 0) || v > 9e18 ? -1 : v;
}

/* simec.limits{memory = bytes or "8G"} -> {memory = bytes (0: none)} */
static int l_limits(lua_State *L)
{
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        if (lua_getfield(L, 1, "memory") != LUA_TNIL) {
            double v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1)
                       : lua_type(L, -1) == LUA_TSTRING ? parse_bytes(lua_tostring(L, -1)) : -1;
            if (!(v >= 0) || v > 9e18)
                return luaL_error(L, "limits: memory must be a number of bytes or a size like \"8G\", got %s",
                                  luaL_tolstring(L, -1, NULL));
            core_mem_set_limit((size_t)v);
        }
        lua_pop(L, 1);
    }
    lua_createtable(L, 0, 1);
    lua_pushinteger(L, (lua_Integer)core_mem_limit());
    lua_setfield(L, -2, "memory");
    return 1;
}

/* Writes s to a's temporary file; when that fails (a full disk), removes
 * the temporary, clears *is_open (when given) and raises io_atomic_fail's
 * message, the one a failed commit gives, for simec.write_file and
 * atomic_file:write alike */
static void atomic_put(lua_State *L, io_atomic *a, int *is_open, const char *s, size_t len)
{
    core_err e;
    if (!len || fwrite(s, 1, len, a->f) == len)
        return;
    io_atomic_fail(a, errno, &e);
    if (is_open)
        *is_open = 0;
    bind_raise(L, &e);
}

/* simec.write_file(path, text): crash-safe (temporary file, fsync, rename) */
static int l_write_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    io_atomic a;
    core_err e;
    if (io_atomic_open(&a, path, &e))
        return bind_raise(L, &e);
    atomic_put(L, &a, NULL, text, len);
    if (io_atomic_commit(&a, &e))
        return bind_raise(L, &e);
    return 0;
}

/* simec.atomic_file(path): write(...) a piece at a time, then commit();
 * until then the file at path is the old one, and an error, a Ctrl-C or
 * the object's collection removes the temporary (a to-be-closed variable
 * does it at once) */
#define ATOMIC_FILE "simec.atomic_file"
typedef struct atomic_file {
    io_atomic a;
    int open;
} atomic_file;

static atomic_file *check_atomic(lua_State *L)
{
    atomic_file *w = luaL_checkudata(L, 1, ATOMIC_FILE);
    if (!w->open)
        luaL_error(L, "atomic_file: %s is closed (committed or aborted)", w->a.path);
    return w;
}

static int l_atomic_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    atomic_file *w = lua_newuserdatauv(L, sizeof *w, 0);
    core_err e;
    w->open = 0;
    luaL_setmetatable(L, ATOMIC_FILE);
    if (io_atomic_open(&w->a, path, &e))
        return bind_raise(L, &e);
    w->open = 1;
    return 1;
}

static int atomic_write(lua_State *L)
{
    atomic_file *w = check_atomic(L);
    int i, n = lua_gettop(L);
    for (i = 2; i <= n; i++) {
        size_t len;
        const char *s = luaL_checklstring(L, i, &len);
        atomic_put(L, &w->a, &w->open, s, len);
    }
    lua_settop(L, 1);
    return 1;
}

static int atomic_commit(lua_State *L)
{
    atomic_file *w = check_atomic(L);
    core_err e;
    w->open = 0;
    if (io_atomic_commit(&w->a, &e))
        return bind_raise(L, &e);
    return 0;
}

static int atomic_abort(lua_State *L)
{
    atomic_file *w = luaL_checkudata(L, 1, ATOMIC_FILE);
    if (w->open) {
        w->open = 0;
        io_atomic_abort(&w->a);
    }
    return 0;
}

static int atomic_tostring(lua_State *L)
{
    atomic_file *w = luaL_checkudata(L, 1, ATOMIC_FILE);
    lua_pushfstring(L, "atomic file %s (%s)", w->a.path, w->open ? "open" : "closed");
    return 1;
}

static int l_memory(lua_State *L)
{
    if (lua_toboolean(L, 1))
        core_mem_reset_peak();
    lua_pushinteger(L, (lua_Integer)core_mem_in_use());
    lua_pushinteger(L, (lua_Integer)core_mem_peak());
    lua_pushinteger(L, (lua_Integer)core_mem_limit());
    return 3;
}

/* simec.flops([reset]): the core's level-3 BLAS operations so far */
static int l_flops(lua_State *L)
{
    lua_pushnumber(L, core_blas_flops(lua_toboolean(L, 1)));
    return 1;
}

/* simec.usage(): the same figures as a table that prints in human units */
static int usage_tostring(lua_State *L)
{
    char now[32], peak[32], limit[32];
    double lim;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "now");
    lua_getfield(L, 1, "peak");
    lua_getfield(L, 1, "limit");
    lim = lua_tonumber(L, -1);
    core_fmt_bytes(now, sizeof now, lua_tonumber(L, -3));
    core_fmt_bytes(peak, sizeof peak, lua_tonumber(L, -2));
    if (lim > 0)
        core_fmt_bytes(limit, sizeof limit, lim);
    lua_pushfstring(L, "memory: %s now, peak %s, %s%s", now, peak, lim > 0 ? "limit " : "no limit",
                    lim > 0 ? limit : "");
    return 1;
}

static int l_usage(lua_State *L)
{
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)core_mem_in_use());
    lua_setfield(L, -2, "now");
    lua_pushinteger(L, (lua_Integer)core_mem_peak());
    lua_setfield(L, -2, "peak");
    lua_pushinteger(L, (lua_Integer)core_mem_limit());
    lua_setfield(L, -2, "limit");
    luaL_setmetatable(L, "memory usage");
    return 1;
}

/* simec.terminal(): rows and columns of the terminal on stdout, or nil
 * when stdout is not a terminal (help pages long text only on one) */
static int l_terminal(lua_State *L)
{
    struct winsize ws;
    if (!isatty(1))
        return 0;
    if (ioctl(1, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) {
        lua_pushinteger(L, 24);
        lua_pushinteger(L, 80);
        return 2;
    }
    lua_pushinteger(L, ws.ws_row);
    lua_pushinteger(L, ws.ws_col);
    return 2;
}

/* The one list of simec's modules, in the order help() lists them: the C
 * ones (open: their luaopen, a field of simec and "simec.NAME" in
 * package.loaded), the Lua ones (require "simec.NAME"), and which the host
 * makes globals. This file opens the C ones from it; the host, help, the
 * reference and the tests read it as simec.modules. */
static const struct {
    const char *name;
    lua_CFunction open; /* NULL: a Lua module, or simec itself */
    int lua, global;
} modules[] = {{"matrix", luaopen_simec_matrix, 0, 1}, {"sparse", luaopen_simec_sparse, 0, 1},
               {"rng", luaopen_simec_rng, 0, 1},       {"svd", luaopen_simec_svd, 0, 1},
               {"SimEc", luaopen_simec_simec, 0, 1},   {"lrp", luaopen_simec_lrp, 0, 1},
               {"data", NULL, 1, 1},                   {"features", NULL, 1, 1},
               {"splits", NULL, 1, 1},                 {"models", NULL, 1, 1},
               {"metrics", NULL, 1, 1},                {"study", NULL, 1, 0},
               {"plot", NULL, 1, 1},                   {"report", NULL, 1, 0},
               {"cli", NULL, 1, 0},                    {"notebook", NULL, 1, 0},
               {"simec", NULL, 0, 1},
               {"rec", luaopen_simec_rec, 0, 0},       {"help", NULL, 1, 1}};

static void push_modules(lua_State *L)
{
    size_t k;
    lua_createtable(L, (int)(sizeof modules / sizeof *modules), 0);
    for (k = 0; k < sizeof modules / sizeof *modules; k++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, modules[k].name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, modules[k].lua ? "Lua" : "C");
        lua_setfield(L, -2, "language");
        lua_pushboolean(L, modules[k].global);
        lua_setfield(L, -2, "global");
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
}

static const char *const help[] = {
    "simec", "The module of the C types and the host's settings: matrix, sparse, rng, svd, rec, SimEc, lrp, version, "
    "clock, memory, usage, flops, limits, terminal, write_file, number.",
    "simec.clock()", "Seconds of wall time from a monotonic clock.",
    "simec.number(s)", "s read with the number grammar of every file reader ([+-] digits [. digits] [e [+-] "
    "digits]; no hexadecimal, inf, nan or overflow), or nil and, where the readers can tell, why (a decimal "
    "comma).",
    "simec.interrupted(err)", "Whether err is the error a Ctrl-C raised in the running chunk (the host reports that "
    "one without a traceback, and a script it ends exits with status 130): an error handler that adds a traceback "
    "asks it first. An error after a Ctrl-C that a pcall caught is not.",
    "simec.not_text(bytes)", "What to do when bytes (a file's first bytes) show a file that is not UTF-8 text "
    "(gzip, bzip2, xz or zstd, a zip archive or .xlsx, an .xls workbook, Parquet, a .npy array, UTF-16), as every "
    "file reader says it, e.g. \"a gzip-compressed file: decompress it first (gunzip FILE)\"; nil for anything "
    "else.",
    "simec.flops([reset])", "Floating-point operations of the core's matrix products so far (level-3 BLAS: gemm, "
    "syrk, symm, trsm; an m x k by k x n product counts 2mnk; not LAPACK's own), counted before a reset when reset "
    "is true: a stage's count over its wall time is its achieved GFLOP/s (scripts/bench/flops.sh).",
    "simec.memory([reset_peak])", "Bytes held by the core (and, in the simec host, the Lua heap) now, its "
    "high-water mark (reset first when reset_peak) and the ceiling (0: none).",
    "simec.usage()", "The figures of simec.memory() as {now, peak, limit} (bytes); it prints in human units "
    "(memory: 12.5 MiB now, peak 80.1 MiB, no limit).",
    "memory usage", "What simec.usage() returns: now, peak and limit in bytes; printing it gives them in MiB/GiB.",
    "simec.terminal()", "Rows and columns of the terminal on standard output, or nothing when it is not a terminal.",
    "simec.modules", "simec's modules in help's order, each {name, language = \"C\" | \"Lua\", global} (global: the "
    "host makes it a global); the one list the host, help and the tests read.",
    "simec.limits{memory = bytes | \"8G\"}", "Sets a ceiling on that memory (also SIMEC_MAX_MEMORY), so an "
    "allocation beyond it is a Lua error naming the request instead of an OOM kill; returns {memory = ceiling}.",
    "simec.write_file(path, text)", "Writes text to path through a temporary file in the same directory that is "
    "fsynced and renamed: the file is either the old one or the new one, never half written.",
    "simec.atomic_file(path)", "A file written a piece at a time, w:write(s, ...) (strings or numbers; returns w), "
    "then w:commit() (fsync and rename, as write_file); until then path holds the old file, and w:abort(), an error "
    "that closes a to-be-closed w (local w <close> = ...), a Ctrl-C or w's collection removes the temporary.",
    NULL};

int luaopen_simec(lua_State *L)
{
    size_t k;
    core_err e;
    if (mat_blas_fit_address_space(&e))
        return luaL_error(L, "%s", e.msg);
    lua_createtable(L, 0, 4);
    for (k = 0; k < sizeof modules / sizeof *modules; k++) {
        if (!modules[k].open)
            continue;
        lua_pushfstring(L, "simec.%s", modules[k].name);
        luaL_requiref(L, lua_tostring(L, -1), modules[k].open, 0);
        lua_setfield(L, -3, modules[k].name);
        lua_pop(L, 1); /* the module's name */
    }
    {
        const char *env = getenv("SIMEC_MAX_MEMORY");
        double v;
        if (env && *env) {
            if ((v = parse_bytes(env)) < 0)
                return luaL_error(L, "SIMEC_MAX_MEMORY: expected a number of bytes or a size like 8G, got '%s'", env);
            core_mem_set_limit((size_t)v);
        }
    }
    bind_add_help(L, help);
    luaL_newmetatable(L, "memory usage");
    lua_pushcfunction(L, usage_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_write_file);
    lua_setfield(L, -2, "write_file");
    if (luaL_newmetatable(L, ATOMIC_FILE)) {
        static const luaL_Reg methods[] = {
            {"write", atomic_write}, {"commit", atomic_commit}, {"abort", atomic_abort}, {NULL, NULL}};
        static const luaL_Reg meta[] = {
            {"__gc", atomic_abort}, {"__close", atomic_abort}, {"__tostring", atomic_tostring}, {NULL, NULL}};
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_atomic_file);
    lua_setfield(L, -2, "atomic_file");
    lua_pushcfunction(L, l_limits);
    lua_setfield(L, -2, "limits");
    lua_pushcfunction(L, l_clock);
    lua_setfield(L, -2, "clock");
    lua_pushcfunction(L, l_number);
    lua_setfield(L, -2, "number");
    lua_pushcfunction(L, l_not_text);
    lua_setfield(L, -2, "not_text");
    lua_pushcfunction(L, l_interrupted);
    lua_setfield(L, -2, "interrupted");
    lua_pushcfunction(L, l_memory);
    lua_setfield(L, -2, "memory");
    lua_pushcfunction(L, l_usage);
    lua_setfield(L, -2, "usage");
    lua_pushcfunction(L, l_flops);
    lua_setfield(L, -2, "flops");
    lua_pushcfunction(L, l_terminal);
    lua_setfield(L, -2, "terminal");
    lua_pushliteral(L, SIMEC_VERSION);
    lua_setfield(L, -2, "version");
    push_modules(L);
    lua_setfield(L, -2, "modules");
    return 1;
}
