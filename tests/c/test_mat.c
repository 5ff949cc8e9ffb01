#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "alloc.h"
#include "blas.h"
#include "mat.h"
#include "rng.h"
#include "spm.h"

static mat M(size_t r, size_t c, const double *v)
{
    mat m;
    size_t i;
    mat_init(&m, r, c, NULL);
    for (i = 0; i < r * c; i++)
        m.x[i] = v[i];
    return m;
}

static mat R(size_t r, size_t c, uint32_t seed)
{
    mat m;
    rng g;
    size_t i;
    rng_seed(&g, seed);
    mat_init(&m, r, c, NULL);
    for (i = 0; i < r * c; i++)
        m.x[i] = rng_normal(&g);
    return m;
}

static double fro(const mat *a)
{
    mat n;
    double v;
    mat_reduce(&n, a, MAT_NORM, 0, NULL);
    v = n.x[0];
    mat_release(&n);
    return v;
}

/* ||A*B - C|| / (||A|| ||B||) */
static double prod_resid(const mat *a, const mat *b, const mat *c)
{
    mat p, d;
    double r;
    mat_gemm(&p, a, b, NULL);
    mat_binop(&d, &p, c, MAT_SUB, "-", NULL);
    r = fro(&d) / (fro(a) * fro(b) + 1e-300);
    mat_release(&p);
    mat_release(&d);
    return r;
}

static void test_views_share_storage(void)
{
    double v[] = {1, 2, 3, 4, 5, 6};
    mat a = M(2, 3, v), row, col, sub;
    mat_view(&row, &a, 1, 0, 1, 3);
    mat_view(&col, &a, 0, 2, 2, 1);
    mat_view(&sub, &a, 0, 1, 2, 2);
    CHECK(MAT_AT(&row, 0, 1) == 5);
    CHECK(MAT_AT(&col, 1, 0) == 6);
    CHECK(!mat_is_contig(&sub) && mat_is_contig(&row));
    MAT_AT(&sub, 1, 1) = 60;
    mat_release(&a); /* the views keep the storage */
    CHECK(MAT_AT(&col, 1, 0) == 60);
    CHECK(MAT_AT(&row, 0, 2) == 60);
    mat_release(&row);
    mat_release(&col);
    mat_release(&sub);
}

static void test_transpose_select_stack(void)
{
    mat a = R(70, 45, 1), t, s, h, vv, parts[2];
    size_t i, j, idx[] = {4, 0, 4};
    core_err e;
    CHECK(mat_transpose(&t, &a, NULL) == CORE_OK);
    for (i = 0; i < 70; i++)
        for (j = 0; j < 45; j++)
            CHECK(MAT_AT(&t, j, i) == MAT_AT(&a, i, j));
    CHECK(mat_select_rows(&s, &a, idx, 3, NULL) == CORE_OK);
    CHECK(s.rows == 3 && MAT_AT(&s, 0, 7) == MAT_AT(&a, 4, 7) && MAT_AT(&s, 2, 3) == MAT_AT(&a, 4, 3));
    mat_release(&s);
    CHECK(mat_select_cols(&s, &a, idx, 3, NULL) == CORE_OK);
    CHECK(s.cols == 3 && MAT_AT(&s, 9, 1) == MAT_AT(&a, 9, 0));
    mat_release(&s);
    idx[1] = 70;
    CHECK(mat_select_rows(&s, &a, idx, 3, &e) == CORE_EINVAL);
    CHECK_MSG(e, "row index 71 out of range for a 70x45 matrix");
    parts[0] = a, parts[1] = t;
    CHECK(mat_stack(&h, parts, 2, 1, &e) == CORE_EINVAL);
    CHECK_MSG(e, "hstack: 70x45 and 45x70 do not conform (part 2)");
    parts[1] = a;
    CHECK(mat_stack(&h, parts, 2, 1, NULL) == CORE_OK && h.rows == 70 && h.cols == 90);
    CHECK(MAT_AT(&h, 3, 50) == MAT_AT(&a, 3, 5));
    CHECK(mat_stack(&vv, parts, 2, 0, NULL) == CORE_OK && vv.rows == 140 && vv.cols == 45);
    CHECK(MAT_AT(&vv, 75, 2) == MAT_AT(&a, 5, 2));
    mat_release(&h);
    mat_release(&vv);
    mat_release(&t);
    mat_release(&a);
}

