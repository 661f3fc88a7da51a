"""Reader of a Thresher manifest for the tokenization stage (pyarrow + numpy; files through Beam's
FileSystems, no pipeline).

In: a manifest directory (local path, gs://, s3://...: any Beam FileSystems path; pass the
``options`` (PipelineOptions) an object store needs, e.g. ``--s3_endpoint_url``) holding
``manifest.json``, ``index/*.parquet`` (id, shard, row, bucket, weight, repeats, tokens) and the
curated Parquet shards the index points at (``shard`` is relative to the manifest directory, ``row`` the
row number in that file; shards hold at least ``id`` and ``text``).
Out: for one (seed, epoch, rank, world_size), a deterministic weighted stream of document copies.

Order (``ManifestReader``):
1. Copies: per bucket, ``filters.sampling.realize_copies(ids, repeats, seed + epoch, tokens)`` turns the
   fractional repeats of the index into integer copies (total per bucket = round(sum of repeats)).
2. Items: every (id, copy) with copy in 0..copies-1. Each gets a 64-bit key,
   ``splitmix64(xxh3_64(id, seed=H(seed, epoch)) + (copy + 1) * golden)`` (a hash of id, copy, seed
   and epoch, vectorised over copies), and all items of all buckets are sorted by it (ties: index
   order). This is one global, shuffled, weighted order per (seed, epoch).
3. Ranks: global position ``g`` goes to rank ``g % world_size`` (round-robin after the global order,
   not hash-mod: rank sizes differ by at most one and every rank sees the same bucket mix). So the
   ranks partition the items, with no overlap and no loss.
``position`` in ``items()``/``documents()`` is the index in THIS rank's stream; its global position
is ``position * world_size + rank``. ``documents(start=k)`` is exactly the tail of ``documents(0)``
from position k, so a trainer resumes by passing the number of documents it has consumed.

Text reads (``documents``): the stream is cut into windows of ``window`` positions; for each window
the needed rows are grouped by shard and Parquet row group, each needed row group is read once
(columns ``id`` and ``text``), ids are checked against the index, and the texts are yielded in stream
order. Memory is bounded by one window of texts plus one row group; a full pass reads each row group
about once per window that touches it, so curated shards with small row groups (a few thousand rows)
and large windows make the random order cheap.
"""
from __future__ import annotations

import json
import posixpath
from collections import defaultdict
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash
from apache_beam.io.filesystems import FileSystems

from filters.sampling import realize_copies
from schemas import MANIFEST_FORMAT

SUPPORTED_VERSIONS = (1,)
_INDEX_COLUMNS = ["id", "shard", "row", "bucket", "repeats", "tokens"]
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser over a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _base_hashes(ids: list[str], seed: int, epoch: int) -> np.ndarray:
    stream = xxhash.xxh3_64_intdigest(f"reader\x1f{seed}\x1f{epoch}".encode())
    return np.fromiter((xxhash.xxh3_64_intdigest(i.encode("utf-8", "surrogatepass"), seed=stream) for i in ids),
                       dtype=np.uint64, count=len(ids))


