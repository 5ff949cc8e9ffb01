/* The interactive loop: readline editing, history file, tab completion,
 * "<eof>" continuation and auto-printing as lua.c. */
#ifndef SIMEC_REPL_H
#define SIMEC_REPL_H

#include <stddef.h>
#include <lua.h>

/* Runs a chunk at the top of the stack with a traceback handler and the
 * SIGINT hook armed; nargs/nres as lua_pcall. */
int repl_docall(lua_State *L, int nargs, int nres);
/* Prints (to stderr) and pops an error message if status is not LUA_OK. */
int repl_report(lua_State *L, int status, const char *progname);
/* Whether the last error repl_report printed was a Ctrl-C's (a script
 * that ends with it exits with status 130) */
int repl_reported_interrupt(void);
void repl_run(lua_State *L);
/* The completions of text (a name, or a.b.c / a:b with a partial last
 * part) among the globals, their tables' keys and their metatables'
 * __index tables; *out stays valid until the next call. */
size_t repl_complete(lua_State *L, const char *text, char *const **out);
/* Whether code is a whole chunk (or expression): 0 complete, 1 incomplete
 * (the REPL's "<eof>" rule: it would wait for another line), 2 a syntax
 * error, 3 out of memory. */
int repl_code_status(lua_State *L, const char *code, size_t len);

#endif