static void test_binop_broadcast(void)
{
    double va[] = {1, 2, 3, 4, 5, 6}, vr[] = {10, 20, 30}, vc[] = {100, 200};
    mat a = M(2, 3, va), r = M(1, 3, vr), c = M(2, 1, vc), o, bad;
    core_err e;
    CHECK(mat_binop(&o, &a, &r, MAT_ADD, "+", NULL) == CORE_OK);
    CHECK(MAT_AT(&o, 1, 2) == 36 && MAT_AT(&o, 0, 0) == 11);
    mat_release(&o);
    CHECK(mat_binop(&o, &c, &a, MAT_SUB, "-", NULL) == CORE_OK);
    CHECK(MAT_AT(&o, 1, 0) == 196 && MAT_AT(&o, 0, 2) == 97);
    mat_release(&o);
    CHECK(mat_binop(&o, &a, &a, MAT_DIV, "/", NULL) == CORE_OK && MAT_AT(&o, 1, 1) == 1);
    mat_release(&o);
    CHECK(mat_scalar(&o, &a, 2, MAT_SUB, 1, NULL) == CORE_OK && MAT_AT(&o, 0, 2) == -1);
    mat_release(&o);
    CHECK(mat_scalar(&o, &a, 2, MAT_POW, 0, NULL) == CORE_OK && MAT_AT(&o, 1, 2) == 36);
    mat_release(&o);
    mat_transpose(&bad, &a, NULL);
    CHECK(mat_binop(&o, &a, &bad, MAT_ADD, "matrix + matrix", &e) == CORE_EINVAL);
    CHECK_MSG(e, "matrix + matrix: 2x3 and 3x2 do not conform");
    mat_release(&bad);
    mat_release(&a);
    mat_release(&r);
    mat_release(&c);
}

static void test_apply(void)
{
    double v[] = {-2, -0.5, 0, 0.5, 3, 800};
    mat a = M(1, 6, v), o;
    int k;
    size_t j;
    mat_init(&o, 1, 6, NULL);
    for (k = 0; k < MAT_FUNC_COUNT; k++) {
        CHECK(mat_apply(&o, &a, k, NULL) == CORE_OK);
        for (j = 0; j < 6; j++) {
            double x = v[j], want;
            switch (k) {
            case MAT_EXP: want = exp(x); break;
            case MAT_LOG: want = log(x); break;
            case MAT_TANH: want = tanh(x); break;
            case MAT_RELU: want = x > 0 ? x : 0; break;
            case MAT_SIGMOID: want = 1 / (1 + exp(-x)); break;
            case MAT_SQRT: want = sqrt(x); break;
            case MAT_ABS: want = fabs(x); break;
            case MAT_SQUARE: want = x * x; break;
            case MAT_NEG: want = -x; break;
            default: want = log1p(x);
            }
            if (isnan(want))
                CHECK(isnan(o.x[j]));
            else if (isinf(want))
                CHECK(o.x[j] == want);
            else
                CHECK_NEAR(o.x[j], want, 1e-15 * (1 + fabs(want)));
        }
    }
    mat_release(&a);
    mat_release(&o);
}

static void test_reduce(void)
{
    double v[] = {1, -2, 3, 4, 5, -6}, big[] = {3e200, 4e200};
    mat a = M(2, 3, v), b = M(1, 2, big), o;
    CHECK(mat_reduce(&o, &a, MAT_SUM, 0, NULL) == CORE_OK && o.x[0] == 5);
    mat_release(&o);
    CHECK(mat_reduce(&o, &a, MAT_MEAN, 1, NULL) == CORE_OK && o.rows == 1 && o.cols == 3);
    CHECK(o.x[0] == 2.5 && o.x[1] == 1.5 && o.x[2] == -1.5);
    mat_release(&o);
    CHECK(mat_reduce(&o, &a, MAT_MAX, 2, NULL) == CORE_OK && o.rows == 2 && o.x[0] == 3 && o.x[1] == 5);
    mat_release(&o);
    CHECK(mat_reduce(&o, &a, MAT_MIN, 0, NULL) == CORE_OK && o.x[0] == -6);
    mat_release(&o);
    CHECK(mat_reduce(&o, &b, MAT_NORM, 0, NULL) == CORE_OK);
    CHECK_NEAR(o.x[0] / 5e200, 1.0, 1e-15);
    mat_release(&o);
    CHECK(mat_dot(&a, &a) == 91);
    mat_release(&a);
    mat_release(&b);
}

