"""filters/embedding.py: tokens, both model folder formats, pooling, training."""
import json
import lzma

import numpy as np
import pytest

from filters.embedding import (CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE, VOCAB_FILE, Embedder, read_safetensors,
                               token_units, train_static_model, unit_strings, write_safetensors)
from filters.minhash import tokenize


def test_token_units_are_the_project_tokens():
    texts = ["Hello, World! naïve café", "我们的网站使用cookie", "ภาษาไทย ok", ""]
    hashes, doc = token_units(texts)
    expected = [tok for t in texts for tok in tokenize(t)]
    assert len(hashes) == len(expected) and unit_strings(texts[1])[:3] == ["我", "们", "的"]
    # the same token hashes alike wherever it stands, different tokens differently
    single, _ = token_units(expected)
    assert np.array_equal(single, hashes)
    assert len(set(hashes.tolist())) == len(set(expected))
    assert doc.tolist() == [i for i, t in enumerate(texts) for _ in tokenize(t)]


def test_safetensors_round_trip(tmp_path):
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1.5, -2], dtype=np.float16)}
    write_safetensors(str(tmp_path / "m.safetensors"), tensors, {"k": "v"})
    back = read_safetensors(str(tmp_path / "m.safetensors"))
    assert sorted(back) == ["a", "b"]
    assert np.array_equal(back["a"], tensors["a"]) and back["b"].dtype == np.float16
    assert np.array_equal(back["b"], tensors["b"])


def _thresher_folder(path, vocab, vectors, config=None, **tensors):
    path.mkdir()
    (path / VOCAB_FILE).write_text("".join(w + "\n" for w in vocab), encoding="utf-8")
    write_safetensors(str(path / MODEL_FILE), {"embeddings": np.asarray(vectors, dtype=np.float32), **tensors})
    (path / CONFIG_FILE).write_text(json.dumps(config or {}))
    return str(path)


def test_mean_pooling_weights_and_unknown_tokens(tmp_path):
    folder = _thresher_folder(tmp_path / "m", ["cat", "dog", "猫"], [[1, 0], [0, 1], [3, 4]],
                              weights=np.array([1.0, 2.0, 1.0], dtype=np.float32))
    emb = Embedder(folder)
    vecs, mask = emb.embed(["Cat cat DOG zebra", "猫!", "zebra", ""])
    assert mask.tolist() == [True, True, False, False]
    expect = np.array([2.0, 2.0]) / 3           # (1,0)+(1,0)+2*(0,1), the unknown token ignored
    assert np.allclose(vecs[0], expect / np.linalg.norm(expect), atol=1e-6)
    assert np.allclose(vecs[1], [0.6, 0.8], atol=1e-6)
    assert not vecs[2].any() and not vecs[3].any()
    spans, ok = emb.embed_spans("cat zebra dog", [(0, 3), (4, 9), {"start": 10, "end": 13}])
    assert ok.tolist() == [True, False, True] and np.allclose(spans[[0, 2]], [[1, 0], [0, 1]])


def test_language_centers_and_lexical_block(tmp_path):
    folder = _thresher_folder(tmp_path / "m", ["a", "b"], [[1, 0], [0.6, 0.8]],
                              config={"center_langs": ["_", "xx"], "unit_token_vectors": True},
                              centers=np.array([[0, 0], [0.8, 0.0]], dtype=np.float32))
    emb = Embedder(folder)
    plain, _ = emb.embed(["a"], ["yy"])           # global center (zero) -> unchanged
    centred, _ = emb.embed(["a"], ["xx"])         # (1, 0) - (0.8, 0) -> (1, 0) after norm
    moved, _ = emb.embed(["b"], ["xx"])           # (0.6, 0.8) - (0.8, 0) = (-0.2, 0.8)
    assert np.allclose(plain[0], [1, 0]) and np.allclose(centred[0], [1, 0])
    assert np.allclose(moved[0], np.array([-0.2, 0.8]) / np.linalg.norm([-0.2, 0.8]), atol=1e-6)

    lex = _thresher_folder(tmp_path / "lex", ["a"], [[1, 0]], config={"hashed_dim": 64})
    emb = Embedder(lex)
    assert emb.dim == 66
    vecs, mask = emb.embed(["zebra yak okapi", "zebra yak okapi.", "totally different words here", "a"])
    assert mask.all()                               # unknown tokens still count in the lexical block
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)
    assert vecs[0] @ vecs[1] > 0.999 and vecs[0] @ vecs[2] < 0.6


