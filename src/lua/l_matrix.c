/* "matrix": dense double matrices (row-major storage, views share it). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "bind.h"
#include "io.h"
#include "rng.h"

static const char *shape(const mat *m, char *buf)
{
    return mat_shape_str(m, buf, 48);
}

/* Allocates a new matrix userdata of the given size (zeroed). */
static mat *newmat(lua_State *L, size_t rows, size_t cols)
{
    core_err e;
    mat *m = bind_newmat(L);
    BIND_CALL(L, &e, mat_init(m, rows, cols, &e));
    return m;
}

/* ---- constructors ---- */

static int fill_from_table(lua_State *L, int t)
{
    size_t r = (size_t)luaL_len(L, t), c = 0, i, j;
    mat *m;
    int nested;
    if (r == 0)
        return newmat(L, 0, 0), 1;
    lua_geti(L, t, 1);
    nested = lua_istable(L, -1);
    if (nested)
        c = (size_t)luaL_len(L, -1);
    lua_pop(L, 1);
    if (!nested) { /* a flat list is a column vector */
        m = newmat(L, r, 1);
        for (i = 0; i < r; i++) {
            int isnum;
            lua_geti(L, t, (lua_Integer)i + 1);
            MAT_AT(m, i, 0) = lua_tonumberx(L, -1, &isnum);
            if (!isnum)
                luaL_error(L, "matrix.new: element [%I] is a %s, expected number", (LUAI_UACINT)(i + 1),
                           bind_typename(L, -1));
            lua_pop(L, 1);
        }
        return 1;
    }
    m = newmat(L, r, c);
    for (i = 0; i < r; i++) {
        lua_geti(L, t, (lua_Integer)i + 1);
        if (!lua_istable(L, -1))
            luaL_error(L, "matrix.new: row %I is a %s, expected a table", (LUAI_UACINT)(i + 1), bind_typename(L, -1));
        if ((size_t)luaL_len(L, -1) != c)
            luaL_error(L, "matrix.new: row %I has %I elements, row 1 has %I", (LUAI_UACINT)(i + 1),
                       (LUAI_UACINT)luaL_len(L, -1), (LUAI_UACINT)c);
        for (j = 0; j < c; j++) {
            int isnum;
            lua_geti(L, -1, (lua_Integer)j + 1);
            MAT_AT(m, i, j) = lua_tonumberx(L, -1, &isnum);
            if (!isnum)
                luaL_error(L, "matrix.new: element [%I][%I] is a %s, expected number", (LUAI_UACINT)(i + 1),
                           (LUAI_UACINT)(j + 1), bind_typename(L, -1));
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return 1;
}

static int m_new(lua_State *L)
{
    mat *src;
    if (lua_istable(L, 1))
        return fill_from_table(L, 1);
    if ((src = bind_testmat(L, 1)) != NULL) {
        core_err e;
        mat *m = bind_newmat(L);
        BIND_CALL(L, &e, mat_copy(m, src, &e));
        return 1;
    }
    if (lua_isinteger(L, 1)) {
        size_t r = bind_checksize(L, 1, "rows"), c = bind_checksize(L, 2, "columns");
        int filled = !lua_isnoneornil(L, 3);
        double v = filled ? luaL_checknumber(L, 3) : 0.0;
        mat *m = newmat(L, r, c);
        if (filled)
            mat_fill(m, v);
        return 1;
    }
    return luaL_typeerror(L, 1, "table, matrix or rows, columns");
}

static int m_call(lua_State *L)
{
    lua_remove(L, 1); /* the module table */
    return m_new(L);
}

static int m_zeros(lua_State *L)
{
    newmat(L, bind_checksize(L, 1, "rows"), bind_checksize(L, 2, "columns"));
    return 1;
}

static int m_ones(lua_State *L)
{
    mat *m = newmat(L, bind_checksize(L, 1, "rows"), bind_checksize(L, 2, "columns"));
    mat_fill(m, 1.0);
    return 1;
}

static int m_full(lua_State *L)
{
    mat *m = newmat(L, bind_checksize(L, 1, "rows"), bind_checksize(L, 2, "columns"));
    mat_fill(m, luaL_checknumber(L, 3));
    return 1;
}

static int m_eye(lua_State *L)
{
    size_t r = bind_checksize(L, 1, "rows"), c = lua_isnoneornil(L, 2) ? r : bind_checksize(L, 2, "columns"), i;
    mat *m = newmat(L, r, c);
    for (i = 0; i < r && i < c; i++)
        MAT_AT(m, i, i) = 1.0;
    return 1;
}

static uint32_t checkseed(lua_State *L, int arg)
{
    lua_Integer s = luaL_checkinteger(L, arg);
    luaL_argcheck(L, s >= 0 && s <= 0xffffffffLL, arg, "seed must be between 0 and 2^32-1");
    return (uint32_t)s;
}

static int random_fill(lua_State *L, int normal)
{
    size_t r = bind_checksize(L, 1, "rows"), c = bind_checksize(L, 2, "columns");
    rng local, *g = &bind_state_of(L)->g;
    core_err e;
    mat *m;
    if (!lua_isnoneornil(L, 3)) {
        rng_seed(&local, checkseed(L, 3));
        g = &local;
    }
    m = newmat(L, r, c);
    BIND_ONCE(L, &e, rng_fill(g, m, normal, &e));
    return 1;
}

static int m_rand(lua_State *L) { return random_fill(L, 0); }
static int m_randn(lua_State *L) { return random_fill(L, 1); }

static int m_seed(lua_State *L)
{
    rng_seed(&bind_state_of(L)->g, checkseed(L, 1));
    return 0;
}

static int stack(lua_State *L, int horizontal)
{
    size_t n, k;
    mat *parts, *out;
    core_err e;
    luaL_checktype(L, 1, LUA_TTABLE);
    n = (size_t)luaL_len(L, 1);
    parts = lua_newuserdatauv(L, (n ? n : 1) * sizeof *parts, 0);
    for (k = 0; k < n; k++) {
        mat *m;
        lua_geti(L, 1, (lua_Integer)k + 1);
        m = luaL_testudata(L, -1, MATRIX_T);
        if (!m || !m->st)
            luaL_error(L, "%s: element %I is a %s, expected matrix", horizontal ? "hstack" : "vstack",
                       (LUAI_UACINT)(k + 1), m ? "closed matrix" : bind_typename(L, -1));
        parts[k] = *m; /* borrowed: the table keeps it alive */
        lua_pop(L, 1);
    }
    out = bind_newmat(L);
    BIND_CALL(L, &e, mat_stack(out, parts, n, horizontal, &e));
    return 1;
}

static int m_hstack(lua_State *L) { return stack(L, 1); }
static int m_vstack(lua_State *L) { return stack(L, 0); }

static int m_load_npy(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    core_err e;
    mat *m = bind_newmat(L);
    BIND_CALL(L, &e, io_read_npy(m, path, &e));
    return 1;
}

static int m_is(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, MATRIX_T) != NULL);
    return 1;
}

