"""Static document embeddings: token vectors looked up in a table, weighted, mean-pooled and
L2-normalised per document (or per span). No Beam import; numpy in, numpy out.

Two model sources behind one ``Embedder`` interface, both a folder:

* a model trained by ``thresher train embeddings`` (``train_static_model`` below) on a
  deterministic sample of the corpus, tokenized with :func:`token_units` (the project's tokens,
  see ``filters/minhash.py``: words of spaced scripts, one unit per character of Han, Kana, Thai,
  Lao, Khmer, Myanmar): PPMI-SVD token vectors with SIF weights ``a / (a + p(w))``, the mean
  document vector per language of the sample (the common component, subtracted: without it all
  mean-pooled vectors of a language point the same way and unrelated documents look alike), and
  a hashed lexical block. Layout: ``model.safetensors`` (``embeddings`` [V, d], ``weights`` [V],
  ``centers`` [languages, d]), ``vocab.txt`` (row i = token i), ``config.json``
  (``"tokenizer": "thresher_units"``, ``center_langs``, ``hashed_dim``, ``semantic_scale``).
* a model2vec-format folder a user brings: ``model.safetensors`` (``embeddings`` [V, d], optional
  ``weights`` [V]) and a Hugging Face ``tokenizer.json`` (read with the ``tokenizers`` library);
  tokens are the tokenizer's ids, unknown tokens are dropped.

Nothing is downloaded: a folder is read or the constructor fails. Vectors of documents without a
known token are all zero and flagged in the returned mask.
"""
from __future__ import annotations

import json
import os
import struct
import zlib
from typing import Iterable, Sequence

import numpy as np

from filters.counting import Count, no_count
from filters.minhash import IGNORE, UNSPACED, WORD, _fmix64, char_classes, normalize, tokenize

MODEL_FILE = "model.safetensors"
VOCAB_FILE = "vocab.txt"
CONFIG_FILE = "config.json"
TOKENIZER_FILE = "tokenizer.json"
THRESHER_TOKENIZER = "thresher_units"


# ---------------------------------------------------------------------------------------------
# Tokens: the project's units, hashed to 64 bits with numpy over a whole batch

_BASE = np.uint64(0x100000001B3)            # odd, so invertible mod 2**64
_BASE_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_LEN_MIX = np.uint64(0x9E3779B97F4A7C15)


class _Powers:
    """B**k and B**-k mod 2**64 for k < n, grown on demand (one table per process)."""
    pw = np.ones(1, dtype=np.uint64)
    inv = np.ones(1, dtype=np.uint64)

    @classmethod
    def get(cls, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(cls.pw) < n:
            size = max(n, 2 * len(cls.pw))
            with np.errstate(over="ignore"):
                pw = np.full(size, _BASE, dtype=np.uint64)
                pw[0] = 1
                inv = np.full(size, _BASE_INV, dtype=np.uint64)
                inv[0] = 1
                cls.pw, cls.inv = np.cumprod(pw, dtype=np.uint64), np.cumprod(inv, dtype=np.uint64)
        return cls.pw, cls.inv


def token_units(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit token hashes in text order, document index of each token) of ``texts``.

    Tokens are those of ``filters.minhash.tokenize`` (NFKC + casefold; a run of word characters
    is one token, each character of an unspaced script is one token, punctuation and spaces
    separate). ``unit_strings`` gives the same tokens as strings (for training)."""
    n_docs = len(texts)
    if n_docs == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    norm = [normalize(t) for t in texts]
    lengths = np.fromiter((len(s) + 1 for s in norm), dtype=np.int64, count=n_docs)
    cps = np.frombuffer(("\x00".join(norm) + "\x00").encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    doc_of_char = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    cls = char_classes().take(cps)
    keep = cls != IGNORE
    if not keep.all():
        cps, cls, doc_of_char = cps[keep], cls[keep], doc_of_char[keep]
    is_word = cls == WORD
    is_uns = cls == UNSPACED
    prev_word = np.concatenate(([False], is_word[:-1]))
    next_word = np.concatenate((is_word[1:], [False]))
    starts = np.flatnonzero(is_uns | (is_word & ~prev_word))
    ends = np.flatnonzero(is_uns | (is_word & ~next_word)) + 1
    if len(starts) == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    pw, inv = _Powers.get(len(cps) + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(cps) + 1, dtype=np.uint64)
        np.multiply(cps.astype(np.uint64), pw[:len(cps)], out=prefix[1:])
        np.cumsum(prefix[1:], out=prefix[1:])
        poly = (prefix[ends] - prefix[starts]) * inv[starts]
        hashes = _fmix64(poly + (ends - starts).astype(np.uint64) * _LEN_MIX)
    return hashes, doc_of_char[starts]


def unit_strings(text: str) -> list[str]:
    """The tokens of ``token_units`` for one text, as strings (training input)."""
    return tokenize(text)


# ---------------------------------------------------------------------------------------------
# safetensors (the format is a little-endian u64 header length, a JSON header, raw tensors)

_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64,
           "U8": np.uint8, "I8": np.int8, "BF16": None}


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """{name: array} of a .safetensors file (BF16 is widened to float32)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[start:end]
        if info["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"])
    return out