def test_model2vec_folder(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import Tokenizer, models, pre_tokenizers
    vocab = {"[UNK]": 0, "hello": 1, "world": 2, "again": 3}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    folder = tmp_path / "m2v"
    folder.mkdir()
    tok.save(str(folder / TOKENIZER_FILE))
    write_safetensors(str(folder / MODEL_FILE), {"embeddings": np.array([[9, 9], [1, 0], [0, 1], [1, 1]],
                                                                        dtype=np.float16)})
    (folder / CONFIG_FILE).write_text(json.dumps({"normalize": True}))
    emb = Embedder(str(folder))
    assert emb.kind == "model2vec" and emb.dim == 2 and tokenizers
    vecs, mask = emb.embed(["hello world", "hello mystery", "nothing known"])
    assert mask.tolist() == [True, True, False]
    assert np.allclose(vecs[0], [2 ** -0.5, 2 ** -0.5], atol=1e-3)   # the [UNK] row is never pooled
    assert np.allclose(vecs[1], [1, 0], atol=1e-3)


def test_missing_or_broken_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        Embedder(str(tmp_path / "absent"))
    folder = tmp_path / "m"
    folder.mkdir()
    write_safetensors(str(folder / MODEL_FILE), {"embeddings": np.zeros((2, 2), dtype=np.float32)})
    with pytest.raises(ValueError, match="vocab.txt"):
        Embedder(str(folder))
    (folder / VOCAB_FILE).write_text("one\ntwo words\n")
    with pytest.raises(ValueError, match="exactly one token"):
        Embedder(str(folder))


def _sentences(shared_data, lang, n):
    out = []
    with lzma.open(shared_data / "lid" / "lingua_sentences_public.tsv.xz", "rt", encoding="utf-8") as f:
        for line in f:
            code, _, text = line.rstrip("\n").partition("\t")
            if code == lang:
                out.append(text)
                if len(out) == n:
                    break
    return out


def test_training_is_deterministic_and_keeps_edits_close(shared_data, tmp_path):
    en, de = _sentences(shared_data, "en", 300), _sentences(shared_data, "de", 300)
    docs = [" ".join(en[i:i + 6]) for i in range(0, 300, 6)] + [" ".join(de[i:i + 6]) for i in range(0, 300, 6)]
    langs = ["en"] * 50 + ["de"] * 50
    meta = train_static_model(docs, str(tmp_path / "a"), dim=16, min_count=2, hashed_dim=64, langs=langs)
    train_static_model(docs, str(tmp_path / "b"), dim=16, min_count=2, hashed_dim=64, langs=langs)
    for name in (MODEL_FILE, VOCAB_FILE, CONFIG_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert meta["dim"] == 80 and meta["center_langs"] == ["_", "de", "en"]
    emb = Embedder(str(tmp_path / "a"))
    edited = docs[0].replace(" the ", " a ", 2)[: int(len(docs[0]) * 0.9)]
    vecs, mask = emb.embed([docs[0], edited] + docs[1:50], ["en"] * 51)
    assert mask.all()
    sims = vecs[2:] @ vecs[0]
    assert vecs[0] @ vecs[1] > 0.85 and vecs[0] @ vecs[1] > sims.max() + 0.2
    # the semantic block alone: documents of one language are closer to each other than across
    sem = Embedder(str(tmp_path / "a"))
    sem.hashed_dim, sem.dim = 0, sem.semantic_dim
    s_vecs, _ = sem.embed(docs, langs=None)
    same = (s_vecs[:50] @ s_vecs[:50].T)[np.triu_indices(50, 1)].mean()
    cross = (s_vecs[:50] @ s_vecs[50:].T).mean()
    assert same > cross + 0.2


def test_semantic_and_lexical_blocks_have_their_own_sif_weights(shared_data, tmp_path):
    en = _sentences(shared_data, "en", 120)
    docs = [" ".join(en[i:i + 6]) for i in range(0, 120, 6)]
    meta = train_static_model(docs, str(tmp_path / "m"), dim=8, min_count=2, hashed_dim=64)
    assert (meta["sif_a"], meta["lexical_sif_a"]) == (1e-3, 1e-4)
    tensors = read_safetensors(str(tmp_path / "m" / MODEL_FILE))
    vocab = (tmp_path / "m" / VOCAB_FILE).read_text(encoding="utf-8").split("\n")[:-1]
    tokens = [t for d in docs for t in unit_strings(d)]
    p = np.array([tokens.count(w) for w in vocab]) / len(tokens)
    assert np.allclose(tensors["weights"], 1e-3 / (1e-3 + p), rtol=1e-5)
    assert np.allclose(tensors["lexical_weights"], 1e-4 / (1e-4 + p), rtol=1e-5)
    # the lexical block pools with lexical_weights: "the" weighs more in the semantic block than there
    emb = Embedder(str(tmp_path / "m"))
    the = vocab.index("the")
    assert emb.weights[the] > 5 * emb.lexical_weights[the]
    rare = vocab[-1]
    text = "the " * 30 + rare
    hashes, doc = token_units([text])
    rows = np.array([the] * 30 + [vocab.index(rare)])

    def lexical(weights):
        v = emb._lexical(1, doc, hashes, weights[rows])[0]
        return v / np.linalg.norm(v)
    vec, _ = emb.embed([text])
    got = vec[0, emb.semantic_dim:] / np.linalg.norm(vec[0, emb.semantic_dim:])
    assert np.allclose(got, lexical(emb.lexical_weights), atol=1e-5)
    assert not np.allclose(got, lexical(emb.weights), atol=1e-2)
    # one a for both (lexical_sif_a None): no second tensor, both blocks share the weights
    train_static_model(docs, str(tmp_path / "one"), dim=8, min_count=2, hashed_dim=64, lexical_sif_a=None)
    assert "lexical_weights" not in read_safetensors(str(tmp_path / "one" / MODEL_FILE))
    one = Embedder(str(tmp_path / "one"))
    assert np.array_equal(one.lexical_weights, one.weights)
