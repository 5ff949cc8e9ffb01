#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>
#include <lauxlib.h>
#include "bind.h"
#include "core.h"
#include "interrupt.h"
#include "repl.h"

#define EOFMARK "<eof>"
#define HISTORY_MAX 2000

static lua_State *repl_L; /* for the completion callbacks */
/* Input from a pipe or file is read without readline: readline redraws a
 * line longer than its assumed 80 columns with carriage returns (in the C
 * locale), which would garble a recorded session, and piped lines are not
 * the user's history. */
static int on_terminal;

/* ---- running chunks ---- */

/* an error's message and traceback; a Ctrl-C's message alone: where the
 * user stopped the run is no fault to trace */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (bind_is_interrupt(L, 1))
        return 1;
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int repl_docall(lua_State *L, int nargs, int nres)
{
    int status, base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    interrupt_arm(L);
    status = lua_pcall(L, nargs, nres, base);
    interrupt_disarm(L);
    lua_remove(L, base);
    return status;
}

static int reported_interrupt;

int repl_reported_interrupt(void) { return reported_interrupt; }

int repl_report(lua_State *L, int status, const char *progname)
{
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        reported_interrupt = bind_is_interrupt(L, -1);
        if (msg == NULL)
            msg = "(error object is not a string)";
        if (progname)
            fprintf(stderr, "%s: ", progname);
        fprintf(stderr, "%s\n", msg);
        fflush(stderr);
        lua_pop(L, 1);
    }
    return status;
}

/* ---- reading input ---- */

static volatile sig_atomic_t prompt_sigint;

static void on_prompt_sigint(int sig)
{
    (void)sig;
    prompt_sigint = 1;
}

/* readline's input: like its default, but a Ctrl-C at the prompt ends the
 * read (as an accepted line that pushline then discards) instead of
 * waiting for the next key. */
static int getc_interruptible(FILE *f)
{
    for (;;) {
        unsigned char c;
        ssize_t n = read(fileno(f), &c, 1);
        if (n == 1)
            return c;
        if (n == 0 || errno != EINTR)
            return EOF;
        if (prompt_sigint)
            return '\n';
    }
}

/* A line of non-terminal input without its newline (malloc'ed; NULL at end
 * of input), echoed after the prompt so that the output reads like the
 * session it replays. A Ctrl-C ends the read as getc_interruptible does. */
static char *plain_readline(const char *prompt)
{
    size_t len = 0, cap = 128;
    char *line = malloc(cap);
    int c;
    fputs(prompt, stdout);
    fflush(stdout);
    if (!line) {
        fputs("simec: out of memory reading a line\n", stderr);
        return NULL;
    }
    while ((c = getc_interruptible(stdin)) != EOF && c != '\n') {
        if (len + 1 == cap) {
            char *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(line, cap * 2);
            if (!bigger) {
                fputs("simec: out of memory reading a line\n", stderr);
                free(line);
                return NULL;
            }
            line = bigger;
            cap *= 2;
        }
        line[len++] = (char)c;
    }
    if (c == EOF && len == 0) {
        free(line);
        return NULL;
    }
    line[len] = '\0';
    fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    return line;
}

static const char *get_prompt(lua_State *L, int first)
{
    const char *p;
    if (lua_getglobal(L, first ? "_PROMPT" : "_PROMPT2") == LUA_TNIL)
        return first ? "> " : ">> "; /* the nil is the caller's to pop */
    p = luaL_tolstring(L, -1, NULL); /* any value with __tostring */
    lua_remove(L, -2);
    return p; /* kept alive on the stack until the caller pops it */
}

