"""
Fixed part of the tiny-gpt research program: the data and the evaluation.
Members must NOT edit this file: the metric is only comparable while everyone
trains on the same bytes and is scored by the same function.

    python3 prepare.py      # builds data/ (train.py also does it on first run)

The corpus is built deterministically, with no download:
  * "licenses-v1": eleven license texts that every Debian/Ubuntu machine has
    under /usr/share/common-licenses (base-files), concatenated in a fixed
    order, ~184 KB of ASCII. Each file's SHA-256 is checked, so the corpus is
    byte-identical on every machine that uses it.
  * "builtin-v1": when any of those files is missing or differs (macOS,
    Windows, a minimal container), a ~150 KB corpus generated from the text
    embedded below by shuffling its sentences with a fixed seed.
The two corpora give very different val_bpb values: compare results only
between runs whose output says the same corpus (train.py prints it).

Tokens are bytes: the vocabulary is the set of byte values in the corpus, so
one token is exactly one byte and bits per byte = cross-entropy (nats) / ln 2.

Output, in a data/ folder next to this file (idempotent: rebuilt only when the
corpus or this format changes):
  data/train.bin  token ids, one uint8 per byte of text (90%)
  data/val.bin    token ids, one uint8 per byte of text (10%)
  data/meta.json  corpus name and hash, vocabulary, sizes
"""
import hashlib
import json
import math
import os
import random

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# Constants (fixed)
# ---------------------------------------------------------------------------

SEQ_LEN = 128              # context length of the evaluation; the model must accept it
EVAL_TOKENS = 32 * 1024    # the evaluation scores (at most) this many val tokens
VAL_EVERY = 10             # every 10th chunk of the corpus goes to val (a 90/10 split)
CHUNK_BYTES = 2048         # split granularity: val is spread over the whole corpus
FORMAT_VERSION = 1

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
LICENSE_DIR = "/usr/share/common-licenses"
# name -> SHA-256 of the file as shipped by Debian's base-files (stable for years:
# these are the canonical texts). Near-duplicates (GPL-1 vs LGPL-2, GFDL-1.2) left out.
LICENSE_FILES = {
    "Apache-2.0": "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    "Artistic": "b7fd9b73ea99602016a326e0b62e6646060d18febdd065ceca8bb482208c3d88",
    "BSD": "5d588eb3b157d52112afea935c88a7ff9efddc1e2d95a42c25d3b96ad9055008",
    "GFDL-1.3": "110535522396708cea37c72a802c5e7e81391139f5f7985631c93ef242b206a4",
    "GPL-1": "d77d235e41d54594865151f4751e835c5a82322b0e87ace266567c3391a4b912",
    "GPL-2": "8177f97513213526df2cf6184d8ff986c675afb514d4e68a404010521b880643",
    "GPL-3": "3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986",
    "LGPL-2.1": "dc626520dcd53a22f727af3ee42c770e56c97a64fe3adb063799d8ab032fe551",
    "LGPL-3": "e3a994d82e644b03a792a930f574002658412f62407f5fee083f2555c5f23118",
    "MPL-1.1": "f849fc26a7a99981611a3a370e83078deb617d12a45776d6c4cada4d338be469",
    "MPL-2.0": "fab3dd6bdab226f1c08630b1dd917e11fcb4ec5e1e020e2c16f83a0a13863e85",
}

