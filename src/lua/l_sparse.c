/* "sparse": CSR matrices with optional row/column labels. Operations return
 * new matrices; only the labels can be replaced in place. */
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "bind.h"
#include "io.h"

static const char *shape(const spm *s, char *buf)
{
    return spm_shape_str(s, buf, 48);
}

/* ---- constructors ---- */

/* the names of spm's duplicate rules, in SPM_DUP_* order */
static const char *const dup_names[] = {"sum", "error", "mean", NULL};

/* A core-allocated triplet buffer owned by a userdata, so errors do not leak it. */
typedef struct tbuf {
    spm_idx *I, *J;
    double *X;
} tbuf;

static int tbuf_gc(lua_State *L)
{
    tbuf *t = lua_touserdata(L, 1);
    t->I = core_free(t->I);
    t->J = core_free(t->J);
    t->X = core_free(t->X);
    return 0;
}

static tbuf *newtbuf(lua_State *L, size_t n)
{
    tbuf *t = lua_newuserdatauv(L, sizeof *t, 0);
    memset(t, 0, sizeof *t);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, tbuf_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    t->I = core_malloc((n ? n : 1) * sizeof *t->I);
    t->J = core_malloc((n ? n : 1) * sizeof *t->J);
    t->X = core_malloc((n ? n : 1) * sizeof *t->X);
    if (!t->I || !t->J || !t->X) {
        core_err e;
        core_err_nomem(&e, "from_triplets", (double)n * 16);
        bind_raise(L, &e);
    }
    return t;
}

static int s_from_triplets(lua_State *L)
{
    size_t n, k;
    double maxr = 0, maxc = 0;
    int64_t rows, cols;
    int dup = bind_optname(L, 4, "duplicates", dup_names, SPM_DUP_SUM, "sparse.from_triplets"), scalar_v = lua_type(L, 3) == LUA_TNUMBER || lua_isnoneornil(L, 3);
    double sv = lua_isnoneornil(L, 3) ? 1.0 : lua_tonumber(L, 3);
    tbuf *t;
    spm *S;
    core_err e;
    bind_vector vr, vc, vv;
    lua_settop(L, 4);
    bind_checkvector(L, 1, &vr, "from_triplets", "rows");
    bind_checkvector(L, 2, &vc, "from_triplets", "cols");
    if (!scalar_v)
        bind_checkvector(L, 3, &vv, "from_triplets", "values");
    n = vr.n;
    if (vc.n != n || (!scalar_v && vv.n != n))
        luaL_error(L, "from_triplets: rows, cols and values differ in length (%I, %I, %I)", (LUAI_UACINT)n,
                   (LUAI_UACINT)vc.n, (LUAI_UACINT)(scalar_v ? n : vv.n));
    t = newtbuf(L, n);
    for (k = 0; k < n; k++) {
        double r = bind_vector_at(&vr, k), c = bind_vector_at(&vc, k);
        if (!(r >= 1 && r <= SPM_IDX_MAX && r == (double)(int64_t)r) ||
            !(c >= 1 && c <= SPM_IDX_MAX && c == (double)(int64_t)c)) {
            char rb[32], cb[32];
            snprintf(rb, sizeof rb, "%.17g", r);
            snprintf(cb, sizeof cb, "%.17g", c);
            luaL_error(L, "from_triplets: triplet %I has index (%s, %s), expected positive integers",
                       (LUAI_UACINT)(k + 1), rb, cb);
        }
        t->I[k] = (spm_idx)(r - 1);
        t->J[k] = (spm_idx)(c - 1);
        t->X[k] = scalar_v ? sv : bind_vector_at(&vv, k);
        if (r > maxr) maxr = r;
        if (c > maxc) maxc = c;
    }
    rows = bind_optint(L, 4, "rows", -1, 0, (lua_Integer)1 << 40, "sparse.from_triplets");
    cols = bind_optint(L, 4, "cols", -1, 0, (lua_Integer)1 << 40, "sparse.from_triplets");
    if (rows < 0) rows = (int64_t)maxr;
    if (cols < 0) cols = (int64_t)maxc;
    S = bind_newspm(L);
    BIND_ONCE(L, &e, spm_from_triplets_owned(S, rows, cols, &t->I, &t->J, &t->X, (int64_t)n, dup, &e));
    return 1;
}

static int s_from_dense(lua_State *L)
{
    mat *m = bind_checkmat(L, 1);
    double tol = luaL_optnumber(L, 2, 0.0);
    core_err e;
    spm *S = bind_newspm(L);
    BIND_CALL(L, &e, spm_from_dense(S, m, tol, &e));
    return 1;
}

/* sparse.split_line(line [, delim [, need]]): the line's fields as
 * sparse.read splits a line, and the delimiter (detected, when not given,
 * as on a first data line of need fields) */