static void test_argsort_topk(void)
{
    double v[] = {3, 1, 2, 1, NAN, 0};
    mat a = M(1, 6, v), o, idx, val, r = R(20, 33, 7), srt;
    size_t i, j;
    CHECK(mat_argsort_rows(&o, &a, 0, NULL) == CORE_OK);
    CHECK(o.x[0] == 5 && o.x[1] == 1 && o.x[2] == 3 && o.x[3] == 2 && o.x[4] == 0 && o.x[5] == 4);
    mat_release(&o);
    CHECK(mat_argsort_rows(&o, &a, 1, NULL) == CORE_OK);
    CHECK(o.x[0] == 0 && o.x[1] == 2 && o.x[2] == 1 && o.x[3] == 3 && o.x[5] == 4);
    mat_release(&o);
    /* topk agrees with a full sort, largest and smallest */
    CHECK(mat_argsort_rows(&srt, &r, 1, NULL) == CORE_OK);
    CHECK(mat_topk_rows(&idx, &val, &r, 5, 0, NULL) == CORE_OK);
    for (i = 0; i < 20; i++)
        for (j = 0; j < 5; j++) {
            CHECK(MAT_AT(&idx, i, j) == MAT_AT(&srt, i, j));
            CHECK(MAT_AT(&val, i, j) == MAT_AT(&r, i, (size_t)MAT_AT(&srt, i, j)));
        }
    mat_release(&idx);
    mat_release(&val);
    mat_release(&srt);
    CHECK(mat_argsort_rows(&srt, &r, 0, NULL) == CORE_OK);
    CHECK(mat_topk_rows(&idx, &val, &r, 40, 1, NULL) == CORE_OK && idx.cols == 33);
    for (i = 0; i < 20; i++)
        for (j = 0; j < 33; j++)
            CHECK(MAT_AT(&idx, i, j) == MAT_AT(&srt, i, j));
    mat_release(&idx);
    mat_release(&val);
    mat_release(&srt);
    mat_release(&r);
    mat_release(&a);
}

static void test_gemm(void)
{
    double va[] = {1, 2, 3, 4, 5, 6}, vb[] = {7, 8, 9, 10, 11, 12};
    mat a = M(2, 3, va), b = M(3, 2, vb), o, big1 = R(200, 150, 2), big2 = R(150, 170, 3), want;
    mat v1, v2, col;
    core_err e;
    size_t i, j, k;
    CHECK(mat_gemm(&o, &a, &b, NULL) == CORE_OK);
    CHECK(MAT_AT(&o, 0, 0) == 58 && MAT_AT(&o, 0, 1) == 64 && MAT_AT(&o, 1, 0) == 139 && MAT_AT(&o, 1, 1) == 154);
    mat_release(&o);
    CHECK(mat_gemm(&o, &a, &a, &e) == CORE_EINVAL);
    CHECK_MSG(e, "matrix * matrix: 2x3 and 2x3 do not conform");
    /* naive product on non-contiguous views */
    mat_view(&v1, &big1, 10, 5, 100, 120);
    mat_view(&v2, &big2, 3, 7, 120, 90);
    mat_init(&want, 100, 90, NULL);
    for (i = 0; i < 100; i++)
        for (j = 0; j < 90; j++) {
            double s = 0;
            for (k = 0; k < 120; k++)
                s += MAT_AT(&v1, i, k) * MAT_AT(&v2, k, j);
            MAT_AT(&want, i, j) = s;
        }
    CHECK(prod_resid(&v1, &v2, &want) < 1e-14);
    mat_view(&col, &v2, 0, 4, 120, 1);
    CHECK(mat_gemm(&o, &v1, &col, NULL) == CORE_OK && o.cols == 1);
    for (i = 0; i < 100; i++)
        CHECK_NEAR(MAT_AT(&o, i, 0), MAT_AT(&want, i, 4), 1e-12);
    mat_release(&o);
    core_interrupt_flag = 1;
    CHECK(mat_gemm(&o, &big1, &big2, &e) == CORE_EINTR && o.st == NULL);
    core_interrupt_flag = 0;
    mat_release(&col);
    mat_release(&v1);
    mat_release(&v2);
    mat_release(&want);
    mat_release(&big1);
    mat_release(&big2);
    mat_release(&a);
    mat_release(&b);
}

