"""The baseline pipeline the vectorised Python way (peer (a) of
scripts/bench/baselines.sh): pandas loading, scipy CSR, the study's split
with NumPy permutations, numpy means, scipy svds, sklearn Ridge, vectorised
prediction. Prints "stage seconds" lines like baselines_simec.lua.
    /usr/bin/python3 baselines_numpy.py RATINGS.tsv ITEM_FEATURES.tsv
"""
import sys

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from sklearn.linear_model import Ridge

from bench_stages import report, stage


df = pd.read_csv(sys.argv[1], sep="\t", header=None, names=["user", "item", "rating"], engine="c",
                 dtype={"user": np.int64, "item": np.int64, "rating": np.float64})
items, item_idx = np.unique(df["item"].values, return_inverse=True)
users, user_idx = np.unique(df["user"].values, return_inverse=True)
R = sp.csr_matrix((df["rating"].values, (item_idx, user_idx)), shape=(len(items), len(users)))
stage("load")
feat = pd.read_csv(sys.argv[2], sep="\t", header=None, names=["item", "token"], dtype={"item": np.int64, "token": str})
pos = pd.Series(np.arange(len(items)), index=items)
feat = feat[feat["item"].isin(pos.index)]
vocab, tok_idx = np.unique(feat["token"].values, return_inverse=True)
X = sp.csr_matrix((np.ones(len(feat)), (pos[feat["item"].values].values, tok_idx)), shape=(len(items), len(vocab)))
X.data[:] = 1.0
stage("features")
np.random.seed(13)  # the study: items, users (ids sorted as strings), then the ratings
np.random.permutation(len(items))
np.random.permutation(len(users))
perm = np.random.permutation(len(df))
ntrain = int(0.7 * len(df))
tr, te = perm[:ntrain], perm[ntrain:]
Rtr = sp.csr_matrix((df["rating"].values[tr], (item_idx[tr], user_idx[tr])), shape=R.shape)
ti, tu, tv = item_idx[te], user_idx[te], df["rating"].values[te]
stage("split")
mu = Rtr.data.mean()
icnt = np.diff(Rtr.indptr)
ucnt = np.bincount(Rtr.indices, minlength=R.shape[1])
isum = np.asarray(Rtr.sum(axis=1)).ravel()
usum = np.asarray(Rtr.sum(axis=0)).ravel()
imean = np.where(icnt > 0, isum / np.maximum(icnt, 1), mu)
umean = np.where(ucnt > 0, usum / np.maximum(ucnt, 1), mu)
coo = Rtr.tocoo()
resid = sp.csr_matrix((coo.data - (imean[coo.row] + umean[coo.col] - mu), (coo.row, coo.col)), shape=R.shape)
stage("means")
U, s, Vt = svds(resid, k=100)
stage("svd")
trained = np.unique(item_idx[tr])
ridge = Ridge(alpha=250).fit(X[trained], U[trained])
stage("ridge")
Uh = ridge.predict(X) * s
V = np.ascontiguousarray(Vt.T)
pred = imean[ti] + umean[tu] - mu
for a in range(0, len(ti), 500000):  # chunks keep the temporaries small
    b = a + 500000
    pred[a:b] += np.einsum("ij,ij->i", Uh[ti[a:b]], V[tu[a:b]])
rmse = np.sqrt(np.mean((pred - tv) ** 2))
stage("predict")
report()
print("rmse", "%.6f" % rmse)
print("svd_top", " ".join("%.17g" % v for v in np.sort(s)[::-1]))
