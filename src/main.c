/* simec: the Lua 5.4 host. Structure after lua.c: main() only creates the
 * state and runs pmain protected, so even start-up errors are reported. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "alloc.h"
#include "blas.h"
#include "bind.h"
#include "kernel.h"
#include "interrupt.h"
#include "repl.h"

static const char *progname = "simec";

static void print_usage(const char *bad)
{
    if (bad) {
        if (bad[1] == 'e' || bad[1] == 'l')
            fprintf(stderr, "%s: '%s' needs argument\n", progname, bad);
        else
            fprintf(stderr, "%s: unrecognized option '%s'\n", progname, bad);
    }
    fprintf(bad ? stderr : stdout,
            "usage: %s [options] [script [args]]\n"
            "Available options are:\n"
            "  -e stat   execute string 'stat'\n"
            "  -i        enter interactive mode after executing 'script'\n"
            "  -l mod    require library 'mod' into global 'mod'\n"
            "  -l g=mod  require library 'mod' into global 'g'\n"
            "  -v, --version  show version information\n"
            "  -E        ignore environment variables (LUA_PATH, LUA_INIT)\n"
            "  -h, --help     show this help\n"
            "  --kernel FILE  serve as a Jupyter kernel (FILE: the connection file)\n"
            "  --install-kernel [--user | --prefix P] [--bin PATH]\n"
            "                 install the Jupyter kernelspec \"simec (Lua 5.4)\"\n"
            "  --        stop handling options\n"
            "  -         stop handling options and execute stdin\n"
            "With no script and a terminal on stdin, starts the REPL; with stdin\n"
            "not a terminal, runs stdin as a script.\n",
            progname);
}

static void print_version(void)
{
    printf("simec %s (%s)\n", SIMEC_VERSION, LUA_RELEASE);
    fflush(stdout);
}

static int dochunk(lua_State *L, int status)
{
    if (status == LUA_OK)
        status = repl_docall(L, 0, 0);
    return repl_report(L, status, progname);
}

static int dofile(lua_State *L, const char *name)
{
    return dochunk(L, luaL_loadfile(L, name));
}

static int dostring(lua_State *L, const char *s, const char *name)
{
    return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* -l [g=]mod */
static int dolibrary(lua_State *L, char *spec)
{
    int status;
    char *eq = strchr(spec, '=');
    const char *mod = spec, *glob = spec;
    if (eq) {
        *eq = '\0';
        mod = eq + 1;
    }
    lua_getglobal(L, "require");
    lua_pushstring(L, mod);
    status = repl_docall(L, 1, 1);
    if (status == LUA_OK)
        lua_setglobal(L, glob);
    return repl_report(L, status, progname);
}

static int pushargs(lua_State *L)
{
    int i, n;
    if (lua_getglobal(L, "arg") != LUA_TTABLE)
        luaL_error(L, "'arg' is not a table");
    n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (i = 1; i <= n; i++)
        lua_rawgeti(L, -i, i);
    lua_remove(L, -i);
    return n;
}

static int handle_script(lua_State *L, char **argv)
{
    const char *fname = argv[0];
    int status;
    if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0)
        fname = NULL; /* stdin */
    status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
        int n = pushargs(L);
        status = repl_docall(L, n, LUA_MULTRET);
    }
    return repl_report(L, status, progname);
}

enum { has_error = 1, has_i = 2, has_v = 4, has_e = 8, has_E = 16, has_h = 32 };

/* First pass: validate options; *first gets the script index (0: none, -1: error). */
static int collectargs(char **argv, int *first)
{
    int args = 0, i;
    if (argv[0] != NULL && argv[0][0])
        progname = "simec";
    for (i = 1; argv[i] != NULL; i++) {
        *first = i;
        if (argv[i][0] != '-')
            return args;
        if (strcmp(argv[i], "--help") == 0) {
            args |= has_h;
            continue;
        }
        if (strcmp(argv[i], "--version") == 0) {
            args |= has_v;
            continue;
        }
        switch (argv[i][1]) {
        case '-':
            if (argv[i][2] != '\0')
                return has_error;
            *first = i + 1;
            return args;
        case '\0':
            return args;
        case 'E':
            if (argv[i][2] != '\0')
                return has_error;
            args |= has_E;
            break;
        case 'i':
            args |= has_i; /* -i implies -v */
            /* fall through */
        case 'v':
            if (argv[i][2] != '\0')
                return has_error;
            args |= has_v;
            break;
        case 'h':
            if (argv[i][2] != '\0')
                return has_error;
            args |= has_h;
            break;
        case 'e':
            args |= has_e;
            /* fall through */
        case 'l':
            if (argv[i][2] == '\0') {
                i++;
                if (argv[i] == NULL || argv[i][0] == '-')
                    return has_error;
            }
            break;
        default:
            return has_error;
        }
    }
    *first = 0;
    return args;
}