static int s_split_line(lua_State *L)
{
    size_t len;
    const char *line = luaL_checklstring(L, 1, &len), *delim = luaL_optstring(L, 2, NULL);
    lua_Integer need = luaL_optinteger(L, 3, 3);
    const char *starts[IO_MAX_FIELDS];
    size_t lens[IO_MAX_FIELDS];
    char used[8];
    int n, k;
    if (delim && strlen(delim) >= sizeof used)
        return luaL_error(L, "sparse.split_line: delimiter '%s' is too long", delim);
    if (need < 1 || need > IO_MAX_FIELDS)
        return luaL_error(L, "sparse.split_line: need must be 1..%d, got %I", IO_MAX_FIELDS, need);
    n = io_split_line(line, len, delim, (int)need, used, starts, lens);
    if (n < 0)
        return luaL_error(L, "sparse.split_line: a quoted field it cannot read");
    lua_createtable(L, n < IO_MAX_FIELDS ? n : IO_MAX_FIELDS, 0);
    for (k = 0; k < n && k < IO_MAX_FIELDS; k++) {
        lua_pushlstring(L, starts[k], lens[k]);
        lua_rawseti(L, -2, k + 1);
    }
    lua_pushstring(L, used);
    return 2;
}

static int s_read(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    io_triplet_opts o;
    io_report rep;
    core_err e;
    spm *S;
    io_triplet_opts_default(&o);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        o.delim = bind_optstr(L, 2, "delim", o.delim, "sparse.read"); /* kept alive by the options table */
        o.header = bind_optbool(L, 2, "header", o.header);
        o.row_field = (int)bind_optint(L, 2, "row", o.row_field, 0, IO_MAX_FIELDS, "sparse.read");
        o.col_field = (int)bind_optint(L, 2, "col", o.col_field, 0, IO_MAX_FIELDS, "sparse.read");
        o.val_field = (int)bind_optint(L, 2, "value", o.val_field, 0, IO_MAX_FIELDS, "sparse.read");
        o.fields = (int)bind_optint(L, 2, "fields", o.fields, 0, IO_MAX_FIELDS, "sparse.read");
        o.skip_bad = bind_optbool(L, 2, "skip_bad", o.skip_bad);
        o.dup = bind_optname(L, 2, "duplicates", dup_names, o.dup, "sparse.read");
        o.keep_order = bind_optbool(L, 2, "order", o.keep_order);
    }
    lua_settop(L, 2);
    S = bind_newspm(L);
    BIND_CALL(L, &e, io_read_triplets(S, path, &o, &rep, &e));
    if (rep.order) { /* a column of 1-based CSR positions, one per line in file order */
        mat *ord = bind_newmat(L);
        int64_t k;
        if (mat_init_uninit(ord, (size_t)rep.lines, 1, &e)) {
            core_free(rep.order);
            return bind_raise(L, &e);
        }
        for (k = 0; k < rep.lines; k++)
            ord->x[k] = (double)rep.order[k] + 1.0;
        core_free(rep.order);
    } else
        lua_pushnil(L);
    if (rep.skipped)
        fprintf(stderr, "simec: warning: %s: skipped %lld malformed lines (first: %s)\n", path,
                (long long)rep.skipped, rep.first_skipped);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, rep.lines);
    lua_setfield(L, -2, "lines");
    lua_pushinteger(L, rep.skipped);
    lua_setfield(L, -2, "skipped");
    lua_pushstring(L, rep.delim);
    lua_setfield(L, -2, "delim");
    lua_pushboolean(L, rep.bom);
    lua_setfield(L, -2, "bom");
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "order");
    lua_remove(L, -2); /* leaves S, info */
    return 2;
}

static int s_read_mtx(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    core_err e;
    spm *S = bind_newspm(L);
    BIND_CALL(L, &e, io_read_mtx(S, path, &e));
    return 1;
}

static int stack(lua_State *L, int horizontal)
{
    size_t n, k;
    spm *parts, *out;
    core_err e;
    luaL_checktype(L, 1, LUA_TTABLE);
    n = (size_t)luaL_len(L, 1);
    parts = lua_newuserdatauv(L, (n ? n : 1) * sizeof *parts, 0);
    for (k = 0; k < n; k++) {
        spm *s;
        lua_geti(L, 1, (lua_Integer)k + 1);
        s = luaL_testudata(L, -1, SPARSE_T);
        if (!s || !s->p)
            luaL_error(L, "%s: element %I is a %s, expected sparse", horizontal ? "hstack" : "vstack",
                       (LUAI_UACINT)(k + 1), s ? "closed sparse matrix" : bind_typename(L, -1));
        parts[k] = *s; /* borrowed */
        lua_pop(L, 1);
    }
    out = bind_newspm(L);
    BIND_CALL(L, &e, spm_stack(out, parts, n, horizontal, &e));
    return 1;
}