/* Reads a line onto the stack; 0 at end of input. *cancel is set on Ctrl-C. */
static int pushline(lua_State *L, int first, int *cancel)
{
    const char *prompt = get_prompt(L, first);
    struct sigaction sa, old;
    char *line;
    size_t len;
    sa.sa_handler = on_prompt_sigint;
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    prompt_sigint = 0;
    line = on_terminal ? readline(prompt) : plain_readline(prompt);
    sigaction(SIGINT, &old, NULL);
    lua_pop(L, 1); /* prompt */
    *cancel = prompt_sigint;
    if (prompt_sigint) {
        prompt_sigint = 0;
        free(line);
        lua_pushliteral(L, "");
        return 1;
    }
    if (line == NULL)
        return 0;
    len = strlen(line);
    if (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    if (first && line[0] == '=')
        lua_pushfstring(L, "return %s", line + 1);
    else
        lua_pushlstring(L, line, len);
    free(line);
    return 1;
}

static int incomplete(lua_State *L, int status)
{
    if (status == LUA_ERRSYNTAX) {
        size_t lmsg;
        const char *msg = lua_tolstring(L, -1, &lmsg);
        size_t lmark = sizeof(EOFMARK) - 1;
        if (lmsg >= lmark && strcmp(msg + lmsg - lmark, EOFMARK) == 0) {
            lua_pop(L, 1);
            return 1;
        }
    }
    return 0;
}

int repl_code_status(lua_State *L, const char *code, size_t len)
{
    int status;
    lua_pushfstring(L, "return %s;", code);
    status = luaL_loadbuffer(L, lua_tostring(L, -1), strlen(lua_tostring(L, -1)), "=stdin");
    lua_pop(L, 2);
    if (status == LUA_OK)
        return 0;
    status = luaL_loadbuffer(L, code, len, "=stdin");
    if (status == LUA_OK) {
        lua_pop(L, 1);
        return 0;
    }
    if (incomplete(L, status))
        return 1;
    lua_pop(L, 1);
    return status == LUA_ERRSYNTAX ? 2 : 3;
}

static const char *history_path(void)
{
    static char path[4096];
    const char *env = getenv("SIMEC_HISTORY"), *home = getenv("HOME");
    if (env)
        return *env ? env : NULL;
    if (!home)
        return NULL;
    snprintf(path, sizeof path, "%s/.simec_history", home);
    return path;
}

static void save_line(const char *line)
{
    const char *path = history_path();
    if (!*line || !on_terminal)
        return;
    add_history(line);
    if (path) {
        FILE *f = fopen(path, "a"); /* create it if missing, then append */
        if (f)
            fclose(f);
        append_history(1, path);
    }
}

/* "return <line>" first, so an expression is printed */
static int addreturn(lua_State *L)
{
    const char *line = lua_tostring(L, -1);
    const char *retline = lua_pushfstring(L, "return %s;", line);
    int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
    if (status == LUA_OK) {
        lua_remove(L, -2);
        save_line(line);
    } else
        lua_pop(L, 2);
    return status;
}

/* Stack: [line]. Returns with [line, chunk or message], or -1 on Ctrl-C. */
static int multiline(lua_State *L)
{
    for (;;) {
        size_t len;
        int cancel, status;
        const char *line = lua_tolstring(L, 1, &len);
        status = luaL_loadbuffer(L, line, len, "=stdin");
        if (!incomplete(L, status)) {
            save_line(line);
            return status;
        }
        if (!pushline(L, 0, &cancel)) { /* end of input inside a statement */
            save_line(line);
            return luaL_loadbuffer(L, line, len, "=stdin");
        }
        if (cancel)
            return -1;
        lua_pushliteral(L, "\n");
        lua_insert(L, -2);
        lua_concat(L, 3);
    }
}

/* Returns a load status, -1 on a cancelled input, or -2 at end of input. */
static int loadline(lua_State *L)
{
    int status, cancel;
    lua_settop(L, 0);
    if (!pushline(L, 1, &cancel))
        return -2;
    if (cancel) {
        lua_settop(L, 0);
        return -1;
    }
    if ((status = addreturn(L)) != LUA_OK)
        status = multiline(L);
    if (status == -1)
        lua_settop(L, 0);
    else {
        if (status == LUA_OK) { /* the line's text, for help(nil) to name what was nil */
            lua_pushvalue(L, 1);
            lua_setfield(L, LUA_REGISTRYINDEX, "simec.repl_line");
        }
        lua_remove(L, 1);
    }
    return status;
}

/* The results of a line, through simec.help's printer (tables as their
 * contents, multi-line values one per line) when it is loaded, else print */
static void print_results(lua_State *L)
{
    int n = lua_gettop(L);
    if (n > 0) {
        luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
        lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        lua_getfield(L, -1, "simec.help");
        if (!lua_istable(L, -1) || lua_getfield(L, -1, "show") != LUA_TFUNCTION) {
            lua_settop(L, n);
            lua_getglobal(L, "print");
        } else {
            lua_replace(L, n + 1); /* show where the loaded table was */
            lua_settop(L, n + 1);
        }
        lua_insert(L, 1);
        if (lua_pcall(L, n, 0, 0) != LUA_OK)
            repl_report(L, LUA_ERRRUN, NULL);
    }
}

/* ---- completion ---- */

static char **cands;
static size_t ncands, capcands;

static void add_cand(const char *s)
{
    size_t i;
    for (i = 0; i < ncands; i++)
        if (strcmp(cands[i], s) == 0)
            return;
    if (ncands == capcands) {
        size_t nc = capcands ? 2 * capcands : 64;
        char **n = realloc(cands, nc * sizeof *n);
        if (!n)
            return;
        cands = n, capcands = nc;
    }
    if ((cands[ncands] = strdup(s)) != NULL)
        ncands++;
}

static void clear_cands(void)
{
    size_t i;
    for (i = 0; i < ncands; i++)
        free(cands[i]);
    ncands = 0;
}

/* Adds the string keys of the table at idx that start with part. */
static void keys_of(lua_State *L, int idx, const char *prefix, char sep, const char *part, int funcs_only)
{
    size_t plen = strlen(part);
    char buf[512];
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -2);
            if (strncmp(k, part, plen) == 0 && (!funcs_only || lua_isfunction(L, -1)) && k[0] != '_') {
                if (sep)
                    snprintf(buf, sizeof buf, "%s%c%s", prefix, sep, k);
                else
                    snprintf(buf, sizeof buf, "%s", k);
                add_cand(buf);
            }
        }
        lua_pop(L, 1);
    }
}