static void test_solve(void)
{
    mat a = R(50, 50, 4), b = R(50, 3, 5), x, ax, d, s;
    double z[] = {1, 2, 2, 4};
    core_err e;
    CHECK(mat_solve(&x, &a, &b, NULL) == CORE_OK);
    mat_gemm(&ax, &a, &x, NULL);
    mat_binop(&d, &ax, &b, MAT_SUB, "-", NULL);
    CHECK(fro(&d) / (fro(&a) * fro(&x) + fro(&b)) < 1e-14);
    mat_release(&x);
    mat_release(&ax);
    mat_release(&d);
    s = M(2, 2, z);
    CHECK(mat_solve(&x, &s, &b, &e) == CORE_EINVAL);
    CHECK_MSG(e, "solve: 2x2 and 50x3 do not conform");
    mat_release(&b);
    b = R(2, 1, 6);
    CHECK(mat_solve(&x, &s, &b, &e) == CORE_ENUMERIC);
    CHECK_MSG(e, "singular");
    CHECK(mat_solve(&x, &b, &b, &e) == CORE_EINVAL);
    CHECK_MSG(e, "solve: matrix must be square, got 2x1");
    mat_release(&s);
    mat_release(&a);
    mat_release(&b);
}

static void test_cholesky(void)
{
    mat b = R(30, 30, 8), bt, a, l, lt, llt, d;
    double neg[] = {1, 2, 2, 1};
    core_err e;
    size_t i;
    mat_transpose(&bt, &b, NULL);
    mat_gemm(&a, &b, &bt, NULL);
    for (i = 0; i < 30; i++)
        MAT_AT(&a, i, i) += 30;
    CHECK(mat_cholesky(&l, &a, NULL) == CORE_OK);
    CHECK(MAT_AT(&l, 0, 5) == 0 && MAT_AT(&l, 5, 0) != 0);
    mat_transpose(&lt, &l, NULL);
    mat_gemm(&llt, &l, &lt, NULL);
    mat_binop(&d, &llt, &a, MAT_SUB, "-", NULL);
    CHECK(fro(&d) / fro(&a) < 1e-14);
    mat_release(&d);
    mat_release(&l);
    mat_release(&lt);
    mat_release(&llt);
    mat_release(&a);
    a = M(2, 2, neg);
    CHECK(mat_cholesky(&l, &a, &e) == CORE_ENUMERIC);
    CHECK_MSG(e, "not positive definite (leading minor of order 2)");
    mat_release(&a);
    mat_release(&b);
    mat_release(&bt);
}

static double orth_err(const mat *q, int cols) /* ||Q^T Q - I|| or ||Q Q^T - I|| */
{
    mat qt, p;
    double r;
    size_t i;
    mat_transpose(&qt, q, NULL);
    if (cols)
        mat_gemm(&p, &qt, q, NULL);
    else
        mat_gemm(&p, q, &qt, NULL);
    for (i = 0; i < p.rows; i++)
        MAT_AT(&p, i, i) -= 1;
    r = fro(&p);
    mat_release(&qt);
    mat_release(&p);
    return r;
}

static void test_qr(void)
{
    int shape;
    for (shape = 0; shape < 2; shape++) {
        mat a = shape ? R(4, 7, 9) : R(7, 4, 9), q, r;
        size_t i, j;
        CHECK(mat_qr(&q, &r, &a, NULL) == CORE_OK);
        CHECK(q.rows == a.rows && q.cols == 4 && r.rows == 4 && r.cols == a.cols);
        CHECK(prod_resid(&q, &r, &a) < 1e-14);
        CHECK(orth_err(&q, 1) < 1e-14);
        for (i = 0; i < r.rows; i++)
            for (j = 0; j < i && j < r.cols; j++)
                CHECK(MAT_AT(&r, i, j) == 0);
        mat_release(&q);
        mat_release(&r);
        mat_release(&a);
    }
}