static int s_hstack(lua_State *L) { return stack(L, 1); }
static int s_vstack(lua_State *L) { return stack(L, 0); }

static int s_sample(lua_State *L)
{
    mat *a = bind_checkmat(L, 1), *b = bind_checkmat(L, 2);
    spm *p = bind_checkspm(L, 3), *out = bind_newspm(L);
    core_err e;
    BIND_CALL(L, &e, spm_sample(out, a, b, p, &e));
    return 1;
}

/* sparse.from_values(P, v): P's structure and labels with the values of the
 * vector v (P:nnz() entries, in P's storage order) */
static int s_from_values(lua_State *L)
{
    spm *P = bind_checkspm(L, 1), *out;
    mat *v = bind_checkmat(L, 2);
    int64_t k, nnz = SPM_NNZ(P);
    core_err e;
    if ((v->rows != 1 && v->cols != 1) || (int64_t)(v->rows * v->cols) != nnz)
        return luaL_error(L, "from_values: %I values for %I stored entries", (LUAI_UACINT)(v->rows * v->cols),
                          (LUAI_UACINT)nnz);
    out = bind_newspm(L);
    BIND_CALL(L, &e, spm_copy(out, P, &e));
    for (k = 0; k < nnz; k++)
        out->x[k] = v->cols == 1 ? MAT_AT(v, k, 0) : MAT_AT(v, 0, k);
    return 1;
}

static int s_is(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, SPARSE_T) != NULL);
    return 1;
}

static int s_dense_limit(lua_State *L)
{
    if (!lua_isnoneornil(L, 1)) {
        lua_Integer v = luaL_checkinteger(L, 1);
        luaL_argcheck(L, v >= 0, 1, "limit must be non-negative (0: none)");
        bind_dense_limit = (size_t)v;
    }
    lua_pushinteger(L, (lua_Integer)bind_dense_limit);
    return 1;
}

/* ---- methods ---- */

static int s_nnz(lua_State *L)
{
    lua_pushinteger(L, SPM_NNZ(bind_checkspm(L, 1)));
    return 1;
}

static int s_shape(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    lua_pushinteger(L, s->rows);
    lua_pushinteger(L, s->cols);
    return 2;
}

static int s_nrows(lua_State *L)
{
    lua_pushinteger(L, bind_checkspm(L, 1)->rows);
    return 1;
}

static int s_ncols(lua_State *L)
{
    lua_pushinteger(L, bind_checkspm(L, 1)->cols);
    return 1;
}

static double density(const spm *s)
{
    double cells = (double)s->rows * (double)s->cols;
    return cells > 0 ? (double)SPM_NNZ(s) / cells : 0.0;
}

static int s_density(lua_State *L)
{
    lua_pushnumber(L, density(bind_checkspm(L, 1)));
    return 1;
}

static int s_t(lua_State *L)
{
    spm *s = bind_checkspm(L, 1), *out = bind_newspm(L);
    core_err e;
    BIND_CALL(L, &e, spm_transpose(out, s, &e));
    return 1;
}

static int s_copy(lua_State *L)
{
    spm *s = bind_checkspm(L, 1), *out = bind_newspm(L);
    core_err e;
    BIND_CALL(L, &e, spm_copy(out, s, &e));
    return 1;
}

static int select_rc(lua_State *L, int rows)
{
    spm *s = bind_checkspm(L, 1), *out;
    size_t n, *idx = bind_checkindices(L, 2, &n, rows ? "sparse:select_rows" : "sparse:select_cols");
    core_err e;
    out = bind_newspm(L);
    BIND_CALL(L, &e, rows ? spm_select_rows(out, s, idx, n, &e) : spm_select_cols(out, s, idx, n, &e));
    return 1;
}

static int s_select_rows(lua_State *L) { return select_rc(L, 1); }
static int s_select_cols(lua_State *L) { return select_rc(L, 0); }

/* values of s viewed as a 1 x nnz matrix */
static mat values_view(const spm *s)
{
    mat v;
    v.st = NULL;
    v.x = s->x;
    v.rows = 1;
    v.cols = (size_t)SPM_NNZ(s);
    v.ld = v.cols ? v.cols : 1;
    return v;
}

static int s_scale(lua_State *L)
{
    spm *s = bind_checkspm(L, 1), *out;
    double a = luaL_checknumber(L, 2);
    int64_t k, nnz = SPM_NNZ(s);
    core_err e;
    out = bind_newspm(L);
    BIND_CALL(L, &e, spm_copy(out, s, &e));
    for (k = 0; k < nnz; k++)
        out->x[k] *= a;
    return 1;
}