/* ---- shape, elements, views ---- */

static int m_shape(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    lua_pushinteger(L, (lua_Integer)m->rows);
    lua_pushinteger(L, (lua_Integer)m->cols);
    return 2;
}

static int m_nrows(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)bind_checkmat(L, 1)->rows);
    return 1;
}

static int m_ncols(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)bind_checkmat(L, 1)->cols);
    return 1;
}

/* (i, j) at args 2, 3; or a single index at arg 2 on a vector */
static double *element(lua_State *L, mat *m, int two)
{
    char s[48];
    size_t i, j;
    if (two) {
        i = bind_checkindex(L, 2, m->rows, "row", shape(m, s));
        j = bind_checkindex(L, 3, m->cols, "column", shape(m, s));
        return &MAT_AT(m, i, j);
    }
    if (m->rows != 1 && m->cols != 1)
        luaL_error(L, "a single index needs a vector, got a %s matrix (use get(i, j))", shape(m, s));
    i = bind_checkindex(L, 2, m->rows * m->cols, "element", shape(m, s));
    return m->rows == 1 ? &MAT_AT(m, 0, i) : &MAT_AT(m, i, 0);
}

static int m_get(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    lua_pushnumber(L, *element(L, m, !lua_isnoneornil(L, 3)));
    return 1;
}

