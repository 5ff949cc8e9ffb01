/* "SimEc": Similarity Encoder models (userdata over the C engine). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "alloc.h"
#include "bind.h"
#include "simec_model.h"

/* The index of name in names, or an error listing the valid ones; Keras'
 * "binary_crossentropy" names the bce loss too */
static int checkname(lua_State *L, const char *what, const char *name, const char *const *names)
{
    if (strcmp(what, "loss") == 0 && strcmp(name, "binary_crossentropy") == 0)
        return SIMEC_BCE;
    return bind_checkname(L, "SimEc", what, name, names);
}

/* option fields of SimEc's tables (bind.c), errors prefixed "SimEc:" */
#define optnum(L, t, k, d) bind_optnum(L, t, k, d, "SimEc")
#define optsize(L, t, k, d) bind_optsize(L, t, k, d, "SimEc")
#define optstr(L, t, k, d) bind_optstr(L, t, k, d, "SimEc")
#define optbool(L, t, k, d) bind_optbool(L, t, k, d)

/* SimEc.new{input = n | "identity", rows = n, embedding = d, output = n,
 * hidden = {{500, "tanh"}, ...}, ll_activation, loss, missing, l2_reg, ...} */
static int se_new(lua_State *L)
{
    simec_cfg c;
    simec *m;
    core_err e;
    mat *W = NULL, *S = NULL;
    size_t i;
    luaL_checktype(L, 1, LUA_TTABLE);
    simec_cfg_default(&c);
    lua_getfield(L, 1, "input");
    if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "identity") == 0) {
        c.input = SIMEC_IN_IDENTITY;
        c.in_dim = optsize(L, 1, "rows", 0);
        if (c.in_dim == 0)
            return luaL_error(L, "SimEc.new: identity input needs rows = the number of input rows");
    } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
        c.input = SIMEC_IN_FEATURES;
        c.in_dim = (size_t)lua_tointeger(L, -1);
    } else
        return luaL_error(L, "SimEc.new: input must be \"identity\" or the number of input features, got %s",
                          luaL_tolstring(L, -1, NULL));
    lua_pop(L, 1);
    c.emb_dim = optsize(L, 1, "embedding", 0);
    c.out_dim = optsize(L, 1, "output", 0);
    if (c.emb_dim == 0 || c.out_dim == 0)
        return luaL_error(L, "SimEc.new: embedding and output must be positive integers");
    lua_getfield(L, 1, "hidden");
    if (!lua_isnil(L, -1)) {
        int h = lua_gettop(L);
        luaL_argcheck(L, lua_istable(L, h), 1, "hidden must be a list of {units, activation}");
        c.n_hidden = (size_t)luaL_len(L, h);
        if (c.n_hidden > SIMEC_MAX_HIDDEN)
            return luaL_error(L, "SimEc.new: at most %d hidden layers, got %d", SIMEC_MAX_HIDDEN, (int)c.n_hidden);
        for (i = 0; i < c.n_hidden; i++) {
            lua_geti(L, h, (lua_Integer)i + 1);
            if (!lua_istable(L, -1))
                return luaL_error(L, "SimEc.new: hidden[%d] must be {units, activation}", (int)i + 1);
            lua_geti(L, -1, 1);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) <= 0)
                return luaL_error(L, "SimEc.new: hidden[%d][1] must be a positive number of units", (int)i + 1);
            c.hidden[i] = (size_t)lua_tointeger(L, -1);
            lua_geti(L, -2, 2);
            if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "SimEc.new: hidden[%d][2] must be an activation name, got %s", (int)i + 1,
                                  bind_typename(L, -1));
            c.hidden_act[i] = lua_isnil(L, -1) ? SIMEC_LINEAR
                                                : checkname(L, "activation", lua_tostring(L, -1), simec_act_names);
            lua_pop(L, 3);
        }
    }
    lua_pop(L, 1);
    c.ll_act = checkname(L, "activation", optstr(L, 1, "ll_activation", simec_act_names[c.ll_act]), simec_act_names);
    if (c.ll_act != SIMEC_LINEAR && c.ll_act != SIMEC_SIGMOID)
        return luaL_error(L, "SimEc.new: ll_activation must be linear or sigmoid, got %s", simec_act_names[c.ll_act]);
    c.loss = checkname(L, "loss", optstr(L, 1, "loss", simec_loss_names[c.loss]), simec_loss_names);
    {
        static const char *const missing[] = {"zero", "mask", NULL};
        c.missing = checkname(L, "missing", optstr(L, 1, "missing", missing[c.missing]), missing);
    }
    c.l2_reg = optnum(L, 1, "l2_reg", c.l2_reg);
    c.l2_reg_emb = optnum(L, 1, "l2_reg_emb", c.l2_reg_emb);
    c.l2_reg_out = optnum(L, 1, "l2_reg_out", c.l2_reg_out);
    c.s_ll_reg = optnum(L, 1, "s_ll_reg", c.s_ll_reg);
    c.orth_reg = optnum(L, 1, "orth_reg", c.orth_reg);
    c.wll_frozen = optbool(L, 1, "wll_frozen", c.wll_frozen);
    c.seed = (uint32_t)bind_optint(L, 1, "seed", c.seed, 0, 0xffffffffLL, "SimEc.new");
    /* the optimiser's name, however given, sets its default learning rate */
    lua_getfield(L, 1, "optimizer");
    if (lua_isstring(L, -1)) {
        c.opt = checkname(L, "optimizer", lua_tostring(L, -1), simec_opt_names);
        c.lr = simec_default_lr(c.opt);
    } else if (lua_istable(L, -1)) {
        int t = lua_gettop(L);
        lua_geti(L, t, 1);
        if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "SimEc.new: optimizer[1] must be a name (adamax, adam or sgd), got %s",
                              bind_typename(L, -1));
        if (!lua_isnil(L, -1))
            c.opt = checkname(L, "optimizer", lua_tostring(L, -1), simec_opt_names);
        lua_pop(L, 1);
        c.lr = optnum(L, t, "lr", simec_default_lr(c.opt));
        c.beta1 = optnum(L, t, "beta1", c.beta1);
        c.beta2 = optnum(L, t, "beta2", c.beta2);
        c.eps = optnum(L, t, "eps", c.eps);
        c.momentum = optnum(L, t, "momentum", c.momentum);
        if (c.beta1 >= 1 || c.beta2 >= 1 || c.momentum >= 1)
            return luaL_error(L, "SimEc.new: beta1, beta2 and momentum must be below 1");
    } else if (!lua_isnil(L, -1))
        return luaL_error(L, "SimEc.new: optimizer must be a name or {name, lr = ...}, got %s", bind_typename(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, 1, "W_ll");
    if (!lua_isnil(L, -1)) {
        W = bind_checkmat(L, -1);
        if (W->rows != c.emb_dim || W->cols != c.out_dim)
            return luaL_error(L, "SimEc.new: W_ll is %dx%d, expected %dx%d (embedding x output)", (int)W->rows,
                              (int)W->cols, (int)c.emb_dim, (int)c.out_dim);
    } else if (c.wll_frozen)
        return luaL_error(L, "SimEc.new: wll_frozen needs W_ll");
    lua_getfield(L, 1, "S_ll");
    if (!lua_isnil(L, -1)) {
        S = bind_checkmat(L, -1);
        if (S->rows != c.out_dim || S->cols != c.out_dim)
            return luaL_error(L, "SimEc.new: S_ll is %dx%d, expected %dx%d (output x output)", (int)S->rows,
                              (int)S->cols, (int)c.out_dim, (int)c.out_dim);
    } else if (c.s_ll_reg > 0)
        return luaL_error(L, "SimEc.new: s_ll_reg needs S_ll (an output x output matrix)");
    m = lua_newuserdatauv(L, sizeof *m, 0);
    memset(m, 0, sizeof *m);
    luaL_setmetatable(L, SIMEC_T);
    BIND_CALL(L, &e, simec_init(m, &c, &e));
    if (W) { /* stored transposed: one row per output */
        double *V = m->theta + m->layer[m->nl - 1].w_off;
        size_t r, k;
        for (r = 0; r < c.out_dim; r++)
            for (k = 0; k < c.emb_dim; k++)
                V[r * c.emb_dim + k] = MAT_AT(W, k, r);
    }
    if (S) {
        BIND_CALL(L, &e, mat_copy(&m->S_ll, S, &e));
        simec_s_ll_prepare(m);
    }
    return 1;
}