def write_safetensors(path: str, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> None:
    names = {np.dtype(v): k for k, v in _DTYPES.items() if v is not None}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    head = json.dumps(header, sort_keys=True).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in blobs:
            f.write(raw)


# ---------------------------------------------------------------------------------------------
# The embedder

class Embedder:
    """A static embedding model loaded from ``folder`` (see module docstring).

    ``embed(texts, langs=None)`` -> (float32 [n, dim] unit vectors, bool [n] mask of texts with at
    least one usable token). ``embed_spans(text, spans)`` embeds each (start, end) span of one
    text. ``max_tokens`` caps the tokens pooled per text (the first ones).

    A vector has up to two blocks, each pooled over the text's tokens with the token weights:
    * semantic: the model's token vectors (unit length first for thresher models), mean-pooled,
      made unit, the common component of the text's language (or the global one) subtracted,
      made unit again, times ``semantic_scale``;
    * lexical (``hashed_dim`` > 0, thresher models): a sparse random projection of the weighted
      bag of tokens, driven by each token's 64-bit hash, so every token counts, known to the model
      or not (it keeps edited copies close and unrelated texts apart), made unit.
    The concatenation is made unit."""

    batch = 256   # texts tokenized together (larger batches are slower: cache misses)

    def __init__(self, folder: str, max_tokens: int = 20000):
        self.folder, self.max_tokens = folder, max_tokens
        config_path = os.path.join(folder, CONFIG_FILE)
        self.config = json.load(open(config_path, encoding="utf-8")) if os.path.exists(config_path) else {}
        tensors = read_safetensors(os.path.join(folder, MODEL_FILE))
        if "embeddings" not in tensors:
            raise ValueError(f"{folder}/{MODEL_FILE} has no 'embeddings' tensor (found {sorted(tensors)})")
        vectors = np.asarray(tensors["embeddings"], dtype=np.float32)
        if self.config.get("unit_token_vectors"):
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.where(norms > 0, norms, 1.0)
        self.weights = np.asarray(tensors["weights"], dtype=np.float32) if "weights" in tensors else \
            np.ones(len(vectors), dtype=np.float32)
        # the lexical block's token weights (models of ``train_static_model``: SIF with a smaller a, so
        # rare tokens dominate it); models without them weigh both blocks alike
        self.lexical_weights = np.asarray(tensors["lexical_weights"], dtype=np.float32) \
            if "lexical_weights" in tensors else self.weights
        self.vectors = np.ascontiguousarray(vectors * self.weights[:, None])
        langs = self.config.get("center_langs") or []
        centers = np.asarray(tensors["centers"], dtype=np.float32) if "centers" in tensors else None
        self.centers = {lang: centers[i] for i, lang in enumerate(langs)} if centers is not None else {}
        self.semantic_scale = float(self.config.get("semantic_scale", 1.0))
        self.hashed_dim = int(self.config.get("hashed_dim", 0))
        self.oov_weight = float(self.config.get("oov_weight", 1.0))
        if self.hashed_dim % 64:
            raise ValueError(f"{folder}: hashed_dim must be a multiple of 64")
        self.semantic_dim = int(self.vectors.shape[1])
        self.dim = self.semantic_dim + self.hashed_dim
        self.tokenizer = None
        if os.path.exists(os.path.join(folder, TOKENIZER_FILE)):
            from tokenizers import Tokenizer
            self.tokenizer = Tokenizer.from_file(os.path.join(folder, TOKENIZER_FILE))
            self.tokenizer.no_truncation()
            self.tokenizer.no_padding()
            unk = self.config.get("unk_token") or "[UNK]"
            self.unk_id = self.tokenizer.token_to_id(unk)
            self.kind = "model2vec"
            if self.hashed_dim:
                raise ValueError(f"{folder}: hashed_dim needs the thresher tokenizer (vocab.txt)")
        elif os.path.exists(os.path.join(folder, VOCAB_FILE)):
            with open(os.path.join(folder, VOCAB_FILE), encoding="utf-8") as f:
                vocab = f.read().split("\n")
            if vocab and vocab[-1] == "":
                vocab.pop()
            if len(vocab) != len(self.vectors):
                raise ValueError(f"{folder}: {len(vocab)} vocabulary lines for {len(self.vectors)} vectors")
            hashes, doc = token_units(vocab)
            if len(hashes) != len(vocab) or np.any(doc != np.arange(len(vocab))):
                raise ValueError(f"{folder}/{VOCAB_FILE}: every line must be exactly one token")
            order = np.argsort(hashes, kind="stable")
            self._hashes, self._rows = hashes[order], order.astype(np.int64)
            self.kind = "thresher"
        else:
            raise ValueError(f"{folder}: neither {TOKENIZER_FILE} (model2vec) nor {VOCAB_FILE} (thresher train "
                             f"embeddings) found")
        digest = zlib.crc32(self.vectors[: min(64, len(self.vectors))].tobytes())
        digest = zlib.crc32(json.dumps(self.config, sort_keys=True).encode(), digest)
        self.model_id = "%s-%d-%08x" % (self.kind, self.dim, digest & 0xFFFFFFFF)

    def _tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vector row per token, -1 when unknown; document index per token; token hash (thresher
        tokenizer) or row (model2vec)), in text order, at most ``max_tokens`` per text."""
        if self.tokenizer is not None:
            encs = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
            rows = [np.asarray(e.ids[: self.max_tokens], dtype=np.int64) for e in encs]
            doc = np.repeat(np.arange(len(texts), dtype=np.int64), [len(r) for r in rows])
            rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
            bad = (rows < 0) | (rows >= len(self.vectors))
            if self.unk_id is not None:
                bad |= rows == self.unk_id
            rows = np.where(bad, -1, rows)
            return rows, doc, rows.astype(np.uint64)
        hashes, doc = token_units(texts)
        if len(hashes) and self.max_tokens:
            first = np.searchsorted(doc, doc, side="left")
            cap = (np.arange(len(doc)) - first) < self.max_tokens
            hashes, doc = hashes[cap], doc[cap]
        if not len(self._hashes) or not len(hashes):
            return np.full(len(hashes), -1, dtype=np.int64), doc, hashes
        pos = np.minimum(np.searchsorted(self._hashes, hashes), len(self._hashes) - 1)
        known = self._hashes[pos] == hashes
        return np.where(known, self._rows[pos], -1), doc, hashes

    def _rows_of(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(vector row per known token, document index per token)."""
        rows, doc, _ = self._tokens(texts)
        known = rows >= 0
        return rows[known], doc[known]

    def _lexical(self, n: int, doc: np.ndarray, hashes: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """float32 [n, hashed_dim]: each token adds +-weight / 2 to 4 coordinates chosen by its hash
        (a sparse random projection, the count sketch with 4 hashes: inner products of the
        weighted token bags are kept in expectation), summed per text with one bincount."""
        d = self.hashed_dim
        out = np.zeros(n * d, dtype=np.float64)
        with np.errstate(over="ignore"):
            for k in range(4):
                h = _fmix64(hashes ^ np.uint64((0x9E3779B97F4A7C15 * (k + 1)) & 0xFFFFFFFFFFFFFFFF))
                slot = (h % np.uint64(d)).astype(np.int64)
                sign = np.where((h >> np.uint64(63)) == 1, -0.5, 0.5)
                out += np.bincount(doc * d + slot, weights=weights * sign, minlength=n * d)
        return out.reshape(n, d).astype(np.float32)

    def _center(self, lang):
        if lang is not None and lang in self.centers:
            return self.centers[lang]
        return self.centers.get("_")

    def embed(self, texts: Sequence[str], langs: Sequence | None = None,
              count: Count = no_count) -> tuple[np.ndarray, np.ndarray]:
        n = len(texts)
        if n > self.batch:
            parts = [self.embed(texts[lo:lo + self.batch], None if langs is None else langs[lo:lo + self.batch],
                                count) for lo in range(0, n, self.batch)]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out, np.zeros(0, dtype=bool)
        rows, doc, hashes = self._tokens(texts)
        known = rows >= 0
        sem = np.zeros((n, self.semantic_dim), dtype=np.float32)
        if known.any():
            _segment_sum(sem, doc[known], self.vectors[rows[known]])
        norms = np.linalg.norm(sem, axis=1)
        has_sem = norms > 0
        sem[has_sem] /= norms[has_sem][:, None]
        if self.centers:
            for i in np.flatnonzero(has_sem).tolist():
                c = self._center(None if langs is None else langs[i])
                if c is not None:
                    sem[i] -= c
            norms = np.linalg.norm(sem, axis=1)
            has_sem &= norms > 0
            sem[has_sem] /= norms[has_sem][:, None]
            sem[~has_sem] = 0.0
        out[:, :self.semantic_dim] = sem * self.semantic_scale
        mask = has_sem
        if self.hashed_dim:
            w = np.where(known, self.lexical_weights[np.maximum(rows, 0)], self.oov_weight)
            lex = self._lexical(n, doc, hashes, w)
            norms = np.linalg.norm(lex, axis=1)
            has_lex = norms > 0
            lex[has_lex] /= norms[has_lex][:, None]
            out[:, self.semantic_dim:] = lex
            mask = has_sem | has_lex
        norms = np.linalg.norm(out, axis=1)
        mask &= norms > 0
        out[mask] /= norms[mask][:, None]
        out[~mask] = 0.0
        count("docs", n)
        if n - int(mask.sum()):
            count("docs_without_tokens", n - int(mask.sum()))
        count("tokens_known", int(known.sum()))
        count("tokens_unknown", int(len(known) - known.sum()))
        return out, mask

    def embed_spans(self, text: str, spans: Iterable, lang=None, count: Count = no_count):
        """One vector per (start, end) span (tuples or dicts with start/end) of ``text``."""
        pieces = []
        for s in spans:
            a, b = (s["start"], s["end"]) if isinstance(s, dict) else s
            pieces.append(text[a:b])
        return self.embed(pieces, None if lang is None else [lang] * len(pieces), count=count)


def _segment_sum(out: np.ndarray, doc: np.ndarray, values: np.ndarray) -> None:
    """out[d] += sum of the ``values`` rows of document d; ``doc`` is sorted (text order). One BLAS
    product per document: many times faster than ``np.add.reduceat`` along axis 0."""
    if not len(doc):
        return
    bounds = np.flatnonzero(np.concatenate(([True], doc[1:] != doc[:-1], [True]))).tolist()
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        out[doc[lo]] += np.ones(hi - lo, dtype=values.dtype) @ values[lo:hi]


# ---------------------------------------------------------------------------------------------
# Training (PPMI-SVD on a deterministic sample; written in the thresher folder layout)

def ppmi_svd_vectors(docs_tokens: list[list[str]], vocab: list[str], dim: int, window: int = 5,
                     seed: int = 0, power_iterations: int = 3) -> tuple[np.ndarray, dict]:
    """Token vectors of ``vocab`` [V, dim]: positive PMI of window co-occurrences (weight 1/distance,
    context counts smoothed to the power 0.75, Levy, Goldberg & Dagan 2015) factorised by a
    seeded randomised SVD (Halko et al. 2011), rows U * sqrt(S). Deterministic: the same tokens
    give the same vectors, bit for bit, on the same machine."""
    import scipy.sparse as sp
    index = {w: i for i, w in enumerate(vocab)}
    v = len(vocab)
    ids = [np.array([index.get(t, -1) for t in toks], dtype=np.int64) for toks in docs_tokens]
    flat = np.concatenate(ids)
    doc = np.repeat(np.arange(len(ids)), [len(x) for x in ids])
    cooc = sp.csr_matrix((v, v), dtype=np.float64)
    for d in range(1, window + 1):
        a, b = flat[:-d], flat[d:]
        ok = (a >= 0) & (b >= 0) & (doc[:-d] == doc[d:])
        m = sp.coo_matrix((np.full(int(ok.sum()), 1.0 / d), (a[ok], b[ok])), shape=(v, v)).tocsr()
        cooc = cooc + m + m.T
    cooc.sum_duplicates()
    total = cooc.sum()
    row = np.asarray(cooc.sum(axis=1)).ravel()
    col = np.asarray(cooc.sum(axis=0)).ravel() ** 0.75
    col_p = col / col.sum()
    coo = cooc.tocoo()
    pmi = np.log(coo.data * total / (row[coo.row] * col_p[coo.col] * total))
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=(v, v))
    k = min(dim, v - 1)
    rng = np.random.default_rng(seed)
    q = ppmi @ rng.standard_normal((v, k + 10))
    for _ in range(power_iterations):
        q, _ = np.linalg.qr(q)
        q = ppmi @ (ppmi.T @ q)
    q, _ = np.linalg.qr(q)
    u_small, svals, _ = np.linalg.svd(np.asarray(ppmi.T @ q).T, full_matrices=False)
    u = (q @ u_small)[:, :k]
    signs = np.sign(u[np.abs(u).argmax(axis=0), np.arange(k)])   # a fixed sign per component
    vectors = np.zeros((v, dim), dtype=np.float32)
    vectors[:, :k] = (u * signs) * np.sqrt(svals[:k])
    return vectors, {"method": "ppmi_svd", "window": window, "power_iterations": power_iterations, "seed": seed,
                     "nonzero": int(ppmi.nnz)}


