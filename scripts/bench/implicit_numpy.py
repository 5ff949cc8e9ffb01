"""The peer of scripts/bench/implicit.sh: iALS (Hu, Koren and Volinsky
2008) with conjugate-gradient half-steps (Takacs et al. 2011), vectorised
with numpy and scipy the way a careful Python user writes it: each CG step
updates every row at once (the rows' scalars as vectors), the products at
the stored interactions computed in chunks of a million, the sparse product
by scipy. Prints "iter I seconds S" per sweep, then "loss L" (the
objective, as simec's side computes it).
  python3 implicit_numpy.py DIR K ITERS ALPHA LAMBDA STEPS   (DIR: interactions.txt, shape.txt)
With "ease DIR LAMBDA": EASE's fit (Steck 2019) as its paper's code does it
(the Gram matrix X^T X, np.linalg.inv), "seconds S items N sum B".
"""
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

if sys.argv[1] == "ease":
    d, lam = sys.argv[2], float(sys.argv[3])
    shape = tuple(int(x) for x in open(d + "/shape.txt").read().split())
    df = pd.read_csv(d + "/interactions.txt", sep=" ", header=None, names=["u", "i"], dtype=np.int64)
    X = sp.csr_matrix((np.ones(len(df)), (df.u.values, df.i.values)), shape=shape)
    t = time.perf_counter()
    G = (X.T @ X).toarray()
    G[np.diag_indices(G.shape[0])] += lam
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    B[np.diag_indices(B.shape[0])] = 0
    print("seconds %.4f items %d sum %.10g" % (time.perf_counter() - t, B.shape[0], B.sum()))
    sys.exit(0)
d, k, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
alpha, lam, steps = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
shape = tuple(int(x) for x in open(d + "/shape.txt").read().split())
df = pd.read_csv(d + "/interactions.txt", sep=" ", header=None, names=["u", "i"], dtype=np.int64)
X = sp.csr_matrix((np.ones(len(df)), (df.u.values, df.i.values)), shape=shape)
Xt = X.T.tocsr()
CHUNK = 1 << 20


def stored_dots(X, rows, V, G):
    """v_u . g_i at every stored (u, i) of X, in X's order"""
    out = np.empty(X.nnz)
    for c in range(0, X.nnz, CHUNK):
        r, i = rows[c:c + CHUNK], X.indices[c:c + CHUNK]
        out[c:c + CHUNK] = np.einsum("ij,ij->i", V[r], G[i])
    return out


def half_step(X, F, G):
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    A0 = G.T @ G + lam * np.eye(G.shape[1])

    def apply(V):
        S = sp.csr_matrix((alpha * stored_dots(X, rows, V, G), X.indices, X.indptr), shape=X.shape)
        return V @ A0 + S @ G

    R = (1 + alpha) * (X @ G) - apply(F)
    P = R.copy()
    rs = np.einsum("ij,ij->i", R, R)
    for _ in range(steps):
        AP = apply(P)
        pAP = np.einsum("ij,ij->i", P, AP)
        a = np.divide(rs, pAP, out=np.zeros_like(rs), where=pAP > 0)
        F += a[:, None] * P
        R -= a[:, None] * AP
        rn = np.einsum("ij,ij->i", R, R)
        P = R + np.divide(rn, rs, out=np.zeros_like(rn), where=rs > 0)[:, None] * P
        rs = rn
    return F


# the starting item factors of simec's side (its generator is NumPy's legacy MT19937)
Y = np.random.RandomState(13).standard_normal((X.shape[1], k)) * 0.01
U = np.zeros((X.shape[0], k))
for it in range(1, iters + 1):
    t = time.perf_counter()
    U = half_step(X, U, Y)
    Y = half_step(Xt, Y, U)
    print("iter %d seconds %.4f" % (it, time.perf_counter() - t), flush=True)
rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
z = stored_dots(X, rows, U, Y)
loss = np.sum((U.T @ U) * (Y.T @ Y)) + np.sum((1 + alpha) * (1 - z) ** 2 - z ** 2)
print("loss %.10g" % (loss + lam * (np.sum(U * U) + np.sum(Y * Y))))