static int s_map(lua_State *L)
{
    spm *s = bind_checkspm(L, 1), *out;
    int64_t k, nnz = SPM_NNZ(s);
    core_err e;
    out = bind_newspm(L);
    BIND_CALL(L, &e, spm_copy(out, s, &e));
    if (lua_type(L, 2) == LUA_TSTRING) {
        int fn = luaL_checkoption(L, 2, NULL, mat_func_names);
        mat v = values_view(out);
        BIND_CALL(L, &e, mat_apply(&v, &v, fn, &e));
        return 1;
    }
    luaL_checktype(L, 2, LUA_TFUNCTION);
    for (k = 0; k < nnz; k++) {
        int isnum;
        lua_pushvalue(L, 2);
        lua_pushnumber(L, out->x[k]);
        lua_call(L, 1, 1);
        out->x[k] = lua_tonumberx(L, -1, &isnum);
        if (!isnum)
            luaL_error(L, "map: the function returned a %s, expected number", bind_typename(L, -1));
        lua_pop(L, 1);
    }
    return 1;
}

static int reduce(lua_State *L, int op, int axis)
{
    spm *s = bind_checkspm(L, 1);
    mat *out = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, spm_reduce(out, s, op, axis, &e));
    return 1;
}

static int s_gram(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    mat *out = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, spm_gram(out, s, &e));
    return 1;
}

static int s_row_sums(lua_State *L) { return reduce(L, SPM_SUM, 2); }
static int s_col_sums(lua_State *L) { return reduce(L, SPM_SUM, 1); }
static int s_row_counts(lua_State *L) { return reduce(L, SPM_COUNT, 2); }
static int s_col_counts(lua_State *L) { return reduce(L, SPM_COUNT, 1); }
static int s_row_means(lua_State *L) { return reduce(L, SPM_MEAN, 2); }
static int s_col_means(lua_State *L) { return reduce(L, SPM_MEAN, 1); }

static int s_sum(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    int64_t k, nnz = SPM_NNZ(s);
    double t = 0;
    for (k = 0; k < nnz; k++)
        t += s->x[k];
    lua_pushnumber(L, t);
    return 1;
}

static int s_values(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    mat v = values_view(s), *out = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, mat_transpose(out, &v, &e)); /* a column */
    return 1;
}

static int iter(lua_State *L)
{
    spm *s = lua_touserdata(L, lua_upvalueindex(1));
    lua_Integer k = lua_tointeger(L, lua_upvalueindex(2)), r = lua_tointeger(L, lua_upvalueindex(3));
    if (!s->p)
        return luaL_error(L, "attempt to use a closed sparse matrix");
    if (k >= SPM_NNZ(s))
        return 0;
    while (s->p[r + 1] <= k)
        r++;
    lua_pushinteger(L, k + 1);
    lua_replace(L, lua_upvalueindex(2));
    lua_pushinteger(L, r);
    lua_replace(L, lua_upvalueindex(3));
    lua_pushinteger(L, r + 1);
    lua_pushinteger(L, (lua_Integer)s->j[k] + 1);
    lua_pushnumber(L, s->x[k]);
    return 3;
}

static int s_triplets(lua_State *L)
{
    bind_checkspm(L, 1);
    lua_settop(L, 1);
    lua_pushinteger(L, 0);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, iter, 3);
    return 1;
}

static int s_get(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    char sh[48];
    size_t i = bind_checkindex(L, 2, (size_t)s->rows, "row", shape(s, sh));
    size_t j = bind_checkindex(L, 3, (size_t)s->cols, "column", shape(s, sh));
    lua_pushnumber(L, spm_get(s, (int64_t)i, (int64_t)j));
    return 1;
}

/* the stored entries of row i: column indices and values as column vectors */
static int s_row(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    char sh[48];
    size_t i = bind_checkindex(L, 2, (size_t)s->rows, "row", shape(s, sh)), n, k;
    mat *cols, *vals;
    core_err e;
    n = (size_t)(s->p[i + 1] - s->p[i]);
    cols = bind_newmat(L);
    BIND_CALL(L, &e, mat_init(cols, n, 1, &e));
    vals = bind_newmat(L);
    BIND_CALL(L, &e, mat_init(vals, n, 1, &e));
    for (k = 0; k < n; k++) {
        cols->x[k] = (double)s->j[s->p[i] + (spm_ptr)k] + 1.0;
        vals->x[k] = s->x[s->p[i] + (spm_ptr)k];
    }
    return 2;
}