static int se_gc(lua_State *L)
{
    simec *m = luaL_checkudata(L, 1, SIMEC_T);
    simec_free(m);
    return 0;
}

/* __close: not while the model is training (an on_epoch callback) */
static int se_close(lua_State *L)
{
    luaL_checkudata(L, 1, SIMEC_T);
    bind_check_unpinned(L, 1, "this SimEc");
    return se_gc(L);
}

/* The input at arg: nil (identity), a matrix or a sparse matrix */
void bind_checkinput(lua_State *L, const simec *m, int arg, simec_input *x, const char *who)
{
    memset(x, 0, sizeof *x);
    if (lua_isnoneornil(L, arg)) {
        if (m->cfg.input != SIMEC_IN_IDENTITY)
            luaL_error(L, "%s: this model takes %d input features: pass an input matrix", who, (int)m->cfg.in_dim);
        x->n = m->cfg.in_dim;
        return;
    }
    if ((x->S = bind_testspm(L, arg)))
        x->n = (size_t)x->S->rows;
    else if ((x->D = bind_testmat(L, arg)))
        x->n = x->D->rows;
    else
        luaL_error(L, "%s: input must be a matrix, a sparse matrix or nil (identity input), got %s", who,
                   bind_typename(L, arg));
}

static void checktarget(lua_State *L, int arg, simec_target *t)
{
    memset(t, 0, sizeof *t);
    if (!(t->S = bind_testspm(L, arg)) && !(t->D = bind_testmat(L, arg)))
        luaL_error(L, "SimEc: targets must be a sparse or dense matrix, got %s", bind_typename(L, arg));
}