/* Second pass: run -e and -l in order. */
static int runargs(lua_State *L, char **argv, int n)
{
    int i;
    for (i = 1; i < n; i++) {
        int option = argv[i][1];
        if (argv[i][0] != '-' || argv[i][1] == '-')
            continue;
        if (option == 'e' || option == 'l') {
            int status;
            char *extra = argv[i] + 2;
            if (*extra == '\0')
                extra = argv[++i];
            status = option == 'e' ? dostring(L, extra, "=(command line)") : dolibrary(L, extra);
            if (status != LUA_OK)
                return 0;
        }
    }
    return 1;
}

static void createargtable(lua_State *L, char **argv, int argc, int script)
{
    int i, narg;
    if (script == 0)
        script = argc; /* no script: everything goes to negative indices */
    narg = argc - (script + 1);
    lua_createtable(L, narg > 0 ? narg : 0, script + 1);
    for (i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int isdir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Puts lua/ (found next to the binary, up to two levels above it, or in
 * ../share/simec) in front of package.path. */
static void setup_paths(lua_State *L)
{
    char exe[PATH_MAX], probe[PATH_MAX + 128], root[PATH_MAX + 64];
    const char *env = getenv("SIMEC_HOME");
    ssize_t n;
    char *slash;
    int found = 0, up;
    root[0] = '\0';
    if (env && *env) {
        snprintf(root, sizeof root, "%s/lua", env);
        found = isdir(root);
    }
    if (!found && (n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
        exe[n] = '\0';
        if ((slash = strrchr(exe, '/')) != NULL)
            *slash = '\0';
        for (up = 0; up < 3 && !found; up++) {
            snprintf(root, sizeof root, "%s%s/lua", exe, up == 0 ? "" : up == 1 ? "/.." : "/../..");
            snprintf(probe, sizeof probe, "%s/simec", root);
            found = isdir(probe);
        }
        if (!found) {
            snprintf(root, sizeof root, "%s/../share/simec/lua", exe);
            found = isdir(root);
        }
    }
    if (!found)
        return;
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", root, root);
    lua_getfield(L, -2, "path");
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    lua_pushstring(L, root);
    lua_setglobal(L, "SIMEC_LUA_DIR");
}

/* Calls each(L, name) for the modules of simec.modules in one language
 * that the host makes globals; stops at a non-OK status. */
static int each_global(lua_State *L, const char *language, int (*each)(lua_State *L, const char *name))
{
    lua_Integer k, n;
    int status = LUA_OK;
    lua_getglobal(L, "simec");
    lua_getfield(L, -1, "modules");
    n = luaL_len(L, -1);
    for (k = 1; k <= n && status == LUA_OK; k++) {
        int global, lang_ok;
        lua_rawgeti(L, -1, k);
        lua_getfield(L, -1, "global");
        global = lua_toboolean(L, -1);
        lua_getfield(L, -2, "language");
        lang_ok = strcmp(lua_tostring(L, -1), language) == 0;
        lua_getfield(L, -3, "name");
        if (global && lang_ok && strcmp(lua_tostring(L, -1), "simec") != 0) {
            char name[64];
            snprintf(name, sizeof name, "%s", lua_tostring(L, -1));
            lua_pop(L, 4);
            status = each(L, name);
        } else
            lua_pop(L, 4);
    }
    lua_pop(L, 2);
    return status;
}

static int require_global(lua_State *L, const char *name)
{
    int status;
    lua_getglobal(L, "require");
    lua_pushfstring(L, "simec.%s", name);
    status = repl_docall(L, 1, 1);
    if (status != LUA_OK)
        return repl_report(L, status, progname);
    lua_setglobal(L, name);
    return LUA_OK;
}

/* The pure-Lua modules as globals (data, splits, ...), when lua/ was found. */
static int preload_modules(lua_State *L)
{
    if (lua_getglobal(L, "SIMEC_LUA_DIR") == LUA_TNIL) {
        lua_pop(L, 1);
        return LUA_OK;
    }
    lua_pop(L, 1);
    return each_global(L, "Lua", require_global);
}

static int field_global(lua_State *L, const char *name)
{
    lua_getglobal(L, "simec");
    lua_getfield(L, -1, name);
    lua_setglobal(L, name);
    lua_pop(L, 1);
    return LUA_OK;
}

static void open_simec(lua_State *L)
{
    luaL_requiref(L, "simec", luaopen_simec, 1);
    lua_pop(L, 1);
    each_global(L, "C", field_global);
}

static int handle_luainit(lua_State *L)
{
    const char *name = "=LUA_INIT_5_4", *init = getenv(name + 1);
    if (init == NULL) {
        name = "=LUA_INIT";
        init = getenv(name + 1);
    }
    if (init == NULL)
        return LUA_OK;
    if (init[0] == '@')
        return dofile(L, init + 1);
    return dostring(L, init, name);
}

static int pmain(lua_State *L)
{
    int argc = (int)lua_tointeger(L, 1);
    char **argv = (char **)lua_touserdata(L, 2);
    int script = 0, args, kernel = argc >= 2 && strcmp(argv[1], "--kernel") == 0;
    luaL_checkversion(L);
    if (argc >= 2 && strcmp(argv[1], "--install-kernel") == 0) {
        lua_pushboolean(L, kernel_install(argc - 2, argv + 2) == 0);
        return 1;
    }
    if (kernel && argc != 3) {
        fprintf(stderr, "%s: usage: %s --kernel CONNECTION_FILE\n", progname, progname);
        return 0;
    }
    args = kernel ? 0 : collectargs(argv, &script);
    if (args == has_error) {
        print_usage(argv[script]);
        return 0;
    }
    if (args & has_h) {
        print_usage(NULL);
        lua_pushboolean(L, 1);
        return 1;
    }
    if (args & has_v)
        print_version();
    if (args & has_E) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    luaL_openlibs(L);
    interrupt_track_coroutines(L);
    open_simec(L);
    createargtable(L, argv, argc, script);
    lua_gc(L, LUA_GCRESTART);
    lua_gc(L, LUA_GCGEN, 0, 0);
    setup_paths(L);
    if (preload_modules(L) != LUA_OK)
        return 0;
    if (!(args & has_E) && handle_luainit(L) != LUA_OK)
        return 0;
    if (kernel) {
        lua_pushboolean(L, kernel_run(L, argv[2]) == 0);
        return 1;
    }
    if (!runargs(L, argv, script > 0 ? script : argc))
        return 0;
    if (script > 0 && handle_script(L, argv + script) != LUA_OK)
        return 0;
    if (args & has_i)
        repl_run(L);
    else if (script == 0 && !(args & (has_e | has_v))) {
        if (isatty(0)) {
            print_version();
            repl_run(L);
        } else if (dofile(L, NULL) != LUA_OK)
            return 0;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* The Lua heap counts against simec.limits{memory} like the core's own
 * allocations: a table of 2^27 entries under a 1 GiB ceiling is a Lua
 * "not enough memory" error, not 3 GB. */
static void *counted_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    size_t old = ptr ? osize : 0; /* without ptr, osize is the kind of object */
    void *p;
    (void)ud;
    if (nsize == 0) {
        free(ptr);
        core_mem_uncharge(old);
        return NULL;
    }
    if (nsize > old && !core_mem_charge(nsize - old))
        return NULL;
    if (!(p = realloc(ptr, nsize))) {
        if (nsize > old)
            core_mem_uncharge(nsize - old);
        return NULL;
    }
    if (nsize < old)
        core_mem_uncharge(old - nsize);
    return p;
}

/* OpenBLAS starts its worker threads before main, and under a tight
 * address-space limit (ulimit -v) a worker whose buffer cannot be mapped
 * retries forever, so the process never exits. Where the limit leaves
 * fewer threads than OpenBLAS started, simec runs itself again with
 * OPENBLAS_NUM_THREADS set to what fits (at most once: SIMEC_BLAS_FIT). */
static void fit_blas_threads(char **argv)
{
    struct rlimit rl;
    rlim_t fit;
    char n[16];
    if (getenv("SIMEC_BLAS_FIT") || getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    fit = rl.rlim_cur / 2 / (rlim_t)MAT_BLAS_THREAD_BYTES;
    if (fit < 1)
        fit = 1;
    if (fit >= (rlim_t)blas_threads())
        return;
    snprintf(n, sizeof n, "%d", (int)fit);
    if (setenv("OPENBLAS_NUM_THREADS", n, 1) != 0 || setenv("SIMEC_BLAS_FIT", n, 1) != 0)
        return;
    execv("/proc/self/exe", argv); /* on failure, go on as we are */
}

int main(int argc, char **argv)
{
    int status, result;
    lua_State *L;
    fit_blas_threads(argv);
    L = luaL_newstate(); /* its panic and warning handlers; the allocator follows */
    if (L == NULL) {
        fprintf(stderr, "%s: cannot create state: not enough memory\n", progname);
        return EXIT_FAILURE;
    }
    /* what the state took so far is counted too: counted_alloc frees it later */
    (void)core_mem_charge((size_t)lua_gc(L, LUA_GCCOUNT) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB));
    lua_setallocf(L, counted_alloc, NULL);
    lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    status = lua_pcall(L, 2, 1, 0);
    result = lua_toboolean(L, -1);
    repl_report(L, status, progname);
    lua_close(L);
    if (result && status == LUA_OK)
        return EXIT_SUCCESS;
    return repl_reported_interrupt() ? 128 + SIGINT : EXIT_FAILURE; /* as a shell reports a process SIGINT ended */
}