def train_static_model(texts: Sequence[str], output: str, dim: int = 64, min_count: int = 5,
                       sif_a: float = 1e-3, max_vocab: int = 50_000, max_doc_tokens: int = 400,
                       hashed_dim: int = 128, semantic_scale: float = 0.5, langs: Sequence | None = None,
                       min_lang_docs: int = 5, window: int = 5, seed: int = 0,
                       lexical_sif_a: float | None = 1e-4) -> dict:
    """Train on ``texts`` (already the deterministic sample; ``langs`` their languages, for the
    per-language common components) and write the model folder ``output``.

    Token vectors come from :func:`ppmi_svd_vectors` over each text's first ``max_doc_tokens``
    tokens, for the tokens seen at least ``min_count`` times (at most ``max_vocab``); weights are
    SIF's ``a / (a + p(w))`` (Arora, Liang & Ma 2017), with ``a = sif_a`` (1e-3, the paper's
    default) for the semantic block and ``a = lexical_sif_a`` (1e-4; None: ``sif_a``) for the
    lexical block. The two blocks serve different ends: topics need the content words of a text to
    count together (a smaller ``a`` in the semantic block leaves a short text to its rarest tokens and
    halved the topic NMI on COLD comments), duplicates need rare tokens to dominate (a larger ``a`` in
    the lexical block raised the cosine of unrelated pages of one language). Deterministic. (fastText skip-gram was tried first: the
    fasttext-numpy2 build here stops with "Encountered NaN" on small samples and with minCount > 1,
    and its vectors differ between runs even with one thread.)"""
    if hashed_dim % 64:
        raise ValueError("hashed_dim must be a multiple of 64")
    os.makedirs(output, exist_ok=True)
    kept_texts, kept_langs, docs_tokens = [], [], []
    for i, text in enumerate(texts):
        units = unit_strings(text)[:max_doc_tokens]
        if units:
            docs_tokens.append(units)
            kept_texts.append(text)
            kept_langs.append(langs[i] if langs is not None else None)
    if not docs_tokens:
        raise ValueError("no tokens in the training sample")
    from collections import Counter
    freq = Counter(t for toks in docs_tokens for t in toks)
    n_tokens = sum(freq.values())
    pairs = sorted(((w, c) for w, c in freq.items() if c >= min_count), key=lambda wc: (-wc[1], wc[0]))[:max_vocab]
    if len(pairs) < 2:
        raise ValueError(f"fewer than 2 tokens occur {min_count} times in the training sample")
    vocab = [w for w, _ in pairs]
    counts = np.array([c for _, c in pairs], dtype=np.float64)
    vectors, args = ppmi_svd_vectors(docs_tokens, vocab, dim, window=window, seed=seed)
    total = float(n_tokens)
    weights = (sif_a / (sif_a + counts / total)).astype(np.float32)
    lex_a = sif_a if lexical_sif_a is None else lexical_sif_a
    tensors = {"embeddings": vectors, "weights": weights}
    if lex_a != sif_a:
        tensors["lexical_weights"] = (lex_a / (lex_a + counts / total)).astype(np.float32)
    oov_weight = float(lex_a / (lex_a + 1.0 / total))
    with open(os.path.join(output, VOCAB_FILE), "w", encoding="utf-8") as f:
        f.write("".join(w + "\n" for w in vocab))
    meta = {"model_type": "thresher_static", "tokenizer": THRESHER_TOKENIZER, "dim": dim + hashed_dim,
            "semantic_dim": dim, "hashed_dim": hashed_dim, "semantic_scale": semantic_scale,
            "unit_token_vectors": True, "oov_weight": oov_weight, "vocab_size": len(vocab), "normalize": True,
            "training_docs": len(kept_texts), "training_tokens": int(total),
            "training": args, "sif_a": sif_a, "lexical_sif_a": lex_a, "min_count": min_count}
    # common components: the mean unit semantic vector of the sample, per language with enough documents
    write_safetensors(os.path.join(output, MODEL_FILE), tensors)
    with open(os.path.join(output, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(dict(meta, hashed_dim=0, semantic_scale=1.0), f)
    emb = Embedder(output)
    sem, ok = emb.embed(kept_texts)
    by_lang: dict[str, list[int]] = {}
    for i in np.flatnonzero(ok).tolist():
        by_lang.setdefault(kept_langs[i] or "und", []).append(i)
    center_langs = ["_"] + sorted(lang for lang, idx in by_lang.items() if len(idx) >= min_lang_docs)
    centers = [sem[ok].mean(axis=0)] + [sem[by_lang[lang]].mean(axis=0) for lang in center_langs[1:]]
    write_safetensors(os.path.join(output, MODEL_FILE), dict(tensors, centers=np.stack(centers).astype(np.float32)))
    meta["center_langs"] = center_langs
    with open(os.path.join(output, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1, sort_keys=True, ensure_ascii=False)
    return meta
