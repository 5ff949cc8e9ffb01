"""The peer of scripts/bench/dti.sh: KronRLS with GIP kernels vectorised
with numpy the way the field's reference code does it (van Laarhoven et
al. 2011: two symmetric eigendecompositions, the filter applied in the
eigenbases, the fitted values back in one pass), on the folds simec wrote.
Each side's kernel is 0.5 similarity + 0.5 GIP (bandwidth 1 over the mean
squared profile norm), sigma 1. Prints "fold F seconds S sum Z" per fold
(Z: the sum of the fold's test scores, equal to simec's when both compute
the same thing).
  python3 dti_numpy.py DIR   (DIR: Y.txt, Sd.txt, St.txt, folds.txt from dti.lua write)
"""
import sys
import time

import numpy as np

d = sys.argv[1]
with open(d + "/Y.txt") as f:
    nd, nt = (int(x) for x in f.readline().split())
    pairs = np.loadtxt(f, dtype=np.int64, ndmin=2)
Y = np.zeros((nd, nt))
Y[pairs[:, 0], pairs[:, 1]] = 1
Sd, St = np.loadtxt(d + "/Sd.txt", ndmin=2), np.loadtxt(d + "/St.txt", ndmin=2)
folds = np.loadtxt(d + "/folds.txt", dtype=np.int64, ndmin=2)


def gip(P):
    """Gaussian interaction-profile kernel of P's rows"""
    sq = np.einsum("ij,ij->i", P, P)
    mean = sq.mean()
    gamma = 1.0 / mean if mean > 0 else 0.0
    D = sq[:, None] + sq[None, :] - 2 * (P @ P.T)
    return np.exp(-gamma * np.maximum(D, 0))


for k in range(1, folds[:, 0].max() + 1):
    rows, cols = folds[folds[:, 0] == k, 1], folds[folds[:, 0] == k, 2]
    t = time.perf_counter()
    Ytr = Y.copy()
    Ytr[rows, cols] = 0
    Kd = 0.5 * Sd + 0.5 * gip(Ytr)
    Kt = 0.5 * St + 0.5 * gip(Ytr.T)
    wd, Ud = np.linalg.eigh(Kd)
    wt, Ut = np.linalg.eigh(Kt)
    L = np.outer(wd, wt)
    F = Ud @ ((L / (L + 1.0)) * (Ud.T @ Ytr @ Ut)) @ Ut.T
    s = F[rows, cols].sum()
    print("fold %d seconds %.4f sum %.10g" % (k, time.perf_counter() - t, s))
