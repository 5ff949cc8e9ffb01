/* The interactive loop: readline editing, history file, tab completion,
 * "<eof>" continuation and auto-printing as lua.c. */
#ifndef SIMEC_REPL_H
#define SIMEC_REPL_H

#include <lua.h>

/* Runs a chunk at the top of the stack with a traceback handler and the
 * SIGINT hook armed; nargs/nres as lua_pcall. */
int repl_docall(lua_State *L, int nargs, int nres);
/* Prints (to stderr) and pops an error message if status is not LUA_OK. */
int repl_report(lua_State *L, int status, const char *progname);
void repl_run(lua_State *L);

#endif