typedef struct fitctx {
    lua_State *L;
    simec *m;
    int cb, hist, verbose, tty, epochs, initial, failed;
    const char *ckpt;   /* checkpoint path, or NULL */
    int ckpt_every;
    double elapsed;
} fitctx;

static int on_epoch(void *p, int epoch, double loss, double val, double seconds)
{
    fitctx *c = p;
    lua_State *L = c->L;
    int stop = 0, k = epoch - c->initial; /* the history counts this call's epochs from 1 */
    c->elapsed += seconds;
    lua_getfield(L, c->hist, "loss");
    lua_pushnumber(L, loss);
    lua_rawseti(L, -2, k);
    lua_getfield(L, c->hist, "val");
    if (!isnan(val)) {
        lua_pushnumber(L, val);
        lua_rawseti(L, -2, k);
    }
    lua_getfield(L, c->hist, "seconds");
    lua_pushnumber(L, seconds);
    lua_rawseti(L, -2, k);
    lua_pop(L, 3);
    if (c->ckpt && (epoch % c->ckpt_every == 0 || epoch == c->epochs)) {
        core_err e;
        if (simec_save(c->m, c->ckpt, &e)) {
            lua_pushfstring(L, "fit: checkpoint after epoch %d: %s", epoch, e.msg);
            c->failed = 1;
            return 1;
        }
    }
    if (c->verbose) {
        double eta = c->elapsed / k * (c->epochs - epoch);
        char vbuf[64] = "";
        if (!isnan(val))
            snprintf(vbuf, sizeof vbuf, "  val %.4f", val);
        fprintf(stderr, "%sepoch %3d/%d  loss %.4f%s  %.1fs  eta %.0fs%s", c->tty ? "\r" : "", epoch, c->epochs,
                loss, vbuf, seconds, eta, c->tty == 2 ? "\033[K" : c->tty ? "" : "\n");
        fflush(stderr);
    }
    if (c->cb) {
        lua_pushvalue(L, c->cb);
        lua_pushinteger(L, epoch);
        lua_pushnumber(L, loss);
        if (isnan(val))
            lua_pushnil(L);
        else
            lua_pushnumber(L, val);
        /* a Lua error must not longjmp through the C engine */
        if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
            c->failed = 1;
            return 1; /* the error message stays on the stack */
        }
        stop = lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    return stop;
}

/* model:fit(X, T, {epochs, initial_epoch, batch_size, shuffle, seed,
 * validation = {Xv, Tv}, verbose, on_epoch, keep_best, lr_plateau = {factor,
 * patience, min_lr}, checkpoint = path | {path, every}, negatives, ...}) */