# Fallback source text. Its sentences are shuffled with a fixed seed into a
# larger corpus, so the model has to learn spelling and words, not one order.
BUILTIN_TEXT = """\
Tiny-gpt is a small research program. A language model reads text one byte at a time and learns to guess the next byte. The better the guess, the fewer bits it needs to describe the text, and the lower the score. The score is called bits per byte.

Every member runs the same script on the same data. The training script may be changed, the data and the evaluation may not. A change is kept when it lowers the score by more than a small margin, and it is thrown away when it does not.

The model is a transformer. Each layer mixes information across positions with causal self attention, and then transforms each position with a small multilayer perceptron. Layer normalization keeps the activations in a sane range. The output layer shares its weights with the input embedding.

Training follows a fixed time budget. A run that trains for thirty seconds on a laptop sees far fewer examples than a run on a large accelerator, so a good setting on one machine is not always a good setting on another. That is part of the research: find what works on the hardware you have.

The learning rate is the most important number. Too small, and the model learns slowly; too large, and the loss jumps around or explodes. A short warmup at the start lets the optimizer find its footing. A cosine decay at the end lets the weights settle.

A wider model can hold more knowledge, but each step takes longer. A deeper model can compose more complex features, but it is harder to train. A larger batch gives a cleaner gradient, but fewer updates fit into the budget. Dropout fights overfitting when the data is small and the model is large.

Good experiments change one thing at a time. They state what they expect before the run, and they report what happened after it. A negative result is still a result: it tells the next person where not to look. Write down the reason for every change in a single short sentence.

The data is plain English prose with punctuation, digits and line breaks. Some words are common and easy to predict, such as the, and, of, to. Others are rare and surprising. Spaces and the letter e are the most frequent bytes. A model that learns only the frequencies of single bytes already scores about four bits per byte.

Simple ideas often win. A cleaner schedule, a better initialization, a different activation, or a wiser split between depth and width can each shave a few hundredths of a bit. Large rewrites are risky, because one bug can cost more than all the gains.

When a run fails, read the log. If the loss became NaN, lower the learning rate or clip the gradient harder. If the run was killed, it used more time than the budget allows. If the score is worse than before, undo the change and try the next idea.
"""
BUILTIN_TARGET_BYTES = 150_000


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------

def _license_corpus():
    """The licenses-v1 corpus, or None when a file is missing or differs."""
    parts = []
    for name in sorted(LICENSE_FILES):
        path = os.path.join(LICENSE_DIR, name)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError:
            return None
        if hashlib.sha256(raw).hexdigest() != LICENSE_FILES[name]:
            return None
        parts.append(raw)
    return b"\n\n".join(parts)


def _builtin_corpus():
    """The builtin-v1 corpus: BUILTIN_TEXT's sentences in seeded random order."""
    sentences = [s.strip() + "." for p in BUILTIN_TEXT.split("\n\n") for s in p.split(". ") if s.strip()]
    sentences = [s[:-1] if s.endswith("..") else s for s in sentences]
    rng = random.Random(1234)  # Python's Mersenne Twister: same sequence on every platform
    paragraphs, size = [], 0
    while size < BUILTIN_TARGET_BYTES:
        para = " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 7)))
        paragraphs.append(para)
        size += len(para) + 2
    return "\n\n".join(paragraphs).encode("ascii")


def build_corpus():
    """(corpus name, bytes). Forced to the fallback with TINY_GPT_CORPUS=builtin (for testing)."""
    if os.environ.get("TINY_GPT_CORPUS") != "builtin":
        text = _license_corpus()
        if text is not None:
            return "licenses-v1", text
    return "builtin-v1", _builtin_corpus()


