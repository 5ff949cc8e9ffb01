/* Shared helpers of the Lua binding: type names, checks, error raising.
 * The binding is the only code that raises Lua errors; indices crossing it
 * are 1-based, the core's are 0-based. */
#ifndef SIMEC_BIND_H
#define SIMEC_BIND_H

#include <lua.h>
#include <lauxlib.h>
#include "core.h"
#include "mat.h"
#include "rng.h"
#include "spm.h"

#define MATRIX_T "matrix"
#define SPARSE_T "sparse"
#define RNG_T "rng"
#define SIMEC_T "SimEc"
#define HISTORY_T "fit history" /* the metatable of what m:fit returns */
/* A registry field: true when progress lines rewrite one line with "\r"
 * though stderr is not a terminal (the Jupyter kernel sets it). */
#define PROGRESS_IN_PLACE "simec.progress_in_place"

#define BIND_API __attribute__((visibility("default")))

/* The binding's state of one Lua state (created at first use): the
 * generator of matrix.rand/randn without a seed (matrix.seed sets it),
 * the core memory at which the next full collection runs and the bytes
 * allocated under 1 MiB at a time since the last collector step. */
typedef struct bind_state {
    rng g;
    size_t gc_threshold;
    double gc_debt;
} bind_state;
bind_state *bind_state_of(lua_State *L);

/* Raises e's message (clearing a delivered interrupt). */
int bind_raise(lua_State *L, const core_err *e);
/* Raises msg, with luaL_error's position, as the error of a Ctrl-C: kept
 * (in the registry) so that the host can tell it from the errors after
 * it, as when a pcall swallows it and the chunk goes on. */
int bind_raise_interrupt(lua_State *L, const char *msg);
/* 1 when the value at idx is the error the last Ctrl-C of the running
 * chunk raised (bind_forget_interrupt starts a chunk) */
int bind_is_interrupt(lua_State *L, int idx);
void bind_forget_interrupt(lua_State *L);
/* Type name for messages: a userdata's __name ("matrix"), else the Lua type. */
const char *bind_typename(lua_State *L, int arg);

/* matrix userdata */
mat *bind_newmat(lua_State *L); /* pushes an empty matrix userdata */
mat *bind_checkmat(lua_State *L, int arg);
mat *bind_testmat(lua_State *L, int arg);

/* sparse userdata */
spm *bind_newspm(lua_State *L);
spm *bind_checkspm(lua_State *L, int arg);
spm *bind_testspm(lua_State *L, int arg);

/* Objects a running call reads while it calls back into Lua are pinned:
 * closing one then raises an error instead of freeing storage the call
 * still uses. bind_pin_scope pushes a to-be-closed guard (its index is
 * returned) that unpins, when the calling C function returns or raises,
 * every object bind_pin pinned under it. */
int bind_pin_scope(lua_State *L);
void bind_pin(lua_State *L, int scope, int idx);
/* Raises "cannot close <what>: ..." when the object at idx is pinned. */
void bind_check_unpinned(lua_State *L, int idx, const char *what);

/* 1-based index at arg checked against n; returns it 0-based. */
size_t bind_checkindex(lua_State *L, int arg, size_t n, const char *what, const char *shape);
/* The binding's one reader of a list of numbers: a Lua sequence or a
 * matrix (its entries row by row). bind_checkvector checks the argument
 * ("<who>: <what> must be a list or a matrix"); bind_vector_at reads entry
 * i (0-based), an error naming who, what and the entry when it is not a
 * number. */
typedef struct bind_vector {
    lua_State *L;
    int arg;
    const mat *m; /* or NULL: a Lua sequence */
    size_t n;
    const char *who, *what;
} bind_vector;
void bind_checkvector(lua_State *L, int arg, bind_vector *v, const char *who, const char *what);
double bind_vector_at(const bind_vector *v, size_t i);
/* A list of 1-based indices (sequence or matrix) as 0-based size_t, in
 * GC-owned memory that replaces the argument; n receives the count. */
size_t *bind_checkindices(lua_State *L, int arg, size_t *n, const char *who);
/* The SimEc model at arg: a "SimEc expected" error for another type, a
 * "the model was closed" error for a closed one (l_simec.c owns it; every
 * binding that takes a model calls it). */