static int m_set(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    int two = lua_gettop(L) >= 4;
    double v = luaL_checknumber(L, two ? 4 : 3);
    *element(L, m, two) = v;
    lua_settop(L, 1);
    return 1;
}

static int pushview(lua_State *L, mat *m, size_t r0, size_t c0, size_t rows, size_t cols)
{
    mat *v = bind_newmat(L);
    mat_view(v, m, r0, c0, rows, cols);
    return 1;
}

static int m_row(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    char s[48];
    size_t i = bind_checkindex(L, 2, m->rows, "row", shape(m, s));
    return pushview(L, m, i, 0, 1, m->cols);
}

static int m_col(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    char s[48];
    size_t j = bind_checkindex(L, 2, m->cols, "column", shape(m, s));
    return pushview(L, m, 0, j, m->rows, 1);
}

static int m_sub(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    char s[48];
    size_t i1 = bind_checkindex(L, 2, m->rows, "row", shape(m, s));
    size_t i2 = bind_checkindex(L, 3, m->rows, "row", shape(m, s));
    size_t j1 = bind_checkindex(L, 4, m->cols, "column", shape(m, s));
    size_t j2 = bind_checkindex(L, 5, m->cols, "column", shape(m, s));
    if (i2 < i1 || j2 < j1)
        luaL_error(L, "sub: empty range rows %I..%I, columns %I..%I", (LUAI_UACINT)(i1 + 1), (LUAI_UACINT)(i2 + 1),
                   (LUAI_UACINT)(j1 + 1), (LUAI_UACINT)(j2 + 1));
    return pushview(L, m, i1, j1, i2 - i1 + 1, j2 - j1 + 1);
}

static int select_rc(lua_State *L, int rows)
{
    mat *m = bind_checkmat(L, 1), *out;
    size_t n, *idx = bind_checkindices(L, 2, &n, rows ? "matrix:select_rows" : "matrix:select_cols");
    core_err e;
    out = bind_newmat(L);
    BIND_CALL(L, &e, rows ? mat_select_rows(out, m, idx, n, &e) : mat_select_cols(out, m, idx, n, &e));
    return 1;
}

static int m_select_rows(lua_State *L) { return select_rc(L, 1); }
static int m_select_cols(lua_State *L) { return select_rc(L, 0); }

static int m_t(lua_State *L)
{
    mat *m = bind_checkmat(L, 1), *out = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_transpose(out, m, &e));
    return 1;
}

static int m_copy(lua_State *L)
{
    mat *m = bind_checkmat(L, 1), *out = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_copy(out, m, &e));
    return 1;
}

static int m_reshape(lua_State *L)
{
    mat *m = bind_checkmat(L, 1), *out;
    size_t r = bind_checksize(L, 2, "rows"), c = bind_checksize(L, 3, "columns"), n;
    char s[48];
    core_err e;
    if (!core_mul2(r, c, &n) || n != m->rows * m->cols)
        luaL_error(L, "reshape: cannot reshape a %s matrix to %Ix%I", shape(m, s), (LUAI_UACINT)r, (LUAI_UACINT)c);
    out = bind_newmat(L);
    if (mat_is_contig(m))
        mat_view(out, m, 0, 0, 0, 0);
    else
        BIND_CALL(L, &e, mat_copy(out, m, &e));
    out->rows = r;
    out->cols = c;
    out->ld = c ? c : 1;
    return 1;
}

static int m_fill(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    mat_fill(m, luaL_checknumber(L, 2));
    lua_settop(L, 1);
    return 1;
}

static int m_assign(lua_State *L)
{
    mat *m = bind_checkmat(L, 1), *src = bind_testmat(L, 2);
    char s1[48], s2[48];
    if (!src) {
        mat_fill(m, luaL_checknumber(L, 2));
    } else {
        if (src->rows != m->rows || src->cols != m->cols)
            luaL_error(L, "assign: %s and %s do not conform", shape(m, s1), shape(src, s2));
        if (mat_same_storage(m, src)) { /* may overlap: go through a copy */
            core_err e;
            mat *tmp = bind_newmat(L);
            BIND_CALL(L, &e, mat_copy(tmp, src, &e));
            mat_assign(m, tmp);
            mat_release(tmp);
        } else
            mat_assign(m, src);
    }
    lua_settop(L, 1);
    return 1;
}