static int se_fit(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    simec_input x, vx;
    simec_target t, vt;
    simec_fit_opts o;
    simec_fit_info info;
    fitctx c;
    core_err e;
    int opts = 4, rc;
    bind_checkinput(L, m, 2, &x, "SimEc");
    checktarget(L, 3, &t);
    simec_fit_opts_default(&o);
    memset(&c, 0, sizeof c);
    c.L = L;
    c.verbose = 1;
    if (!lua_isnoneornil(L, opts)) {
        luaL_checktype(L, opts, LUA_TTABLE);
        o.epochs = (int)optsize(L, opts, "epochs", (size_t)o.epochs);
        o.initial_epoch = (int)optsize(L, opts, "initial_epoch", (size_t)o.initial_epoch);
        lua_getfield(L, opts, "checkpoint");
        if (lua_type(L, -1) == LUA_TSTRING)
            c.ckpt = lua_tostring(L, -1), c.ckpt_every = 1;
        else if (lua_istable(L, -1)) {
            int p = lua_gettop(L);
            lua_getfield(L, p, "path");
            if (lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "fit: checkpoint must be a path or {path = ..., every = n}");
            c.ckpt = lua_tostring(L, -1); /* stays referenced by the options table */
            lua_pop(L, 1);
            c.ckpt_every = (int)optsize(L, p, "every", 1);
            if (c.ckpt_every < 1)
                return luaL_error(L, "fit: checkpoint.every must be at least 1");
        } else if (!lua_isnil(L, -1))
            return luaL_error(L, "fit: checkpoint must be a path or {path = ..., every = n}, got %s",
                              bind_typename(L, -1));
        lua_pop(L, 1);
        o.batch_size = optsize(L, opts, "batch_size", o.batch_size);
        if (o.batch_size == 0)
            return luaL_error(L, "fit: batch_size must be positive");
        o.shuffle = optbool(L, opts, "shuffle", o.shuffle);
        o.seed = (uint32_t)optsize(L, opts, "seed", o.seed);
        o.keep_best = optbool(L, opts, "keep_best", o.keep_best);
        o.negatives = optnum(L, opts, "negatives", o.negatives);
        {
            static const char *const kinds[] = {"uniform", "popularity", NULL};
            o.neg_popularity = checkname(L, "negative_sampling", optstr(L, opts, "negative_sampling", kinds[o.neg_popularity]), kinds);
        }
        c.verbose = optbool(L, opts, "verbose", 1);
        lua_getfield(L, opts, "lr_plateau");
        if (lua_istable(L, -1)) {
            int p = lua_gettop(L);
            o.plateau_factor = optnum(L, p, "factor", SIMEC_PLATEAU_FACTOR);
            o.plateau_patience = (int)optsize(L, p, "patience", (size_t)o.plateau_patience);
            o.min_lr = optnum(L, p, "min_lr", o.min_lr);
            if (!(o.plateau_factor > 0 && o.plateau_factor < 1))
                return luaL_error(L, "fit: lr_plateau.factor must be between 0 and 1");
        }
        lua_pop(L, 1);
        lua_getfield(L, opts, "validation");
        if (lua_istable(L, -1)) {
            int v = lua_gettop(L);
            lua_geti(L, v, 1);
            lua_geti(L, v, 2);
            bind_checkinput(L, m, v + 1, &vx, "SimEc");
            checktarget(L, v + 2, &vt);
            o.vx = &vx, o.vt = &vt; /* both stay referenced by the options table */
            lua_pop(L, 2);
        } else if (!lua_isnil(L, -1))
            return luaL_error(L, "fit: validation must be {X, T}, got %s", bind_typename(L, -1));
        lua_pop(L, 1);
        lua_getfield(L, opts, "on_epoch");
        if (!lua_isnil(L, -1)) {
            if (!lua_isfunction(L, -1))
                return luaL_error(L, "fit: on_epoch must be a function, got %s", bind_typename(L, -1));
            c.cb = lua_gettop(L);
        } else
            lua_pop(L, 1);
    }
    c.epochs = o.epochs;
    c.initial = o.initial_epoch;
    c.m = m;
    lua_getfield(L, LUA_REGISTRYINDEX, PROGRESS_IN_PLACE);
    c.tty = isatty(2) ? 2 : lua_toboolean(L, -1); /* 2: a terminal, where ESC[K clears the rest of the line */
    lua_pop(L, 1);
    lua_createtable(L, 0, 6);
    c.hist = lua_gettop(L);
    luaL_setmetatable(L, HISTORY_T);
    lua_newtable(L);
    lua_setfield(L, c.hist, "loss");
    lua_newtable(L);
    lua_setfield(L, c.hist, "val");
    lua_newtable(L);
    lua_setfield(L, c.hist, "seconds");
    o.on_epoch = on_epoch;
    o.ctx = &c;
    if (c.cb) { /* Lua runs during the fit: what the fit reads cannot be closed until it returns */
        int scope = bind_pin_scope(L), k;
        for (k = 1; k <= 3; k++)
            bind_pin(L, scope, k);
        if (lua_getfield(L, opts, "validation") == LUA_TTABLE) {
            lua_geti(L, -1, 1);
            bind_pin(L, scope, -1);
            lua_geti(L, -2, 2);
            bind_pin(L, scope, -1);
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    }
    rc = simec_fit(m, &x, &t, &o, &info, &e);
    if (c.verbose && c.tty && info.epochs_done > 0)
        fputc('\n', stderr);
    if (c.failed)
        return lua_error(L); /* the callback's error, after the engine returned */
    if (rc) {
        if (rc == CORE_ENOMEM)
            lua_gc(L, LUA_GCCOLLECT);
        return bind_raise(L, &e);
    }
    lua_pushinteger(L, info.epochs_done > o.initial_epoch ? info.epochs_done - o.initial_epoch : 0);
    lua_setfield(L, c.hist, "epochs");
    lua_pushinteger(L, o.initial_epoch);
    lua_setfield(L, c.hist, "initial_epoch");
    lua_pushinteger(L, info.best_epoch);
    lua_setfield(L, c.hist, "best_epoch");
    lua_pushboolean(L, info.stopped);
    lua_setfield(L, c.hist, "stopped");
    lua_pushnumber(L, m->cfg.lr);
    lua_setfield(L, c.hist, "lr");
    lua_pushinteger(L, (lua_Integer)info.negatives_capped);
    lua_setfield(L, c.hist, "negatives_capped");
    if (info.negatives_capped && c.verbose) /* quiet runs find the count in the history */
        fprintf(stderr,
                "simec: warning: fit: negatives = %g asks for more negatives than %zu target rows have missing "
                "entries; those rows got all of theirs\n",
                o.negatives, info.negatives_capped);
    lua_pushvalue(L, c.hist);
    return 1;
}

static int se_transform(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    simec_input x;
    mat *Y;
    core_err e;
    bind_checkinput(L, m, 2, &x, "SimEc");
    Y = bind_newmat(L);
    BIND_CALL(L, &e, simec_transform(m, &x, Y, &e));
    return 1;
}

static int se_predict(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    simec_input x;
    mat *O;
    core_err e;
    double bytes;
    bind_checkinput(L, m, 2, &x, "SimEc");
    bytes = (double)x.n * (double)m->cfg.out_dim * 8;
    if (bytes > (double)bind_dense_limit)
        return luaL_error(L, "predict: the dense %dx%d output would take %.0f MB (limit %.0f MB); use predict_at "
                             "with a pattern, or raise sparse.dense_limit",
                          (int)x.n, (int)m->cfg.out_dim, bytes / 1048576, (double)bind_dense_limit / 1048576);
    O = bind_newmat(L);
    BIND_CALL(L, &e, simec_predict(m, &x, O, &e));
    return 1;
}

static int se_predict_at(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    simec_input x;
    spm *P, *out;
    core_err e;
    bind_checkinput(L, m, 2, &x, "SimEc");
    P = bind_checkspm(L, 3);
    out = bind_newspm(L);
    BIND_CALL(L, &e, simec_predict_at(m, &x, P, out, &e));
    return 1;
}

/* model:loss(X, T): the mean data loss (no regularisers) */
static int se_loss(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    simec_input x;
    simec_target t;
    core_err e;
    double loss;
    bind_checkinput(L, m, 2, &x, "SimEc");
    checktarget(L, 3, &t);
    if (simec_check_input(m, &x, "loss", &e) || simec_check_target(m, &x, &t, "loss", &e))
        return bind_raise(L, &e);
    BIND_CALL(L, &e, simec_eval_loss(m, &x, &t, 256, &loss, &e));
    lua_pushnumber(L, loss);
    return 1;
}

/* A layer's weights as a matrix in the reference's orientation (in x out) */
static void push_weights(lua_State *L, const simec *m, size_t l)
{
    const simec_layer *Ly = &m->layer[l];
    const double *W = m->theta + Ly->w_off;
    mat *M = bind_newmat(L);
    core_err e;
    size_t i, j;
    BIND_CALL(L, &e, mat_init_uninit(M, Ly->in, Ly->out, &e));
    for (i = 0; i < Ly->in; i++)
        for (j = 0; j < Ly->out; j++)
            MAT_AT(M, i, j) = l == m->nl - 1 ? W[j * Ly->in + i] : W[i * Ly->out + j];
}

/* model:layers(): {{W = matrix, b = matrix or nil, activation = name, kind = "hidden" | "embedding" | "last"}} */
static int se_layers(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    size_t l, j;
    lua_createtable(L, (int)m->nl, 0);
    for (l = 0; l < m->nl; l++) {
        const simec_layer *Ly = &m->layer[l];
        lua_createtable(L, 0, 4);
        push_weights(L, m, l);
        lua_setfield(L, -2, "W");
        if (Ly->b_off != (size_t)-1) {
            mat *b = bind_newmat(L);
            core_err e;
            BIND_CALL(L, &e, mat_init_uninit(b, 1, Ly->out, &e));
            for (j = 0; j < Ly->out; j++)
                b->x[j] = m->theta[Ly->b_off + j];
            lua_setfield(L, -2, "b");
        }
        lua_pushstring(L, simec_act_names[Ly->act]);
        lua_setfield(L, -2, "activation");
        lua_pushstring(L, l == m->nl - 1 ? "last" : l == m->nl - 2 ? "embedding" : "hidden");
        lua_setfield(L, -2, "kind");
        lua_rawseti(L, -2, (lua_Integer)l + 1);
    }
    return 1;
}

/* model:set_layer(i, {W = matrix, b = matrix}) */
static int se_set_layer(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    lua_Integer li = luaL_checkinteger(L, 2);
    const simec_layer *Ly;
    mat *W = NULL, *b = NULL;
    size_t i, j;
    luaL_checktype(L, 3, LUA_TTABLE);
    if (li < 1 || (size_t)li > m->nl)
        return luaL_error(L, "set_layer: layer %d out of range 1..%d", (int)li, (int)m->nl);
    Ly = &m->layer[li - 1];
    lua_getfield(L, 3, "W");
    if (!lua_isnil(L, -1)) {
        W = bind_checkmat(L, -1);
        if (W->rows != Ly->in || W->cols != Ly->out)
            return luaL_error(L, "set_layer: W is %dx%d, layer %d expects %dx%d", (int)W->rows, (int)W->cols, (int)li,
                              (int)Ly->in, (int)Ly->out);
    }
    lua_getfield(L, 3, "b");
    if (!lua_isnil(L, -1)) {
        b = bind_checkmat(L, -1);
        if (Ly->b_off == (size_t)-1)
            return luaL_error(L, "set_layer: the last layer has no bias");
        if (b->rows * b->cols != Ly->out || (b->rows != 1 && b->cols != 1))
            return luaL_error(L, "set_layer: b is %dx%d, layer %d expects 1x%d", (int)b->rows, (int)b->cols, (int)li,
                              (int)Ly->out);
    }
    if (W)
        for (i = 0; i < Ly->in; i++)
            for (j = 0; j < Ly->out; j++)
                m->theta[Ly->w_off + ((size_t)li == m->nl ? j * Ly->in + i : i * Ly->out + j)] = MAT_AT(W, i, j);
    if (b)
        for (j = 0; j < Ly->out; j++)
            m->theta[Ly->b_off + j] = b->rows == 1 ? MAT_AT(b, 0, j) : MAT_AT(b, j, 0);
    return 0;
}

static int se_save(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    const char *path = luaL_checkstring(L, 2);
    core_err e;
    BIND_CALL(L, &e, simec_save(m, path, &e));
    return 0;
}

static int se_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    simec *m = lua_newuserdatauv(L, sizeof *m, 0);
    core_err e;
    memset(m, 0, sizeof *m);
    luaL_setmetatable(L, SIMEC_T);
    BIND_CALL(L, &e, simec_load(m, path, &e));
    return 1;
}