def _keys(base: np.ndarray, copies: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return _splitmix64(base + (copies.astype(np.uint64) + np.uint64(1)) * _GOLDEN)


def item_keys(ids: list[str], copies: np.ndarray, seed: int, epoch: int) -> np.ndarray:
    """Order keys of the items (ids[i], copies[i]) for (seed, epoch)."""
    return _keys(_base_hashes(ids, seed, epoch), np.asarray(copies))


class ManifestReader:
    """Deterministic weighted stream of one rank's share of a manifest (see the module docstring).

    ``seed`` None -> the manifest's seed. ``window``: positions per batch of text reads."""

    def __init__(self, manifest_dir: str | Path, seed: int | None = None, rank: int = 0, world_size: int = 1,
                 epoch: int = 0, window: int = 65536, options=None):
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"need 0 <= rank < world_size, got rank={rank} world_size={world_size}")
        if epoch < 0 or window < 1:
            raise ValueError("epoch must be >= 0 and window >= 1")
        from pipeline import fs
        if options is not None:
            fs.use(options)
        path = str(manifest_dir)
        self._root = (path if fs.is_remote(path) else str(Path(path).resolve())).rstrip("/")
        with FileSystems.open(self._join("manifest.json")) as f:
            self.manifest: dict = json.loads(f.read().decode("utf-8"))
        if self.manifest.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"{path}: not a {MANIFEST_FORMAT} manifest (format={self.manifest.get('format')!r})")
        if self.manifest.get("version") not in SUPPORTED_VERSIONS:
            raise ValueError(f"{path}: manifest version {self.manifest.get('version')!r} not supported "
                             f"(supported: {SUPPORTED_VERSIONS})")
        self.seed = int(self.manifest.get("seed", 0) if seed is None else seed)
        self.rank, self.world_size, self.epoch, self.window = rank, world_size, epoch, window
        self._load_index()
        self._order()
        self._row_groups: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ setup

    def _join(self, rel: str) -> str:
        """``rel`` (a path read from the manifest or its index) under the manifest's folder; a path
        that is absolute, names a scheme or climbs out with ``..`` is refused (ValueError)."""
        if (not rel or rel.startswith(("/", "\\")) or "://" in rel or "\\" in rel or "\x00" in rel
                or ".." in rel.split("/")):
            raise ValueError(f"manifest path {rel[:200]!r} points outside the manifest folder {self._root}")
        return posixpath.join(self._root, rel)

    def _open(self, rel_or_path: str):
        path = rel_or_path if rel_or_path.startswith(self._root + "/") else self._join(rel_or_path)
        return FileSystems.open(path)

    def _load_index(self) -> None:
        index_dir = self._join(self.manifest.get("index", "index/").rstrip("/"))
        from pipeline import fs
        files = fs.list_files(index_dir, ".parquet")
        if not files:
            raise FileNotFoundError(f"{index_dir}: no index files")
        tables = []
        for f in files:
            with FileSystems.open(f) as stream:
                tables.append(pq.read_table(stream, columns=_INDEX_COLUMNS))
        schema = pa.schema([("id", pa.string()), ("shard", pa.string()), ("row", pa.int64()),
                            ("bucket", pa.string()), ("repeats", pa.float64()), ("tokens", pa.int64())])
        table = (pa.concat_tables([t.select(_INDEX_COLUMNS).cast(schema) for t in tables])
                 if tables else schema.empty_table())
        self._ids = table["id"].combine_chunks()
        self._rows = table["row"].to_numpy()
        self._tokens = table["tokens"].to_numpy()
        repeats = table["repeats"].to_numpy()
        shard = pc.dictionary_encode(table["shard"]).combine_chunks()
        self._shard_code = shard.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        self._shard_names: list[str] = shard.dictionary.to_pylist()
        bucket = pc.dictionary_encode(table["bucket"]).combine_chunks()
        self._bucket_code = bucket.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        self._bucket_names: list[str] = bucket.dictionary.to_pylist()
        n = len(table)
        copies = np.zeros(n, dtype=np.int64)
        ids = self._ids.to_pylist()
        by_bucket = np.argsort(self._bucket_code, kind="stable")
        bounds = np.cumsum(np.bincount(self._bucket_code, minlength=len(self._bucket_names)))[:-1]
        for idx in np.split(by_bucket, bounds):
            copies[idx] = realize_copies([ids[i] for i in idx], repeats[idx], self.seed + self.epoch,
                                         tokens=self._tokens[idx])
        self._copies = copies
        self._ids_list = ids

    def _order(self) -> None:
        copies = self._copies
        docs = np.flatnonzero(copies > 0)
        doc_of = np.repeat(docs, copies[docs])
        starts = np.cumsum(copies[docs]) - copies[docs]
        copy_no = np.arange(len(doc_of), dtype=np.int64) - np.repeat(starts, copies[docs])
        base = np.zeros(len(copies), dtype=np.uint64)
        base[docs] = _base_hashes([self._ids_list[i] for i in docs], self.seed, self.epoch)
        keys = _keys(base[doc_of], copy_no)
        order = np.argsort(keys, kind="stable")[self.rank::self.world_size]
        self._doc = doc_of[order]
        self._copy = copy_no[order]
        self.total_items = int(len(doc_of))
        del self._ids_list

    # ------------------------------------------------------------------ API

    def __len__(self) -> int:
        """Items (document copies) in this rank's stream for the epoch."""
        return int(len(self._doc))

    @property
    def buckets(self) -> list[dict]:
        """The manifest's bucket entries."""
        return list(self.manifest.get("buckets", []))

    def items(self, start: int = 0) -> Iterator[tuple[int, str, str, int, int]]:
        """(position, id, bucket, copy, tokens) from ``start`` to the end of this rank's stream."""
        for lo in range(max(0, start), len(self._doc), self.window):
            hi = min(lo + self.window, len(self._doc))
            d = self._doc[lo:hi]
            ids = self._ids.take(pa.array(d)).to_pylist()
            for k, (i, doc) in enumerate(zip(ids, d)):
                yield (lo + k, i, self._bucket_names[self._bucket_code[doc]], int(self._copy[lo + k]),
                       int(self._tokens[doc]))

    def documents(self, start: int = 0) -> Iterator[dict]:
        """{position, id, bucket, copy, text} from ``start``: the exact tail of ``documents(0)``."""
        for lo in range(max(0, start), len(self._doc), self.window):
            hi = min(lo + self.window, len(self._doc))
            d = self._doc[lo:hi]
            ids = self._ids.take(pa.array(d)).to_pylist()
            texts = self._read_texts(d, ids)
            for k in range(hi - lo):
                doc = d[k]
                yield {"position": lo + k, "id": ids[k], "bucket": self._bucket_names[self._bucket_code[doc]],
                       "copy": int(self._copy[lo + k]), "text": texts[k]}

    def realized_tokens(self, rank_only: bool = False) -> dict[str, int]:
        """{bucket: tokens of its copies over one epoch} (all ranks, or this rank's stream)."""
        n_b = len(self._bucket_names)
        if rank_only:
            tok = np.bincount(self._bucket_code[self._doc], weights=self._tokens[self._doc], minlength=n_b)
        else:
            tok = np.bincount(self._bucket_code, weights=self._tokens * self._copies, minlength=n_b)
        return {b: int(t) for b, t in zip(self._bucket_names, tok)}

    def realized_token_shares(self, rank_only: bool = False) -> dict[str, float]:
        """{bucket: share of the tokens over one epoch}."""
        tok = self.realized_tokens(rank_only)
        total = sum(tok.values())
        return {b: (t / total if total else 0.0) for b, t in tok.items()}

    # ------------------------------------------------------------------ text reads

    def _row_group_starts(self, shard: str) -> np.ndarray:
        starts = self._row_groups.get(shard)
        if starts is None:
            with self._open(shard) as stream:
                md = pq.read_metadata(stream)
            starts = np.cumsum([0] + [md.row_group(i).num_rows for i in range(md.num_row_groups)])
            self._row_groups[shard] = starts
        return starts

    def _read_texts(self, docs: np.ndarray, ids: list[str]) -> list[str]:
        """Texts of index rows ``docs`` (ids given), grouped by shard and row group."""
        texts: list[str | None] = [None] * len(docs)
        by_shard: dict[int, list[int]] = defaultdict(list)
        for k, doc in enumerate(docs):
            by_shard[int(self._shard_code[doc])].append(k)
        for code in sorted(by_shard):
            shard = self._shard_names[code]
            ks = np.array(by_shard[code])
            rows = self._rows[docs[ks]]
            starts = self._row_group_starts(shard)
            if (rows < 0).any() or (rows >= starts[-1]).any():
                raise ValueError(f"index points past the end of {shard} ({starts[-1]} rows)")
            groups = np.searchsorted(starts, rows, side="right") - 1
            stream = self._open(shard)
            pf = pq.ParquetFile(stream)
            for g in np.unique(groups):
                sel = groups == g
                part = pf.read_row_group(int(g), columns=["id", "text"])
                local = pa.array(rows[sel] - starts[g])
                got_ids = part["id"].take(local).to_pylist()
                got_texts = part["text"].take(local).to_pylist()
                for k, gid, text in zip(ks[sel], got_ids, got_texts):
                    if gid != ids[k]:
                        raise ValueError(f"{shard} row {self._rows[docs[k]]} holds id {gid!r}, index says {ids[k]!r}")
                    texts[k] = text
                del part
            stream.close()
        return texts