static int m_totable(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    size_t i, j;
    luaL_checkstack(L, 3, "totable");
    lua_createtable(L, (int)(m->rows < 1u << 30 ? m->rows : 0), 0);
    for (i = 0; i < m->rows; i++) {
        lua_createtable(L, (int)(m->cols < 1u << 30 ? m->cols : 0), 0);
        for (j = 0; j < m->cols; j++) {
            lua_pushnumber(L, MAT_AT(m, i, j));
            lua_rawseti(L, -2, (lua_Integer)j + 1);
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* ---- arithmetic ---- */

static const char *tname(lua_State *L, int arg)
{
    return bind_typename(L, arg);
}

static int arith(lua_State *L, int op, const char *sym)
{
    mat *a = bind_testmat(L, 1), *b = bind_testmat(L, 2), *out;
    char name[32];
    core_err e;
    snprintf(name, sizeof name, "matrix %s matrix", sym);
    if (a && b) {
        out = bind_newmat(L);
        BIND_CALL(L, &e, mat_binop(out, a, b, op, name, &e));
    } else if (a && lua_type(L, 2) == LUA_TNUMBER) {
        out = bind_newmat(L);
        BIND_CALL(L, &e, mat_scalar(out, a, lua_tonumber(L, 2), op, 0, &e));
    } else if (b && lua_type(L, 1) == LUA_TNUMBER) {
        out = bind_newmat(L);
        BIND_CALL(L, &e, mat_scalar(out, b, lua_tonumber(L, 1), op, 1, &e));
    } else {
        const char *n1 = luaL_testudata(L, 1, SPARSE_T) ? SPARSE_T : tname(L, 1);
        const char *n2 = luaL_testudata(L, 2, SPARSE_T) ? SPARSE_T : tname(L, 2);
        if (a) n1 = MATRIX_T;
        if (b) n2 = MATRIX_T;
        return luaL_error(L, "%s %s %s: not supported (matrix or number operands)", n1, sym, n2);
    }
    return 1;
}

static int m_add(lua_State *L) { return arith(L, MAT_ADD, "+"); }
static int m_sub_op(lua_State *L) { return arith(L, MAT_SUB, "-"); }
static int m_div(lua_State *L) { return arith(L, MAT_DIV, "/"); }
static int m_pow(lua_State *L) { return arith(L, MAT_POW, "^"); }
static int m_emul(lua_State *L)
{
    bind_checkmat(L, 1);
    return arith(L, MAT_MUL, ".*");
}
static int m_ediv(lua_State *L)
{
    bind_checkmat(L, 1);
    return arith(L, MAT_DIV, "./");
}
static int m_maximum(lua_State *L) { bind_checkmat(L, 1); return arith(L, MAT_MAXOP, "max"); }
static int m_minimum(lua_State *L) { bind_checkmat(L, 1); return arith(L, MAT_MINOP, "min"); }

static int m_mul(lua_State *L)
{
    mat *a = bind_testmat(L, 1), *b = bind_testmat(L, 2), *out;
    spm *s;
    core_err e;
    if (a && b) {
        out = bind_newmat(L);
        BIND_CALL(L, &e, mat_gemm(out, a, b, &e));
        return 1;
    }
    if (a && (s = bind_testspm(L, 2)) != NULL) {
        out = bind_newmat(L);
        BIND_CALL(L, &e, spm_dense_mul(out, a, s, &e));
        return 1;
    }
    return arith(L, MAT_MUL, "*");
}

static int m_unm(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *out = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_init_uninit(out, a->rows, a->cols, &e));
    BIND_CALL(L, &e, mat_apply(out, a, MAT_NEG, &e));
    return 1;
}

static int m_eq(lua_State *L)
{
    mat *a = bind_testmat(L, 1), *b = bind_testmat(L, 2);
    size_t i, j;
    int eq = a && b && a->rows == b->rows && a->cols == b->cols;
    for (i = 0; eq && i < a->rows; i++)
        for (j = 0; eq && j < a->cols; j++)
            eq = MAT_AT(a, i, j) == MAT_AT(b, i, j);
    lua_pushboolean(L, eq);
    return 1;
}

static int m_apply(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *out;
    core_err e;
    size_t i, j;
    if (lua_type(L, 2) == LUA_TSTRING) {
        int fn = luaL_checkoption(L, 2, NULL, mat_func_names);
        out = bind_newmat(L);
        BIND_CALL(L, &e, mat_init_uninit(out, a->rows, a->cols, &e));
        BIND_CALL(L, &e, mat_apply(out, a, fn, &e));
        return 1;
    }
    luaL_checktype(L, 2, LUA_TFUNCTION);
    out = bind_newmat(L);
    BIND_CALL(L, &e, mat_init_uninit(out, a->rows, a->cols, &e));
    bind_pin(L, bind_pin_scope(L), 1); /* f may try to close a */
    lua_pushvalue(L, -2);              /* out above the guard: the result */
    for (i = 0; i < a->rows; i++)
        for (j = 0; j < a->cols; j++) {
            int isnum;
            lua_pushvalue(L, 2);
            lua_pushnumber(L, MAT_AT(a, i, j));
            lua_call(L, 1, 1);
            MAT_AT(out, i, j) = lua_tonumberx(L, -1, &isnum);
            if (!isnum)
                luaL_error(L, "apply: the function returned a %s for element (%I, %I), expected number",
                           bind_typename(L, -1), (LUAI_UACINT)(i + 1), (LUAI_UACINT)(j + 1));
            lua_pop(L, 1);
        }
    return 1;
}

#define APPLY_FN(name, code)                                    \
    static int name(lua_State *L)                               \
    {                                                           \
        mat *a = bind_checkmat(L, 1), *out = bind_newmat(L);    \
        core_err e;                                             \
        BIND_CALL(L, &e, mat_init_uninit(out, a->rows, a->cols, &e)); \
        BIND_CALL(L, &e, mat_apply(out, a, code, &e));         \
        return 1;                                               \
    }
APPLY_FN(m_exp, MAT_EXP)
APPLY_FN(m_log, MAT_LOG)
APPLY_FN(m_tanh, MAT_TANH)
APPLY_FN(m_relu, MAT_RELU)
APPLY_FN(m_sigmoid, MAT_SIGMOID)
APPLY_FN(m_sqrt, MAT_SQRT)
APPLY_FN(m_abs, MAT_ABS)
APPLY_FN(m_square, MAT_SQUARE)

/* ---- reductions ---- */

static int reduce(lua_State *L, int op)
{
    mat *a = bind_checkmat(L, 1), *out;
    core_err e;
    int axis = 0;
    if (!lua_isnoneornil(L, 2)) {
        lua_Integer ax = luaL_checkinteger(L, 2);
        luaL_argcheck(L, ax == 1 || ax == 2, 2, "axis must be 1 (down columns) or 2 (along rows)");
        axis = (int)ax;
    }
    out = bind_newmat(L);
    BIND_CALL(L, &e, mat_reduce(out, a, op, axis, &e));
    if (axis == 0) {
        lua_pushnumber(L, out->x[0]);
        mat_release(out);
    }
    return 1;
}

static int m_sum(lua_State *L) { return reduce(L, MAT_SUM); }
static int m_mean(lua_State *L) { return reduce(L, MAT_MEAN); }
static int m_min(lua_State *L) { return reduce(L, MAT_MIN); }
static int m_max(lua_State *L) { return reduce(L, MAT_MAX); }
static int m_norm(lua_State *L) { return reduce(L, MAT_NORM); }

static int m_dot(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *b = bind_checkmat(L, 2);
    char s1[48], s2[48];
    if (a->rows != b->rows || a->cols != b->cols)
        luaL_error(L, "dot: %s and %s do not conform", shape(a, s1), shape(b, s2));
    lua_pushnumber(L, mat_dot(a, b));
    return 1;
}

/* Rows are sorted; a column vector is sorted as a whole (returned as a column). */
static int m_argsort(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *out, *t = NULL;
    int desc = lua_toboolean(L, 2);
    core_err e;
    size_t i, j;
    if (a->cols == 1 && a->rows > 1) {
        t = bind_newmat(L);
        BIND_CALL(L, &e, mat_transpose(t, a, &e));
        a = t;
    }
    out = bind_newmat(L);
    BIND_CALL(L, &e, mat_argsort_rows(out, a, desc, &e));
    for (i = 0; i < out->rows; i++)
        for (j = 0; j < out->cols; j++)
            MAT_AT(out, i, j) += 1.0;
    if (t) {
        mat *r = bind_newmat(L);
        BIND_CALL(L, &e, mat_transpose(r, out, &e));
    }
    return 1;
}

static int m_topk(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *idx, *val, *t = NULL;
    size_t k = bind_checksize(L, 2, "k"), i, j;
    int smallest = lua_toboolean(L, 3);
    core_err e;
    if (a->cols == 1 && a->rows > 1) {
        t = bind_newmat(L);
        BIND_CALL(L, &e, mat_transpose(t, a, &e));
        a = t;
    }
    idx = bind_newmat(L);
    val = bind_newmat(L);
    BIND_CALL(L, &e, mat_topk_rows(idx, val, a, k, smallest, &e));
    for (i = 0; i < idx->rows; i++)
        for (j = 0; j < idx->cols; j++)
            MAT_AT(idx, i, j) += 1.0;
    if (t) {
        mat *ti = bind_newmat(L), *tv;
        BIND_CALL(L, &e, mat_transpose(ti, idx, &e));
        tv = bind_newmat(L);
        BIND_CALL(L, &e, mat_transpose(tv, val, &e));
    }
    return 2;
}

/* ---- linear algebra ---- */

static int m_solve(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *b = bind_checkmat(L, 2), *x = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_solve(x, a, b, &e));
    return 1;
}

static int m_cholesky(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *l = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_cholesky(l, a, &e));
    return 1;
}