static int s_dense(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    size_t limit = bind_dense_limit, before;
    mat *out;
    core_err e;
    int rc;
    if (lua_istable(L, 2))
        limit = bind_optsize(L, 2, "limit", limit, "sparse:dense");
    out = bind_newmat(L);
    before = bind_mem_in_use();
    rc = spm_to_dense(out, s, limit, &e);
    if (rc == CORE_ETOOBIG)
        return luaL_error(L, "sparse:%s (raise it with sparse.dense_limit(bytes) or {limit = bytes})", e.msg);
    bind_finish(L, rc, &e, before);
    return 1;
}

/* S:write(path [, {delim = "\t", transpose = false}]): one "row col value" line per entry */
static int s_write(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    const char *path = luaL_checkstring(L, 2), *delim = "\t";
    int transpose = 0;
    core_err e;
    if (lua_istable(L, 3)) {
        delim = bind_optstr(L, 3, "delim", delim, "sparse:write");
        transpose = bind_optbool(L, 3, "transpose", 0);
    }
    BIND_CALL(L, &e, io_write_triplets(s, path, delim, transpose, &e));
    lua_settop(L, 1);
    return 1;
}

static int s_write_mtx(lua_State *L)
{
    spm *s = bind_checkspm(L, 1);
    core_err e;
    BIND_CALL(L, &e, io_write_mtx(s, luaL_checkstring(L, 2), &e));
    lua_settop(L, 1);
    return 1;
}

/* ---- labels ---- */

static spm_labels *labels(lua_State *L, spm *s, int rows)
{
    spm_labels *l = rows ? s->rlab : s->clab;
    if (!l)
        luaL_error(L, "this sparse matrix has no %s labels", rows ? "row" : "column");
    return l;
}

static int label_of(lua_State *L, int rows)
{
    spm *s = bind_checkspm(L, 1);
    spm_labels *l = labels(L, s, rows);
    char sh[48];
    size_t i = bind_checkindex(L, 2, l->n, rows ? "row" : "column", shape(s, sh));
    lua_pushstring(L, spm_label(l, i));
    return 1;
}

static int index_of(lua_State *L, int rows)
{
    spm *s = bind_checkspm(L, 1);
    spm_labels *l = labels(L, s, rows);
    char buf[32];
    const char *id;
    size_t len;
    int64_t k;
    core_err e;
    if (lua_isinteger(L, 2)) {
        snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, 2));
        id = buf, len = strlen(buf);
    } else
        id = luaL_checklstring(L, 2, &len);
    k = spm_labels_find(l, id, len, &e);
    if (k == -2)
        return bind_raise(L, &e);
    if (k < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, k + 1);
    return 1;
}