def split_corpus(text):
    """Deterministic 90/10 split by chunks, so val samples the whole corpus."""
    train, val = bytearray(), bytearray()
    for i in range(0, len(text), CHUNK_BYTES):
        (val if (i // CHUNK_BYTES) % VAL_EVERY == VAL_EVERY - 1 else train).extend(text[i:i + CHUNK_BYTES])
    return bytes(train), bytes(val)


# ---------------------------------------------------------------------------
# Data files
# ---------------------------------------------------------------------------

def _write_atomic(path, data):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)  # a concurrent reader never sees half a file


def prepare(verbose=True):
    """Builds data/ unless it already holds this corpus; returns the meta dict."""
    name, text = build_corpus()
    corpus_sha = hashlib.sha256(text).hexdigest()
    meta_path = os.path.join(DATA_DIR, "meta.json")
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("format") == FORMAT_VERSION and meta.get("corpus_sha256") == corpus_sha and all(
            _sha_file(os.path.join(DATA_DIR, f"{s}.bin")) == meta[f"{s}_sha256"] for s in ("train", "val")
        ):
            return meta
    except (OSError, ValueError, KeyError):
        pass

    vocab = sorted(set(text))                  # byte values present, ascending
    stoi = {b: i for i, b in enumerate(vocab)}
    assert len(vocab) <= 256
    train, val = split_corpus(text)
    train_ids, val_ids = bytes(stoi[b] for b in train), bytes(stoi[b] for b in val)
    os.makedirs(DATA_DIR, exist_ok=True)
    _write_atomic(os.path.join(DATA_DIR, "train.bin"), train_ids)
    _write_atomic(os.path.join(DATA_DIR, "val.bin"), val_ids)
    meta = {
        "format": FORMAT_VERSION,
        "corpus": name,
        "corpus_sha256": corpus_sha,
        "corpus_bytes": len(text),
        "vocab_size": len(vocab),
        "vocab_bytes": vocab,  # token id i is byte value vocab_bytes[i]
        "train_tokens": len(train_ids),
        "val_tokens": len(val_ids),
        "train_sha256": hashlib.sha256(train_ids).hexdigest(),
        "val_sha256": hashlib.sha256(val_ids).hexdigest(),
    }
    _write_atomic(meta_path, json.dumps(meta, indent=1).encode())
    if verbose:
        print(f"prepare: wrote {DATA_DIR} ({name}, {len(text):,} bytes, vocab {len(vocab)}, "
              f"train {len(train_ids):,} / val {len(val_ids):,} tokens)", flush=True)
    return meta


def _sha_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_data():
    """(train, val, meta): uint8 tensors of token ids on the CPU, prepared if needed."""
    meta = prepare()
    out = []
    for split in ("train", "val"):
        with open(os.path.join(DATA_DIR, f"{split}.bin"), "rb") as f:
            out.append(torch.frombuffer(bytearray(f.read()), dtype=torch.uint8))
    return out[0], out[1], meta


# ---------------------------------------------------------------------------
# Evaluation (the metric)
# ---------------------------------------------------------------------------

@torch.no_grad()
def evaluate_bpb(model, val_data, device, batch_size=32):
    """
    Bits per byte of `model` on the first EVAL_TOKENS tokens of val, cut into
    non-overlapping windows of SEQ_LEN (every target byte scored once).
    `model(idx)` takes a (B, T) long tensor and returns (B, T, vocab) logits.
    Tokens are bytes, so bpb = mean cross-entropy in nats / ln 2.
    Before scoring, checks that the model is causal: changing later tokens of
    a window must not change the logits of earlier positions.
    """
    was_training = model.training
    model.eval()
    n_windows = min(EVAL_TOKENS, len(val_data) - 1) // SEQ_LEN
    ids = val_data[: n_windows * SEQ_LEN + 1].long()
    x_all = ids[:-1].view(n_windows, SEQ_LEN)
    y_all = ids[1:].view(n_windows, SEQ_LEN)

    # Causality check: a model that peeks at the next byte would score ~0 bpb.
    x = x_all[:4].to(device)
    x2 = x.clone()
    half = SEQ_LEN // 2
    x2[:, half:] = (x2[:, half:] + 1) % int(val_data.max().item() + 1)
    a, b = model(x)[:, :half].float(), model(x2)[:, :half].float()
    if not torch.allclose(a, b, atol=1e-2, rtol=1e-2):
        raise RuntimeError("evaluate_bpb: the model is not causal (earlier logits depend on later tokens)")

    total_nats, total_tokens = 0.0, 0
    for i in range(0, n_windows, batch_size):
        x, y = x_all[i:i + batch_size].to(device), y_all[i:i + batch_size].to(device)
        logits = model(x).float()
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum")
        total_nats += loss.item()
        total_tokens += y.numel()
    model.train(was_training)
    return total_nats / total_tokens / math.log(2)


if __name__ == "__main__":
    m = prepare(verbose=False)
    print(json.dumps({k: v for k, v in m.items() if k != "vocab_bytes"}, indent=1))
    print(f"uniform baseline: {math.log2(m['vocab_size']):.4f} bits per byte")