/* Members of the value at the top: its table keys and its metatable's __index table. */
static void members(lua_State *L, const char *prefix, char sep, const char *part)
{
    int funcs_only = sep == ':';
    if (lua_istable(L, -1))
        keys_of(L, -1, prefix, sep, part, funcs_only);
    if (lua_getmetatable(L, -1)) {
        if (lua_getfield(L, -1, "__index") == LUA_TTABLE)
            keys_of(L, -1, prefix, sep, part, funcs_only);
        lua_pop(L, 2);
    }
}

/* Walks a.b.c without running metamethods other than reading __index tables. */
static int resolve(lua_State *L, const char *path, size_t len)
{
    size_t i = 0;
    lua_pushglobaltable(L);
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '.' && path[j] != ':')
            j++;
        lua_pushlstring(L, path + i, j - i);
        if (lua_istable(L, -2)) {
            lua_pushvalue(L, -1);
            lua_rawget(L, -3);
        } else
            lua_pushnil(L);
        if (lua_isnil(L, -1) && lua_getmetatable(L, -3)) {
            lua_pop(L, 1); /* nil */
            if (lua_getfield(L, -1, "__index") == LUA_TTABLE) {
                lua_pushvalue(L, -3);
                lua_rawget(L, -2);
                lua_remove(L, -2);
            } else {
                lua_pop(L, 1);
                lua_pushnil(L);
            }
            lua_remove(L, -2); /* metatable */
        }
        lua_remove(L, -2); /* key */
        lua_remove(L, -2); /* parent */
        if (lua_isnil(L, -1))
            return 0;
        if (j < len && path[j] == ':')
            return 0; /* a method in the middle: nothing to complete */
        i = j + 1;
    }
    return 1;
}

size_t repl_complete(lua_State *L, const char *text, char *const **out)
{
    const char *dot = NULL, *p;
    int top = lua_gettop(L);
    clear_cands();
    for (p = text; *p; p++)
        if (*p == '.' || *p == ':')
            dot = p;
    if (!dot) {
        static const char *const kw[] = {"and", "break", "do", "else", "elseif", "end", "false",
                                         "for", "function", "goto", "if", "in", "local", "nil",
                                         "not", "or", "repeat", "return", "then", "true", "until",
                                         "while", NULL};
        size_t k, tl = strlen(text);
        lua_pushglobaltable(L);
        members(L, "", 0, text);
        for (k = 0; kw[k]; k++)
            if (strncmp(kw[k], text, tl) == 0)
                add_cand(kw[k]);
    } else {
        char prefix[512];
        size_t plen = (size_t)(dot - text);
        if (plen < sizeof prefix) {
            memcpy(prefix, text, plen);
            prefix[plen] = '\0';
            if (resolve(L, text, plen))
                members(L, prefix, *dot, dot + 1);
        }
    }
    lua_settop(L, top);
    *out = cands;
    return ncands;
}

static char *generator(const char *text, int state)
{
    static size_t next, n;
    static char *const *list;
    if (state == 0) {
        n = repl_complete(repl_L, text, &list);
        next = 0;
    }
    return next < n ? strdup(list[next++]) : NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)start, (void)end;
    rl_attempted_completion_over = 1; /* no file-name completion */
    /* readline resets these before every completion: nothing after a
     * unique match, so a table's name can go on with "." or ":" */
    rl_completion_append_character = '\0';
    rl_completion_suppress_append = 1;
    return rl_completion_matches(text, generator);
}

/* ---- the loop ---- */

void repl_run(lua_State *L)
{
    const char *path = history_path();
    int status;
    repl_L = L;
    on_terminal = isatty(0);
    if (!on_terminal)
        path = NULL;
    rl_readline_name = "simec";
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^~#[]";
    rl_getc_function = getc_interruptible;
    rl_catch_signals = 0; /* our SIGINT handler, installed without SA_RESTART, ends the read */
    if (path)
        read_history(path);
    while ((status = loadline(L)) != -2) {
        if (status == -1)
            continue;
        if (status == LUA_OK)
            status = repl_docall(L, 0, LUA_MULTRET);
        if (status == LUA_OK)
            print_results(L);
        else
            repl_report(L, status, NULL);
    }
    lua_settop(L, 0);
    fputs("\n", stdout);
    fflush(stdout);
    if (path)
        history_truncate_file(path, HISTORY_MAX);
    clear_cands();
    free(cands);
    cands = NULL;
    capcands = 0;
}