static int se_tostring(lua_State *L)
{
    simec *m = luaL_checkudata(L, 1, SIMEC_T);
    luaL_Buffer b;
    size_t l;
    if (!m->theta) {
        lua_pushliteral(L, "SimEc (closed)");
        return 1;
    }
    luaL_buffinit(L, &b);
    if (m->cfg.input == SIMEC_IN_IDENTITY)
        lua_pushfstring(L, "SimEc: identity(%d)", (int)m->cfg.in_dim);
    else
        lua_pushfstring(L, "SimEc: features(%d)", (int)m->cfg.in_dim);
    luaL_addvalue(&b);
    for (l = 0; l < m->nl; l++) {
        lua_pushfstring(L, " -> %d %s%s", (int)m->layer[l].out, simec_act_names[m->layer[l].act],
                        l == m->nl - 2 ? " (embedding)" : l == m->nl - 1 ? (m->cfg.wll_frozen ? " (frozen)" : "") : "");
        luaL_addvalue(&b);
    }
    lua_pushfstring(L, "; %I parameters; loss %s, missing %s; %s lr %f", (LUAI_UACINT)m->n_params,
                    simec_loss_names[m->cfg.loss], m->cfg.missing == SIMEC_MASK ? "mask" : "zero",
                    simec_opt_names[m->cfg.opt], m->cfg.lr);
    luaL_addvalue(&b);
    luaL_pushresult(&b);
    return 1;
}