static void test_svd(void)
{
    int shape, full;
    for (shape = 0; shape < 2; shape++)
        for (full = 0; full < 2; full++) {
            mat a = shape ? R(4, 6, 10) : R(6, 4, 10), u, s, vt, us;
            size_t i, j;
            CHECK(mat_svd(&u, &s, &vt, &a, full, NULL) == CORE_OK);
            CHECK(s.rows == 4 && s.cols == 1);
            CHECK(u.rows == a.rows && u.cols == (full ? a.rows : 4));
            CHECK(vt.cols == a.cols && vt.rows == (full ? a.cols : 4));
            for (i = 1; i < 4; i++)
                CHECK(s.x[i] <= s.x[i - 1] && s.x[i] >= 0);
            CHECK(orth_err(&u, 1) < 1e-14);
            CHECK(orth_err(&vt, 0) < 1e-14);
            /* A = U[:, :k] diag(S) Vt[:k, :] */
            mat_init(&us, a.rows, 4, NULL);
            for (i = 0; i < a.rows; i++)
                for (j = 0; j < 4; j++)
                    MAT_AT(&us, i, j) = MAT_AT(&u, i, j) * s.x[j];
            {
                mat vk;
                mat_view(&vk, &vt, 0, 0, 4, a.cols);
                CHECK(prod_resid(&us, &vk, &a) < 1e-14);
                mat_release(&vk);
            }
            mat_release(&us);
            mat_release(&u);
            mat_release(&s);
            mat_release(&vt);
            mat_release(&a);
        }
}

static void test_eigh(void)
{
    mat b = R(12, 12, 11), bt, a, w, v, av, vw;
    size_t i, j;
    mat_transpose(&bt, &b, NULL);
    mat_binop(&a, &b, &bt, MAT_ADD, "+", NULL);
    CHECK(mat_eigh(&w, &v, &a, NULL) == CORE_OK);
    for (i = 1; i < 12; i++)
        CHECK(w.x[i] >= w.x[i - 1]);
    mat_gemm(&av, &a, &v, NULL);
    mat_copy(&vw, &v, NULL);
    for (i = 0; i < 12; i++)
        for (j = 0; j < 12; j++)
            MAT_AT(&vw, i, j) *= w.x[j];
    {
        mat d;
        mat_binop(&d, &av, &vw, MAT_SUB, "-", NULL);
        CHECK(fro(&d) / fro(&a) < 1e-13);
        mat_release(&d);
    }
    CHECK(orth_err(&v, 1) < 1e-13);
    mat_release(&b);
    mat_release(&bt);
    mat_release(&a);
    mat_release(&w);
    mat_release(&v);
    mat_release(&av);
    mat_release(&vw);
}

static void test_format(void)
{
    double v[] = {1, -2.5, 3, 1e-7};
    mat a = M(2, 2, v), big = R(30, 30, 1);
    char *s = mat_format(&a, 10, 8, NULL);
    CHECK(s && strcmp(s, "matrix 2x2\n     1  -2.5\n     3 1e-07") == 0);
    core_free(s);
    s = mat_format(&big, 10, 8, NULL);
    CHECK(s && strncmp(s, "matrix 30x30\n", 13) == 0 && strstr(s, "...") != NULL);
    core_free(s);
    mat_release(&a);
    mat_release(&big);
}

/* Every allocation failure of a call gives CORE_ENOMEM and leaks nothing. */
static void test_oom_sweep(void)
{
    mat a = R(9, 7, 12), b = R(7, 5, 13);
    size_t base = core_mem_in_use();
    int which;
    for (which = 0; which < 6; which++) {
        long n;
        for (n = 1; n < 100; n++) {
            mat o1, o2, o3;
            core_err e;
            int rc;
            core_alloc_fail_after(n);
            switch (which) {
            case 0: rc = mat_gemm(&o1, &a, &b, &e); break;
            case 1: rc = mat_svd(&o1, &o2, &o3, &a, 0, &e); break;
            case 2: rc = mat_qr(&o1, &o2, &a, &e); break;
            case 3: rc = mat_argsort_rows(&o1, &a, 0, &e); break;
            case 4: rc = mat_topk_rows(&o1, &o2, &a, 3, 0, &e); break;
            default: rc = mat_reduce(&o1, &a, MAT_SUM, 1, &e);
            }
            core_alloc_fail_after(0);
            if (rc == CORE_OK) {
                mat_release(&o1);
                if (which == 1 || which == 2 || which == 4)
                    mat_release(&o2);
                if (which == 1)
                    mat_release(&o3);
                break;
            }
            CHECK(rc == CORE_ENOMEM);
            CHECK(core_mem_in_use() == base);
        }
        CHECK(core_mem_in_use() == base);
    }
    mat_release(&a);
    mat_release(&b);
}

