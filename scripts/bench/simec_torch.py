"""The PyTorch peer of scripts/bench/simec.sh: the same SimEc (sparse item
features or identity -> 100-d linear embedding -> all users, no bias on the
last layer), masked or zero-filled mse, Adamax lr 0.001, batch 32, Glorot
init, targets = ratings minus their global mean; dense outputs per batch as
the reference implementation computes them.
  python3 simec_torch.py RATINGS.tsv ITEM_FEATURES.tsv VARIANT EPOCHS [SEED [MODE]]
MODE "stock" (default): the model as a PyTorch user writes it. "best": the
same model with the usual speed practice: threads = cores, the multi-tensor
(foreach) Adamax step, gradients set to None rather than zeroed, and each
batch's dense targets and mask written into buffers allocated once instead
of new arrays a batch (simec.sh also tunes glibc's malloc for it).
Prints "epoch SECONDS LOSS" per epoch."""
import os, sys, time
import numpy as np, pandas as pd, scipy.sparse as sp, torch

ratings, features, variant, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
best = len(sys.argv) > 6 and sys.argv[6] == "best"
torch.set_num_threads(os.cpu_count() if best else 2)
torch.manual_seed(seed)
np.random.seed(seed)
df = pd.read_csv(ratings, sep="\t", header=None, names=["user", "item", "rating"], dtype={"user": str, "item": str})
items, ii = np.unique(df["item"].values, return_inverse=True)
users, uu = np.unique(df["user"].values, return_inverse=True)
vals = df["rating"].values.astype(np.float32)
T = sp.csr_matrix((vals - vals.mean(), (ii, uu)), shape=(len(items), len(users)))
fd = pd.read_csv(features, sep="\t", header=None, names=["item", "token"], dtype=str)
pos = {k: i for i, k in enumerate(items)}
fd = fd[fd["item"].isin(pos)]  # small runs leave some items unrated
toks, tt = np.unique(fd["token"].values, return_inverse=True)
X = sp.csr_matrix((np.ones(len(fd), np.float32), (fd["item"].map(pos).values, tt)), shape=(len(items), len(toks)))
inp, miss = variant.split("-")
n_in = X.shape[1] if inp == "X" else len(items)
first = torch.nn.Linear(n_in, 100)
last = torch.nn.Linear(100, len(users), bias=False)
for lay in (first, last):
    torch.nn.init.xavier_uniform_(lay.weight)
torch.nn.init.zeros_(first.bias)
opt = torch.optim.Adamax(list(first.parameters()) + list(last.parameters()), lr=0.001, eps=1e-8,
                         **({"foreach": True} if best else {}))
tbuf = torch.zeros(32, len(users)) if best else None
mbuf = torch.zeros(32, len(users)) if best else None


def batch_targets(tb):
    """The batch's dense targets and mask: new arrays (stock) or the buffers, refilled"""
    if not best:
        return torch.from_numpy(tb.toarray()), torch.from_numpy((tb != 0).toarray().astype(np.float32))
    t, m = tbuf[:tb.shape[0]], mbuf[:tb.shape[0]]
    t.zero_(), m.zero_()
    c = tb.tocoo()
    at = (torch.from_numpy(c.row.astype(np.int64)), torch.from_numpy(c.col.astype(np.int64)))
    t.index_put_(at, torch.from_numpy(c.data))
    m.index_put_(at, torch.ones(len(c.data)))
    return t, m


def batch_input(idx):
    if inp == "I":
        return None
    b = X[idx].tocoo()
    return torch.sparse_coo_tensor(np.vstack([b.row, b.col]), b.data, b.shape)


for epoch in range(epochs):
    t0, total = time.time(), 0.0
    perm = np.random.permutation(T.shape[0])
    for b0 in range(0, len(perm), 32):
        idx = perm[b0:b0 + 32]
        xb = batch_input(idx)
        emb = first.weight.t()[torch.from_numpy(idx)] + first.bias if xb is None else \
            torch.sparse.mm(xb, first.weight.t()) + first.bias
        out = last(emb)
        target, mask = batch_targets(T[idx])
        if miss == "mask":
            loss = ((mask * (out - target)) ** 2).sum(1) / mask.sum(1).clamp(min=1)
        else:
            loss = ((out - target) ** 2).mean(1)
        loss = loss.mean()
        opt.zero_grad(set_to_none=best)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    print("epoch %.3f %.6f" % (time.time() - t0, total / T.shape[0]), flush=True)