static int m_inv_spd(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *x = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_inv_spd(x, a, &e));
    return 1;
}

static int m_qr(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *q = bind_newmat(L), *r = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_qr(q, r, a, &e));
    return 2;
}

static int m_svd(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *u, *s, *vt;
    int full = 0;
    core_err e;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "full");
        full = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    u = bind_newmat(L);
    s = bind_newmat(L);
    vt = bind_newmat(L);
    BIND_CALL(L, &e, mat_svd(u, s, vt, a, full, &e));
    return 3;
}

static int m_eigh(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *w = bind_newmat(L), *v = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_eigh(w, v, a, &e));
    return 2;
}

/* ---- files ---- */

static int m_save_npy(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    core_err e;
    BIND_CALL(L, &e, io_write_npy(m, luaL_checkstring(L, 2), &e));
    lua_settop(L, 1);
    return 1;
}

static int m_save_csv(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    const char *path = luaL_checkstring(L, 2), *delim = luaL_optstring(L, 3, ",");
    core_err e;
    BIND_CALL(L, &e, io_write_csv(m, path, delim, &e));
    lua_settop(L, 1);
    return 1;
}

/* ---- metamethods ---- */

static int m_tostring(lua_State *L)
{
    mat *m = luaL_checkudata(L, 1, MATRIX_T);
    core_err e;
    char *s;
    if (!m->st) {
        lua_pushliteral(L, "matrix (closed)");
        return 1;
    }
    s = mat_format(m, 10, 8, &e);
    if (!s)
        return bind_raise(L, &e);
    lua_pushstring(L, s);
    core_free(s);
    return 1;
}