/* model:config(): sizes and settings as a table */
static int se_config(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    const simec_cfg *c = &m->cfg;
    lua_createtable(L, 0, 16);
    lua_pushstring(L, c->input == SIMEC_IN_IDENTITY ? "identity" : "features");
    lua_setfield(L, -2, "input");
    lua_pushinteger(L, (lua_Integer)c->in_dim);
    lua_setfield(L, -2, "input_dim");
    lua_pushinteger(L, (lua_Integer)c->emb_dim);
    lua_setfield(L, -2, "embedding");
    lua_pushinteger(L, (lua_Integer)c->out_dim);
    lua_setfield(L, -2, "output");
    lua_pushinteger(L, (lua_Integer)m->n_params);
    lua_setfield(L, -2, "params");
    lua_pushstring(L, simec_loss_names[c->loss]);
    lua_setfield(L, -2, "loss");
    lua_pushstring(L, c->missing == SIMEC_MASK ? "mask" : "zero");
    lua_setfield(L, -2, "missing");
    lua_pushstring(L, simec_opt_names[c->opt]);
    lua_setfield(L, -2, "optimizer");
    lua_pushnumber(L, c->lr);
    lua_setfield(L, -2, "lr");
    lua_pushinteger(L, (lua_Integer)m->step);
    lua_setfield(L, -2, "steps");
    lua_pushinteger(L, (lua_Integer)m->epochs);
    lua_setfield(L, -2, "epochs");
    lua_pushboolean(L, c->wll_frozen);
    lua_setfield(L, -2, "wll_frozen");
    return 1;
}