/* Long loops poll Ctrl-C (issue 16: rand of 5e4 x 4e3, argsort of 4000 x
 * 20000, transposing 1e7 entries went on for seconds): with the flag set
 * each stops at once with CORE_EINTR and nothing leaked. */
static void test_interrupt_polling(void)
{
    mat a, out;
    spm S, T;
    rng g;
    core_err e;
    size_t before;
    mat d;
    CHECK(mat_init(&a, 300, 40, &e) == CORE_OK);
    CHECK(mat_init(&d, 2, 2, &e) == CORE_OK);
    MAT_AT(&d, 0, 1) = 1, MAT_AT(&d, 1, 0) = 2;
    CHECK(spm_from_dense(&S, &d, 0, &e) == CORE_OK);
    mat_release(&d);
    before = core_mem_in_use();
    rng_seed(&g, 1);
    core_interrupt_flag = 1;
    CHECK(rng_fill(&g, &a, 1, &e) == CORE_EINTR);
    CHECK_MSG(e, "interrupted!");
    CHECK(mat_argsort_rows(&out, &a, 0, &e) == CORE_EINTR);
    {   /* an elementwise function polls once per million entries */
        mat big;
        CHECK(mat_init(&big, 2048, 1024, &e) == CORE_OK);
        CHECK(mat_apply(&big, &big, MAT_EXP, &e) == CORE_EINTR);
        CHECK(mat_binop(&out, &big, &big, MAT_ADD, "+", &e) == CORE_EINTR);
        CHECK(mat_scalar(&out, &big, 2, MAT_MUL, 0, &e) == CORE_EINTR);
        CHECK(mat_reduce(&out, &big, MAT_SUM, 0, &e) == CORE_EINTR);
        mat_release(&big);
    }
    CHECK(spm_transpose(&T, &S, &e) == CORE_EINTR);
    core_interrupt_flag = 0;
    CHECK(core_mem_in_use() == before);
    CHECK(rng_fill(&g, &a, 0, &e) == CORE_OK && MAT_AT(&a, 299, 39) >= 0 && MAT_AT(&a, 299, 39) < 1);
    CHECK(spm_transpose(&T, &S, &e) == CORE_OK && spm_get(&T, 0, 1) == 2);
    spm_free(&T);
    spm_free(&S);
    mat_release(&a);
}

/* The raw-array door: each wrapper against a naive product (transposes,
 * leading dimensions past the width), the mirrored Gram matrix, sizes past
 * BLAS's int refused by name before BLAS sees them, and the thread count
 * restored after a scope. */