static int labels_table(lua_State *L, int rows)
{
    spm *s = bind_checkspm(L, 1);
    spm_labels *l = rows ? s->rlab : s->clab;
    size_t i;
    if (!l) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, (int)(l->n < 1u << 30 ? l->n : 0), 0);
    for (i = 0; i < l->n; i++) {
        lua_pushstring(L, spm_label(l, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int set_labels(lua_State *L, int rows)
{
    spm *s = bind_checkspm(L, 1);
    size_t n = (size_t)(rows ? s->rows : s->cols), i;
    spm_labels *l = NULL;
    core_err e;
    if (!lua_isnil(L, 2)) {
        const char **str;
        size_t *len;
        luaL_checktype(L, 2, LUA_TTABLE);
        if ((size_t)luaL_len(L, 2) != n)
            luaL_error(L, "set_%s_labels: %I labels for %I %s", rows ? "row" : "col", (LUAI_UACINT)luaL_len(L, 2),
                       (LUAI_UACINT)n, rows ? "rows" : "columns");
        str = lua_newuserdatauv(L, (n ? n : 1) * sizeof *str, 0);
        len = lua_newuserdatauv(L, (n ? n : 1) * sizeof *len, 0);
        lua_createtable(L, (int)(n < 1u << 30 ? n : 0), 0); /* keeps the converted strings alive */
        lua_newtable(L);                                      /* label -> position: duplicates */
        for (i = 0; i < n; i++) {
            lua_geti(L, 2, (lua_Integer)i + 1);
            if (!lua_isstring(L, -1))
                luaL_error(L, "set_%s_labels: label %I is a %s, expected string", rows ? "row" : "col",
                           (LUAI_UACINT)(i + 1), bind_typename(L, -1));
            str[i] = lua_tolstring(L, -1, &len[i]);
            /* labels are looked up by their text: a NUL would cut it short, a repeat make it ambiguous */
            if (memchr(str[i], '\0', len[i]))
                luaL_error(L, "set_%s_labels: label %I contains a NUL byte", rows ? "row" : "col",
                           (LUAI_UACINT)(i + 1));
            lua_pushvalue(L, -1);
            if (lua_rawget(L, -3) != LUA_TNIL)
                luaL_error(L, "set_%s_labels: labels %I and %I are both '%s'", rows ? "row" : "col",
                           (LUAI_UACINT)lua_tointeger(L, -1), (LUAI_UACINT)(i + 1), str[i]);
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushinteger(L, (lua_Integer)i + 1);
            lua_rawset(L, -4);
            lua_rawseti(L, -3, (lua_Integer)i + 1);
        }
        lua_pop(L, 1);
        if (!(l = spm_labels_new(n, str, len, &e)))
            return bind_raise(L, &e);
    }
    if (rows) {
        spm_labels_release(s->rlab);
        s->rlab = l;
    } else {
        spm_labels_release(s->clab);
        s->clab = l;
    }
    lua_settop(L, 1);
    return 1;
}

static int s_row_label(lua_State *L) { return label_of(L, 1); }
static int s_col_label(lua_State *L) { return label_of(L, 0); }
static int s_row_index(lua_State *L) { return index_of(L, 1); }
static int s_col_index(lua_State *L) { return index_of(L, 0); }
static int s_row_labels(lua_State *L) { return labels_table(L, 1); }
static int s_col_labels(lua_State *L) { return labels_table(L, 0); }
static int s_set_row_labels(lua_State *L) { return set_labels(L, 1); }
static int s_set_col_labels(lua_State *L) { return set_labels(L, 0); }

/* ---- metamethods ---- */

/* a + b and a - b for sparse matrices of one pattern (predictions at a
 * test pattern added to a base model's); the result keeps a's labels */
static int s_addsub(lua_State *L, double sign, const char *op)
{
    spm *a = bind_testspm(L, 1), *b = bind_testspm(L, 2), *out;
    char what[32];
    core_err e;
    if (!a || !b) {
        int other = a ? 2 : 1;
        const char *type = luaL_getmetafield(L, other, "__name") == LUA_TSTRING ? lua_tostring(L, -1)
                                                                                : luaL_typename(L, other);
        return luaL_error(L, "sparse %s %s: only two sparse matrices of one pattern add (a number would fill "
                          "every missing entry)", op, type);
    }
    snprintf(what, sizeof what, "sparse %s sparse", op);
    out = bind_newspm(L);
    BIND_CALL(L, &e, spm_combine_same(out, a, 1.0, b, sign, what, &e));
    return 1;
}

static int s_add(lua_State *L) { return s_addsub(L, 1.0, "+"); }
static int s_sub(lua_State *L) { return s_addsub(L, -1.0, "-"); }

static int s_mul(lua_State *L)
{
    spm *a = bind_testspm(L, 1);
    mat *b = bind_testmat(L, 2), *out;
    core_err e;
    if (a && b) {
        out = bind_newmat(L);
        BIND_CALL(L, &e, spm_mul_dense(out, a, b, &e));
        return 1;
    }
    if (a && lua_type(L, 2) == LUA_TNUMBER) {
        lua_pushcfunction(L, s_scale);
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 2);
        lua_call(L, 2, 1);
        return 1;
    }
    if (!a && lua_type(L, 1) == LUA_TNUMBER) {
        lua_pushcfunction(L, s_scale);
        lua_pushvalue(L, 2);
        lua_pushvalue(L, 1);
        lua_call(L, 2, 1);
        return 1;
    }
    return luaL_error(L, "%s * %s: not supported (sparse * matrix, matrix * sparse, sparse * number)",
                      a ? SPARSE_T : bind_typename(L, 1),
                      luaL_testudata(L, 2, SPARSE_T) ? SPARSE_T : bind_typename(L, 2));
}

static int s_tostring(lua_State *L)
{
    spm *s = luaL_checkudata(L, 1, SPARSE_T);
    luaL_Buffer b;
    char line[160], num[40];
    int64_t r, shown = 0, nnz;
    spm_ptr k;
    if (!s->p) {
        lua_pushliteral(L, "sparse (closed)");
        return 1;
    }
    nnz = SPM_NNZ(s);
    luaL_buffinit(L, &b);
    snprintf(line, sizeof line, "sparse %lldx%lld (%lld nnz, %.3g%% dense)%s%s", (long long)s->rows,
             (long long)s->cols, (long long)nnz, 100.0 * density(s), s->rlab ? " row labels" : "",
             s->clab ? " column labels" : "");
    luaL_addstring(&b, line);
    for (r = 0; r < s->rows && shown < 6; r++)
        for (k = s->p[r]; k < s->p[r + 1] && shown < 6; k++, shown++) {
            io_fmt_double(num, sizeof num, s->x[k]);
            if (s->rlab && s->clab)
                snprintf(line, sizeof line, "\n  (%lld, %d)  %s    [%.20s, %.20s]", (long long)r + 1, s->j[k] + 1,
                         num, spm_label(s->rlab, (size_t)r), spm_label(s->clab, (size_t)s->j[k]));
            else
                snprintf(line, sizeof line, "\n  (%lld, %d)  %s", (long long)r + 1, s->j[k] + 1, num);
            luaL_addstring(&b, line);
        }
    if (shown < nnz)
        luaL_addstring(&b, "\n  ...");
    luaL_pushresult(&b);
    return 1;
}

static int s_len(lua_State *L)
{
    lua_pushinteger(L, bind_checkspm(L, 1)->rows);
    return 1;
}

static int s_gc(lua_State *L)
{
    spm_free(luaL_checkudata(L, 1, SPARSE_T));
    return 0;
}

/* close() and __close: not while a running call reads the matrix */
static int s_close(lua_State *L)
{
    luaL_checkudata(L, 1, SPARSE_T);
    bind_check_unpinned(L, 1, "this sparse matrix");
    return s_gc(L);
}

static const luaL_Reg funcs[] = {
    {"from_triplets", s_from_triplets}, {"from_dense", s_from_dense}, {"read", s_read},
    {"split_line", s_split_line},
    {"read_mtx", s_read_mtx}, {"hstack", s_hstack}, {"vstack", s_vstack}, {"sample", s_sample},
    {"from_values", s_from_values},
    {"is", s_is}, {"dense_limit", s_dense_limit}, {NULL, NULL}};

static const luaL_Reg meth[] = {
    {"nnz", s_nnz}, {"shape", s_shape}, {"nrows", s_nrows}, {"ncols", s_ncols}, {"density", s_density},
    {"t", s_t}, {"copy", s_copy}, {"select_rows", s_select_rows}, {"select_cols", s_select_cols},
    {"scale", s_scale}, {"map", s_map}, {"gram", s_gram}, {"row_sums", s_row_sums}, {"col_sums", s_col_sums},
    {"row_counts", s_row_counts}, {"col_counts", s_col_counts}, {"row_means", s_row_means},
    {"col_means", s_col_means}, {"sum", s_sum}, {"values", s_values}, {"triplets", s_triplets},
    {"get", s_get}, {"row", s_row}, {"dense", s_dense}, {"write_mtx", s_write_mtx}, {"write", s_write},
    {"row_label", s_row_label}, {"col_label", s_col_label}, {"row_index", s_row_index},
    {"col_index", s_col_index}, {"row_labels", s_row_labels}, {"col_labels", s_col_labels},
    {"set_row_labels", s_set_row_labels}, {"set_col_labels", s_set_col_labels}, {"close", s_close},
    {NULL, NULL}};

static const luaL_Reg metameth[] = {
    {"__index", NULL}, {"__mul", s_mul}, {"__add", s_add}, {"__sub", s_sub}, {"__len", s_len}, {"__tostring", s_tostring},
    {"__gc", s_gc}, {"__close", s_close}, {NULL, NULL}};

static const char *const help[] = {
    "sparse", "Compressed sparse row matrices (64-bit row pointers, 32-bit column indices, double values) that keep "
    "the original ids of their rows and columns as labels. Rating matrices are items x users. Operators: S * M and "
    "M * S with M dense (dense result), S * a and a * S scale, S + T and S - T for one pattern (the same stored "
    "positions: a base model's predictions plus a model's at a test pattern), #S (rows).",
    "sparse.from_triplets(I, J [, V] [, opts])", "From 1-based row and column indices (Lua lists or matrices) and "
    "values (a list, a matrix or a number; default 1). opts: rows, cols (default: the largest index), duplicates = "
    "\"sum\" (default), \"mean\" or \"error\".",
    "sparse.from_dense(m [, tol])", "The entries of the dense matrix m with abs(v) > tol (0).",
    "sparse.from_values(P, v)", "P's structure and labels with the values v (a vector of P:nnz() entries in P's "
    "storage order), e.g. a sum of two predictions at the same pattern.",
    "sparse.read(path [, opts])", "Reads delimited triplets (a ratings file) into a labelled matrix; returns S and "
    "info {lines, skipped, delim, order, bom}. opts: delim (detected: the first of '::', tab, ',', '|', ';' that "
    "splits the first data line into the fields needed, else blanks), header (never assumed), row, col, value "
    "(1-based fields; value = false: every value 1), fields, duplicates (\"error\" | "
    "\"mean\" | \"sum\": a row and column on two lines), skip_bad, order (keep each line's position). Lines end "
    "in \\n, \\r\\n or \\r; a UTF-8 byte-order "
    "mark is dropped; values are [+-]digits[.digits][e[+-]digits] (no hexadecimal, inf or nan); spaces around "
    "fields are dropped; with a delimiter a field may be in double quotes (the delimiter may occur inside; a doubled "
    "quote inside is an error). Errors name file and line.",
    "sparse.split_line(line [, delim [, need]])", "The fields of line as sparse.read splits a line of its file "
    "(quotes and spaces around fields dropped), and the delimiter: delim, or the one sparse.read detects on a first "
    "data line that needs need fields (default 3; \" \" for blanks). A header line split with the delimiter of the "
    "line under it names the columns.",
    "sparse.MAX_FIELDS", "The highest field number sparse.read's row, col, value and fields take (64).",
    "sparse.read_mtx(path)", "Reads a Matrix Market coordinate file (real, integer or pattern; general, symmetric or "
    "skew-symmetric), validated before allocating.",
    "sparse.hstack{a, b, ...}", "Side by side; column labels are concatenated when every part has them.",
    "sparse.vstack{a, b, ...}", "One above the other; row labels are concatenated when every part has them.",
    "sparse.sample(A, B, P)", "The values of the dense product A * B only at the stored positions of P (P's structure "
    "and labels): U S Vt at test ratings without forming it.",
    "sparse.is(x)", "true when x is a sparse matrix.",
    "sparse.dense_limit([bytes])", "Gets (and sets) the largest dense result S:dense() may make (default 4 GiB).",
    "sparse:nnz()", "The number of stored entries.",
    "sparse:shape()", "Rows and columns.",
    "sparse:nrows()", "The number of rows.",
    "sparse:ncols()", "The number of columns.",
    "sparse:density()", "nnz / (rows * cols).",
    "sparse:t()", "The transpose (labels swapped).",
    "sparse:copy()", "A copy.",
    "sparse:select_rows(idx)", "The rows listed in idx (1-based, repeats allowed), with their labels.",
    "sparse:select_cols(idx)", "The columns listed in idx, with their labels.",
    "sparse:scale(a)", "Every stored value times a.",
    "sparse:map(f)", "f applied to every stored value (a Lua function or a name as matrix:apply).",
    "sparse:gram()", "S^T S as a dense c x c matrix, from each row's pairs of stored entries (S is never made dense): "
    "EASE's item-item Gram matrix of a users x items S.",
    "sparse:row_sums()", "Sums of the stored values of each row (r x 1).",
    "sparse:col_sums()", "Sums of each column (1 x c).",
    "sparse:row_counts()", "Stored entries per row (r x 1).",
    "sparse:col_counts()", "Stored entries per column (1 x c).",
    "sparse:row_means()", "Mean of each row's stored values (0 for an empty row).",
    "sparse:col_means()", "Mean of each column's stored values (0 for an empty column).",
    "sparse:sum()", "The sum of the stored values.",
    "sparse:values()", "The stored values as a vector, in storage order.",
    "sparse:triplets()", "An iterator: for i, j, v in S:triplets() do ... end, in row order.",
    "sparse:get(i, j)", "The value at (i, j); 0 when not stored.",
    "sparse:row(i)", "The stored entries of row i: columns and values (two vectors).",
    "sparse:dense([{limit = bytes}])", "A dense copy; refuses results above the limit with a message naming shape and "
    "size.",
    "sparse:write_mtx(path)", "Writes a Matrix Market file (temporary file, fsync, rename).",
    "sparse:write(path [, {delim = \"\\t\", transpose = false}])", "Writes one 'row col value' line per entry with the "
    "labels as ids (columns first with transpose), crash-safe.",
    "sparse:row_label(i)", "The original id of row i (a string), or nil.",
    "sparse:col_label(j)", "The original id of column j, or nil.",
    "sparse:row_index(id)", "The 1-based row of an id, or nil (numbers are looked up as their decimal text).",
    "sparse:col_index(id)", "The 1-based column of an id, or nil.",
    "sparse:row_labels()", "All row ids as a Lua list (nil when unlabelled).",
    "sparse:col_labels()", "All column ids as a Lua list (nil when unlabelled).",
    "sparse:set_row_labels(list)", "Replaces (nil: removes) the row labels; ids must be unique.",
    "sparse:set_col_labels(list)", "Replaces (nil: removes) the column labels.",
    "sparse:close()", "Frees the storage now; also `local S <close> = ...`.",
    NULL};

int luaopen_simec_sparse(lua_State *L)
{
    bind_add_help(L, help);
    luaL_newmetatable(L, SPARSE_T);
    luaL_setfuncs(L, metameth, 0);
    luaL_newlibtable(L, meth);
    luaL_setfuncs(L, meth, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    lua_pushinteger(L, IO_MAX_FIELDS);
    lua_setfield(L, -2, "MAX_FIELDS");
    return 1;
}