static int se_newindex(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "wll_frozen") == 0) { /* e.g. to fine-tune against another model's embeddings */
        m->cfg.wll_frozen = lua_toboolean(L, 3);
        return 0;
    }
    if (strcmp(k, "lr") != 0)
        return luaL_error(L, "SimEc: cannot set '%s' (only lr and wll_frozen can be set; see m:config())", k);
    m->cfg.lr = luaL_checknumber(L, 3);
    if (!(m->cfg.lr > 0 && isfinite(m->cfg.lr)))
        return luaL_error(L, "SimEc: lr must be positive");
    return 0;
}

/* The REPL shows a fit's history as one line: epochs, the loss from the
 * first to the last epoch (and the validation loss when there was one),
 * the best epoch and why it stopped; h.seconds keeps the timings. */
static double history_at(lua_State *L, int h, const char *field, lua_Integer i)
{
    double v;
    lua_getfield(L, h, field);
    v = lua_istable(L, -1) && lua_geti(L, -1, i) == LUA_TNUMBER ? lua_tonumber(L, -1) : (double)NAN;
    lua_settop(L, h);
    return v;
}

static int history_tostring(lua_State *L)
{
    luaL_Buffer b;
    lua_Integer n, best;
    int h = 1;
    luaL_checktype(L, h, LUA_TTABLE);
    lua_settop(L, h);
    lua_getfield(L, h, "epochs");
    n = lua_tointeger(L, -1);
    lua_getfield(L, h, "best_epoch");
    best = lua_tointeger(L, -1);
    lua_settop(L, h);
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "fit history: %I epoch%s", n, n == 1 ? "" : "s");
    luaL_addvalue(&b);
    if (n > 0) {
        char line[160];
        double l0 = history_at(L, h, "loss", 1), l1 = history_at(L, h, "loss", n);
        double v0 = history_at(L, h, "val", 1), v1 = history_at(L, h, "val", n);
        snprintf(line, sizeof line, ", loss %.4g -> %.4g", l0, l1);
        luaL_addstring(&b, line);
        if (!isnan(v0)) {
            snprintf(line, sizeof line, ", validation %.4g -> %.4g", v0, v1);
            luaL_addstring(&b, line);
        }
        lua_pushfstring(L, ", best epoch %I", best);
        luaL_addvalue(&b);
    }
    lua_getfield(L, h, "stopped");
    if (lua_toboolean(L, -1))
        luaL_addstring(&b, ", stopped by on_epoch");
    lua_pop(L, 1);
    luaL_pushresult(&b);
    return 1;
}