struct simec;
struct simec *bind_checksimec(lua_State *L, int arg);
/* The model's input at arg: a dense or sparse matrix of features, or nil
 * for an identity-input model (l_simec.c; errors begin with who). */
struct simec_input;
void bind_checkinput(lua_State *L, const struct simec *m, int arg, struct simec_input *x, const char *who);
/* A non-negative size argument. */
size_t bind_checksize(lua_State *L, int arg, const char *what);

/* Every core call of the binding goes through one of these, which own
 * the GC's view of core memory: the GC sees a matrix as a small userdata,
 * not the buffer the call gave it, so the bytes a call added are reported
 * to it (bind_finish). BIND_CALL collects garbage and retries once on
 * CORE_ENOMEM; BIND_ONCE is for calls that must not run twice (they take
 * over their inputs or draw random numbers). */
#define BIND_CALL(L, e, call)                                \
    do {                                                     \
        size_t before_ = bind_mem_in_use();                  \
        int rc_ = (call);                                    \
        if (rc_ == CORE_ENOMEM) {                            \
            lua_gc((L), LUA_GCCOLLECT);                      \
            rc_ = (call);                                    \
        }                                                    \
        bind_finish((L), rc_, (e), before_);                 \
    } while (0)
#define BIND_ONCE(L, e, call)                                \
    do {                                                     \
        size_t before_ = bind_mem_in_use();                  \
        bind_finish((L), (call), (e), before_);              \
    } while (0)
/* The core's bytes in use, read before a call */
size_t bind_mem_in_use(void);
/* After a core call that returned rc: raises e's message when rc is not
 * CORE_OK, else tells the GC about the bytes added since before. A call
 * with its own error wording handles rc first, then calls this. */
void bind_finish(lua_State *L, int rc, const core_err *e, size_t before);

int luaopen_simec_matrix(lua_State *L);
int luaopen_simec_sparse(lua_State *L);
int luaopen_simec_rng(lua_State *L);
int luaopen_simec_rec(lua_State *L);
int luaopen_simec_svd(lua_State *L);
int luaopen_simec_simec(lua_State *L);
int luaopen_simec_lrp(lua_State *L);
rng *bind_checkrng(lua_State *L, int arg);
BIND_API int luaopen_simec(lua_State *L);

/* The index of name in the NULL-terminated names, or a Lua error
 * "<prefix>: unknown <what> '<name>' (valid: a, b, ...)". */
int bind_checkname(lua_State *L, const char *prefix, const char *what, const char *name, const char *const *names);

/* The binding's one family of option readers: field k of the options
 * table at t, or the default d when the field is nil or t is not a table;
 * a wrong type or value is the error "<who>: <k> must be ..., got <v>".
 * optnum: a finite non-negative number; optint: an integer in lo..hi
 * (integral floats such as 1e6 count; false counts as 0 when lo <= 0);
 * optsize: a non-negative integer; optname: the index of the string in
 * the NULL-terminated names (bind_checkname's error otherwise); optbool:
 * Lua truth. */
double bind_optnum(lua_State *L, int t, const char *k, double d, const char *who);
lua_Integer bind_optint(lua_State *L, int t, const char *k, lua_Integer d, lua_Integer lo, lua_Integer hi,
                        const char *who);
size_t bind_optsize(lua_State *L, int t, const char *k, size_t d, const char *who);
const char *bind_optstr(lua_State *L, int t, const char *k, const char *d, const char *who);
int bind_optname(lua_State *L, int t, const char *k, const char *const *names, int d, const char *who);
int bind_optbool(lua_State *L, int t, const char *k, int d);

/* In-REPL help, kept next to each binding: {signature, description, ...,
 * NULL} pairs; the key is the signature up to its '(' or '{' ("matrix.zeros",
 * "matrix:t" for a method). Stored in the registry table "simec.help",
 * which lua/simec/help.lua reads. */
void bind_add_help(lua_State *L, const char *const *entries);

/* Limit on dense results of sparse:dense() (bytes), settable from Lua. */
extern size_t bind_dense_limit;

#endif