static int m_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)bind_checkmat(L, 1)->rows);
    return 1;
}

static int m_gc(lua_State *L)
{
    mat *m = luaL_checkudata(L, 1, MATRIX_T);
    mat_release(m);
    return 0;
}

/* close() and __close: not while a running call reads the matrix */
static int m_close(lua_State *L)
{
    luaL_checkudata(L, 1, MATRIX_T);
    bind_check_unpinned(L, 1, "this matrix");
    return m_gc(L);
}

static const luaL_Reg funcs[] = {
    {"new", m_new}, {"zeros", m_zeros}, {"ones", m_ones}, {"full", m_full}, {"eye", m_eye},
    {"rand", m_rand}, {"randn", m_randn}, {"seed", m_seed}, {"hstack", m_hstack}, {"vstack", m_vstack},
    {"load_npy", m_load_npy}, {"solve", m_solve}, {"is", m_is}, {NULL, NULL}};

static const luaL_Reg meth[] = {
    {"shape", m_shape}, {"nrows", m_nrows}, {"ncols", m_ncols}, {"get", m_get}, {"set", m_set},
    {"row", m_row}, {"col", m_col}, {"sub", m_sub}, {"select_rows", m_select_rows},
    {"select_cols", m_select_cols}, {"t", m_t}, {"copy", m_copy}, {"reshape", m_reshape},
    {"fill", m_fill}, {"assign", m_assign}, {"totable", m_totable}, {"mul", m_emul}, {"div", m_ediv},
    {"maximum", m_maximum}, {"minimum", m_minimum}, {"apply", m_apply}, {"exp", m_exp}, {"log", m_log},
    {"tanh", m_tanh}, {"relu", m_relu}, {"sigmoid", m_sigmoid}, {"sqrt", m_sqrt}, {"abs", m_abs},
    {"square", m_square}, {"sum", m_sum}, {"mean", m_mean}, {"min", m_min}, {"max", m_max},
    {"norm", m_norm}, {"dot", m_dot}, {"argsort", m_argsort}, {"topk", m_topk}, {"solve", m_solve},
    {"cholesky", m_cholesky}, {"inv_spd", m_inv_spd}, {"qr", m_qr}, {"svd", m_svd}, {"eigh", m_eigh}, {"save_npy", m_save_npy},
    {"save_csv", m_save_csv}, {"close", m_close}, {NULL, NULL}};

