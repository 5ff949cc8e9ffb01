"""The baseline pipeline along the study's own code path (peer (b) of
scripts/bench/baselines.sh): Python line splitting into dicts, scipy
lil_matrix filled entry by entry, means and predictions in Python loops,
scipy svds and sklearn Ridge. Prints "stage seconds" lines.
    /usr/bin/python3 baselines_study.py RATINGS.tsv ITEM_FEATURES.tsv
"""
import sys

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from sklearn.linear_model import Ridge

from bench_stages import report, stage


ratings, pairs = {}, []
with open(sys.argv[1]) as f:
    for line in f:
        user, item, rating = line.rstrip("\n").split("\t")[:3]
        ratings.setdefault(item, {})[user] = float(rating)
        pairs.append((item, user))
items = sorted(ratings)
users = sorted({u for d in ratings.values() for u in d})
iidx = {i: k for k, i in enumerate(items)}
uidx = {u: k for k, u in enumerate(users)}
stage("load")
tokens = {}
with open(sys.argv[2]) as f:
    for line in f:
        item, tok = line.rstrip("\n").split("\t")
        tokens.setdefault(item, []).append(tok)
vocab = sorted({t for ts in tokens.values() for t in ts})
vidx = {v: k for k, v in enumerate(vocab)}
X = sp.lil_matrix((len(items), len(vocab)))
for item, ts in tokens.items():
    if item in iidx:
        for tok in ts:
            X[iidx[item], vidx[tok]] = 1.0
X = X.tocsr()
stage("features")
np.random.seed(13)
np.random.permutation(len(items))
np.random.permutation(len(users))
perm = np.random.permutation(len(pairs))
ntrain = int(0.7 * len(pairs))
train = [pairs[k] for k in perm[:ntrain]]
test = [pairs[k] for k in perm[ntrain:]]
stage("split")
isum, icnt, usum, ucnt = {}, {}, {}, {}
total = 0.0
for item, user in train:
    r = ratings[item][user]
    total += r
    isum[item] = isum.get(item, 0.0) + r
    icnt[item] = icnt.get(item, 0) + 1
    usum[user] = usum.get(user, 0.0) + r
    ucnt[user] = ucnt.get(user, 0) + 1
mu = total / len(train)


def means(item, user):
    p = mu
    if item in icnt:
        p += isum[item] / icnt[item] - mu
    if user in ucnt:
        p += usum[user] / ucnt[user] - mu
    return p


resid = sp.lil_matrix((len(items), len(users)))
for item, user in train:
    resid[iidx[item], uidx[user]] = ratings[item][user] - means(item, user)
resid = resid.tocsr()
stage("means")
U, s, Vt = svds(resid, k=100)
stage("svd")
trained = sorted({iidx[i] for i, u in train})
ridge = Ridge(alpha=250).fit(X[trained], U[trained])
stage("ridge")
Uh = ridge.predict(X) * s
se = 0.0
for item, user in test:
    p = means(item, user) + float(np.dot(Uh[iidx[item]], Vt[:, uidx[user]]))
    se += (p - ratings[item][user]) ** 2
rmse = (se / len(test)) ** 0.5
stage("predict")
report()
print("rmse", "%.6f" % rmse)