static const char *const help[] = {
    "SimEc", "Similarity Encoders: input (identity, dense or sparse features) -> optional hidden layers -> linear "
    "embedding -> last linear layer W_ll (no bias) -> outputs approximating a row of a rating or similarity matrix. "
    "Settable fields: m.lr (the learning rate), m.wll_frozen.",
    "SimEc.new{...}", "A model. input = n | \"identity\" (with rows = n), embedding, output, hidden = {{500, \"tanh\"}, "
    "...} (linear, tanh, relu, sigmoid, leaky_relu), ll_activation (linear | sigmoid), loss (mse | mae | bce), "
    "missing (\"zero\" | \"mask\"), l2_reg, l2_reg_emb, l2_reg_out, s_ll_reg with S_ll, orth_reg, W_ll, wll_frozen, "
    "optimizer (\"adamax\" | \"adam\" | \"sgd\" or {name, lr =, beta1 =, beta2 =, eps =, momentum =}), seed.",
    "SimEc.load(path)", "A model saved with m:save; the file's magic, version, sizes and CRC32 are checked before "
    "anything is allocated.",
    "SimEc.is(x)", "Whether x is a SimEc model.",
    "SimEc:fit(X, T [, opts])", "Trains on inputs X (nil for identity input) and targets T (sparse or dense with NaN "
    "for missing; rows = inputs). opts: epochs (10), batch_size (32), shuffle, seed, validation = {Xv, Tv}, verbose, "
    "on_epoch = function(epoch, loss, val) (return false to stop), keep_best, lr_plateau = {factor, patience, min_lr}, "
    "negatives, negative_sampling (\"uniform\" | \"popularity\"). Returns the history {loss, val, seconds, epochs, "
    "best_epoch, stopped, lr, initial_epoch}; checkpoint = path | {path =, every = 1} saves the model after every "
    "n-th epoch; initial_epoch = m:config().epochs resumes a loaded checkpoint (epochs is the last epoch's number). "
    "Ctrl-C stops after the batch with the last completed (or best) epoch's weights.",
    "SimEc:transform(X)", "The embeddings of the rows of X (nil: every identity row).",
    "SimEc:predict(X)", "The dense outputs for the rows of X (refused above sparse.dense_limit()).",
    "SimEc:predict_at(X, P)", "The outputs only at the stored entries of P (rows = inputs), as a sparse matrix with "
    "P's structure: how test ratings are evaluated.",
    "SimEc:loss(X, T)", "The mean data loss on X, T (no regularisers).",
    "SimEc:layers()", "Each layer as {W = matrix (in x out), b = matrix or nil, activation, kind = \"hidden\" | "
    "\"embedding\" | \"last\"} (copies).",
    "SimEc:set_layer(i, {W = matrix, b = matrix})", "Replaces layer i's weights (and bias); shapes must match.",
    "SimEc:save(path)", "Writes the model (weights, optimiser state, settings; versioned, CRC32) through a temporary "
    "file that is fsynced and renamed: a failed save never damages an existing file.",
    "SimEc:config()", "The model's sizes and settings as a table.",
    HISTORY_T, "What m:fit returns: loss, val and seconds (one entry per epoch of this call), epochs, best_epoch, "
    "stopped, lr, initial_epoch, negatives_capped. Printing it gives the epochs, the first and last loss (and "
    "validation loss) and the best epoch.",
    NULL};

static int se_is(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, SIMEC_T) != NULL);
    return 1;
}

/* The methods table's __index(methods, key), reached only for a key the C
 * methods lack: SimEc's methods written in Lua (lua/simec/simec_methods.lua)
 * are required then, once, and join the table, so they are looked up (and
 * completed in the REPL) like the C ones from then on. The module is loaded
 * at first use, not when the binding opens: it requires "simec" itself. */
static int lua_methods(lua_State *L)
{
    if (lua_getfield(L, lua_upvalueindex(1), "loaded") == LUA_TNIL) {
        lua_pushboolean(L, 1);
        lua_setfield(L, lua_upvalueindex(1), "loaded"); /* one attempt: a missing module is its error, once */
        lua_getglobal(L, "require");
        lua_pushliteral(L, "simec.simec_methods");
        lua_call(L, 1, 1);
        if (!lua_istable(L, -1))
            return luaL_error(L, "simec.simec_methods: expected a table of methods, got %s", bind_typename(L, -1));
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, 1); /* methods[name] = function */
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_rawget(L, 1); /* key is at 2 */
    return 1;
}

int luaopen_simec_simec(lua_State *L)
{
    static const luaL_Reg methods[] = {{"fit", se_fit},         {"transform", se_transform}, {"predict", se_predict},
                                       {"predict_at", se_predict_at}, {"loss", se_loss},   {"layers", se_layers},
                                       {"set_layer", se_set_layer}, {"save", se_save},     {"config", se_config},
                                       {NULL, NULL}};
    static const luaL_Reg meta[] = {{"__gc", se_gc},           {"__close", se_close}, {"__tostring", se_tostring},
                                    {"__newindex", se_newindex}, {NULL, NULL}};
    static const luaL_Reg funcs[] = {{"new", se_new}, {"load", se_load}, {"is", se_is}, {NULL, NULL}};
    bind_add_help(L, help);
    luaL_newmetatable(L, HISTORY_T);
    lua_pushcfunction(L, history_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_newmetatable(L, SIMEC_T);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods); /* a table, so the REPL completes method names */
    lua_createtable(L, 0, 1);
    lua_newtable(L); /* the loader's state */
    lua_pushcclosure(L, lua_methods, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    return 1;
}