static const luaL_Reg metameth[] = {
    {"__index", NULL}, {"__add", m_add}, {"__sub", m_sub_op}, {"__mul", m_mul}, {"__div", m_div},
    {"__pow", m_pow}, {"__unm", m_unm}, {"__eq", m_eq}, {"__len", m_len}, {"__tostring", m_tostring},
    {"__gc", m_gc}, {"__close", m_close}, {NULL, NULL}};

static const char *const help[] = {
    "matrix", "Dense double matrices, row-major, 1-based. Operators: a + b, a - b, a / b, a ^ b (elementwise, with "
    "NumPy broadcasting and numbers), a * b (matrix product; number * m scales; m * s with s sparse), -a, a == b, #m "
    "(rows). row, col, sub and contiguous reshape are views sharing storage; everything else returns a new matrix.",
    "matrix.new(t | r, c [, v] | m)", "A matrix from nested tables ({{1, 2}, {3, 4}}; a flat list is a column), an r x c "
    "matrix filled with v (0), or a copy of m. matrix{...} is the same.",
    "matrix.zeros(r, c)", "An r x c matrix of zeros.",
    "matrix.ones(r, c)", "An r x c matrix of ones.",
    "matrix.full(r, c, v)", "An r x c matrix filled with v.",
    "matrix.eye(n [, m])", "The n x m (n x n) identity.",
    "matrix.rand(r, c [, seed])", "Uniform [0, 1) values, the stream of NumPy's legacy generator (np.random.seed(seed); "
    "np.random.rand(r, c)); without a seed it continues the global stream.",
    "matrix.randn(r, c [, seed])", "Standard normal values, as np.random.randn (legacy polar method).",
    "matrix.seed(s)", "Resets the global stream of rand/randn, like np.random.seed(s).",
    "matrix.hstack{a, b, ...}", "The matrices side by side (equal row counts).",
    "matrix.vstack{a, b, ...}", "The matrices one above the other (equal column counts).",
    "matrix.load_npy(path)", "Reads a NumPy .npy file: float64/float32/int64/int32, either byte order, C or Fortran "
    "order, 0-2 dimensions (1-D becomes a column). The header is validated before anything is allocated.",
    "matrix.solve(a, b)", "x with a x = b (LAPACK dgesv); a square.",
    "matrix.is(x)", "true when x is a matrix.",
    "matrix:shape()", "Rows and columns (two numbers).",
    "matrix:nrows()", "The number of rows.",
    "matrix:ncols()", "The number of columns.",
    "matrix:get(i, j)", "The entry at row i, column j; on a vector m:get(i).",
    "matrix:set(i, j, v)", "Sets an entry (m:set(i, v) on a vector); returns m.",
    "matrix:row(i)", "Row i as a 1 x c view (shares storage).",
    "matrix:col(j)", "Column j as an r x 1 view (shares storage).",
    "matrix:sub(i1, i2, j1, j2)", "The block of rows i1..i2 and columns j1..j2 as a view.",
    "matrix:select_rows(idx)", "A copy of the rows listed in idx (a Lua list or a matrix of 1-based indices; repeats "
    "allowed).",
    "matrix:select_cols(idx)", "A copy of the columns listed in idx.",
    "matrix:t()", "The transpose (a new matrix).",
    "matrix:copy()", "A copy with its own storage.",
    "matrix:reshape(r, c)", "The same values in r x c, row by row; a view when m is contiguous.",
    "matrix:fill(v)", "Sets every entry of m (or the view) to v; returns m.",
    "matrix:assign(src)", "Copies src (a matrix of the same shape, or a number) into m; overlapping views are "
    "handled.",
    "matrix:totable()", "Nested Lua tables of the values.",
    "matrix:mul(b)", "Elementwise product with broadcasting (b a matrix or a number).",
    "matrix:div(b)", "Elementwise quotient with broadcasting.",
    "matrix:maximum(b)", "Elementwise maximum with broadcasting.",
    "matrix:minimum(b)", "Elementwise minimum with broadcasting.",
    "matrix:apply(f)", "A new matrix of f applied to each entry; f is a Lua function or one of exp, log, tanh, relu, "
    "sigmoid, sqrt, abs, square, neg, log1p (run in C).",
    "matrix:exp()", "Elementwise exp.",
    "matrix:log()", "Elementwise natural logarithm.",
    "matrix:tanh()", "Elementwise tanh.",
    "matrix:relu()", "Elementwise max(x, 0).",
    "matrix:sigmoid()", "Elementwise 1 / (1 + exp(-x)).",
    "matrix:sqrt()", "Elementwise square root.",
    "matrix:abs()", "Elementwise absolute value.",
    "matrix:square()", "Elementwise square.",
    "matrix:sum([axis])", "The sum of all entries; axis 1: down each column (1 x c), axis 2: along each row (r x 1).",
    "matrix:mean([axis])", "The mean, with axes as sum.",
    "matrix:min([axis])", "The minimum, with axes as sum.",
    "matrix:max([axis])", "The maximum, with axes as sum.",
    "matrix:norm([axis])", "The 2-norm (Frobenius for a matrix), safe from overflow; with axes as sum.",
    "matrix:dot(b)", "The sum of the elementwise product of two matrices of one shape.",
    "matrix:argsort([desc])", "Per row, the 1-based column indices in sorted order (stable, NaN last); a column vector "
    "is sorted as a whole.",
    "matrix:topk(k [, smallest])", "Per row, the indices and values of the k largest (smallest) entries, best first.",
    "matrix:solve(b)", "x with m x = b (LAPACK dgesv).",
    "matrix:cholesky()", "The lower triangular L with L * L:t() == m (reads the lower triangle).",
    "matrix:inv_spd()", "The inverse of a symmetric positive definite matrix, by Cholesky (half the work and memory of "
    "solve(m, eye)); an error when it is not positive definite.",
    "matrix:qr()", "Q (m x k) and R (k x n) of the reduced QR factorisation, k = min(m, n).",
    "matrix:svd([{full = true}])", "U, S (a column, descending) and Vt of the thin (full) SVD; U:mul(S:t()) * Vt "
    "rebuilds m.",
    "matrix:eigh()", "w (ascending) and V (eigenvectors in columns) of a symmetric matrix.",
    "matrix:save_npy(path)", "Writes a float64 .npy file through a temporary file that is fsynced and renamed, so a "
    "failed save leaves an existing file intact.",
    "matrix:save_csv(path [, delim])", "Writes delimited text (',' by default), crash-safe like save_npy.",
    "matrix:close()", "Frees the storage now (views keep theirs); also `local m <close> = ...`.",
    NULL};

int luaopen_simec_matrix(lua_State *L)
{
    bind_add_help(L, help);
    bind_state_of(L);
    luaL_newmetatable(L, MATRIX_T);
    luaL_setfuncs(L, metameth, 0);
    luaL_newlibtable(L, meth);
    luaL_setfuncs(L, meth, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, m_call);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    return 1;
}