static void test_blas_door(void)
{
    mat a = R(7, 5, 11), b = R(7, 4, 12), c, want;
    double x[7], y[5], l[9] = {2, 0, 0, 1, 3, 0, -1, 2, 4}, rhs[6] = {1, 2, 3, 4, 5, 6}, sol[6];
    core_err e;
    size_t i, j, k;
    int prev;
    /* c = a^T b (5 x 4) with ldc 6 */
    mat_init(&c, 5, 6, NULL);
    mat_init(&want, 5, 4, NULL);
    for (i = 0; i < 5; i++)
        for (j = 0; j < 4; j++)
            for (k = 0; k < 7; k++)
                MAT_AT(&want, i, j) += MAT_AT(&a, k, i) * MAT_AT(&b, k, j);
    CHECK(blas_gemm("t", BLAS_T, BLAS_N, 5, 4, 7, 1.0, a.x, a.ld, b.x, b.ld, 0.0, c.x, 6, &e) == CORE_OK);
    for (i = 0; i < 5; i++)
        for (j = 0; j < 4; j++)
            CHECK_NEAR(MAT_AT(&c, i, j), MAT_AT(&want, i, j), 1e-13);
    /* the Gram matrix a^T a, both triangles */
    CHECK(blas_gram("t", 5, 7, 2.0, a.x, a.ld, 0.0, c.x, 6, &e) == CORE_OK);
    for (i = 0; i < 5; i++)
        for (j = 0; j < 5; j++) {
            double s = 0;
            for (k = 0; k < 7; k++)
                s += 2.0 * MAT_AT(&a, k, i) * MAT_AT(&a, k, j);
            CHECK_NEAR(MAT_AT(&c, i, j), s, 1e-13);
        }
    /* y = a^T x */
    for (i = 0; i < 7; i++)
        x[i] = (double)i - 3;
    CHECK(blas_gemv("t", BLAS_T, 7, 5, 1.0, a.x, a.ld, x, 0.0, y, &e) == CORE_OK);
    for (j = 0; j < 5; j++) {
        double s = 0;
        for (k = 0; k < 7; k++)
            s += MAT_AT(&a, k, j) * x[k];
        CHECK_NEAR(y[j], s, 1e-13);
    }
    /* l l^T sol = rhs through two triangular solves */
    memcpy(sol, rhs, sizeof sol);
    CHECK(blas_trsm_lower("t", BLAS_N, 3, 2, l, 3, sol, 2, &e) == CORE_OK);
    CHECK(blas_trsm_lower("t", BLAS_T, 3, 2, l, 3, sol, 2, &e) == CORE_OK);
    for (i = 0; i < 3; i++)
        for (j = 0; j < 2; j++) {
            double s = 0;
            size_t q;
            for (k = 0; k < 3; k++)
                for (q = 0; q < 3; q++)
                    s += l[i * 3 + k] * l[q * 3 + k] * sol[q * 2 + j];
            CHECK_NEAR(s, rhs[i * 2 + j], 1e-12);
        }
    /* sizes past INT_MAX fail by name, with nothing read or written */
    CHECK(blas_gemm("ridge", BLAS_N, BLAS_N, (size_t)1 << 31, 1, 1, 1.0, NULL, 1, NULL, 1, 0.0, NULL, 1, &e) ==
          CORE_ETOOBIG);
    CHECK_MSG(e, "ridge: a size exceeds BLAS's int limit (2147483647)");
    CHECK(blas_gemv("svd", BLAS_N, 1, 1, 1.0, NULL, (size_t)1 << 32, NULL, 0.0, NULL, &e) == CORE_ETOOBIG);
    CHECK(blas_gram("g", 1, (size_t)1 << 31, 1.0, NULL, 1, 0.0, NULL, 1, &e) == CORE_ETOOBIG);
    CHECK(blas_symm("s", 1, 1, 1.0, NULL, 1, NULL, (size_t)1 << 31, 0.0, NULL, 1, &e) == CORE_ETOOBIG);
    CHECK(blas_trsm_lower("r", BLAS_T, 1, (size_t)1 << 31, NULL, 1, NULL, 1, &e) == CORE_ETOOBIG);
    CHECK(blas_ger("o", 1, 1, 1.0, NULL, NULL, NULL, (size_t)1 << 31, &e) == CORE_ETOOBIG);
    CHECK(blas_axpy("x", (size_t)1 << 31, 1.0, NULL, NULL, &e) == CORE_ETOOBIG);
    /* a scope's thread count, then the previous one back */
    prev = blas_threads_set(1);
    CHECK(blas_threads() == 1);
    blas_threads_restore(prev);
    CHECK(blas_threads() == prev);
    blas_threads_restore(0); /* nothing set: nothing to restore */
    CHECK(blas_threads() == prev);
    mat_release(&a), mat_release(&b), mat_release(&c), mat_release(&want);
}

int main(void)
{
    RUN(test_interrupt_polling);
    RUN(test_views_share_storage);
    RUN(test_transpose_select_stack);
    RUN(test_binop_broadcast);
    RUN(test_apply);
    RUN(test_reduce);
    RUN(test_argsort_topk);
    RUN(test_gemm);
    RUN(test_blas_door);
    RUN(test_solve);
    RUN(test_cholesky);
    RUN(test_qr);
    RUN(test_svd);
    RUN(test_eigh);
    RUN(test_format);
    RUN(test_oom_sweep);
    return check_summary();
}
