"""
tiny-gpt: a small character-level GPT trained for a fixed time budget.
This is the file members edit. Everything is fair game (architecture,
optimizer, schedule, batch size, model size) as long as the run finishes
inside TASK.md's time budget and prints the summary block at the end.
The data and the metric live in prepare.py, which must not be edited.

    python3 train.py
"""
import time

t_start = time.time()  # total_seconds counts from here, imports included

import math
import os
import sys
from contextlib import nullcontext

import torch
import torch.nn as nn
import torch.nn.functional as F

from prepare import SEQ_LEN, evaluate_bpb, load_data

# ---------------------------------------------------------------------------
# Hyperparameters (top-level constants, one per line: Cohort's proposer edits them)
# ---------------------------------------------------------------------------

TRAIN_SECONDS = 30       # training time budget, evaluation excluded
MAX_STEPS = 0            # optional step limit as well (0 = time budget only)
BATCH_SIZE = 16          # sequences per step, each SEQ_LEN (prepare.py) tokens long
N_LAYER = 3              # transformer blocks
N_HEAD = 4               # attention heads (N_EMBD is rounded down to a multiple of it)
N_EMBD = 96              # model width
DROPOUT = 0.0            # dropout on attention weights and residual branches
LEARNING_RATE = 0.003    # peak learning rate (AdamW)
WEIGHT_DECAY = 0.1       # AdamW weight decay (matrices and embeddings)
WARMUP = 0.05            # fraction of the budget spent ramping the LR up from 0
FINAL_LR_FRAC = 0.1      # the cosine decay ends at LEARNING_RATE * FINAL_LR_FRAC
GRAD_CLIP = 1.0          # max gradient norm
SEED = 1337
LOG_EVERY = 25           # print a progress line every this many steps
CPU_THREADS = 1          # torch threads on CPU (capped at the core count; more threads can be slower on a busy machine)

# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------

torch.manual_seed(SEED)
device = "cuda" if torch.cuda.is_available() else "cpu"
if device == "cpu":
    torch.set_num_threads(max(1, min(CPU_THREADS, os.cpu_count() or 1)))
else:
    torch.cuda.manual_seed(SEED)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
# bf16 autocast only on CUDA; the CPU runs in fp32.
autocast = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if device == "cuda" else nullcontext()

train_data, val_data, meta = load_data()
vocab_size = meta["vocab_size"]
print(f"corpus: {meta['corpus']} ({meta['corpus_sha256'][:12]}), vocab {vocab_size}, "
      f"train {meta['train_tokens']:,} / val {meta['val_tokens']:,} tokens | device {device}", flush=True)

# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, dropout):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.proj = nn.Linear(n_embd, n_embd, bias=False)
        self.attn_drop = nn.Dropout(dropout)
        self.resid_drop = nn.Dropout(dropout)
        # lower-triangular mask: position t attends to positions <= t only
        mask = torch.tril(torch.ones(SEQ_LEN, SEQ_LEN, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, SEQ_LEN, SEQ_LEN), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_dim)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        # Attention written out (torch 1.13 has no F.scaled_dot_product_attention).
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
        att = F.softmax(att.float(), dim=-1).to(v.dtype)
        y = self.attn_drop(att) @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    def __init__(self, n_embd, dropout):
        super().__init__()
        self.fc = nn.Linear(n_embd, 4 * n_embd, bias=False)
        self.proj = nn.Linear(4 * n_embd, n_embd, bias=False)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd, dropout)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))  # pre-norm residual blocks
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(nn.Module):
    def __init__(self, vocab_size, n_layer, n_head, n_embd, dropout):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)  # token embedding, tied with the output head
        self.wpe = nn.Embedding(SEQ_LEN, n_embd)     # learned position embedding
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, dropout) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.apply(self._init_weights)
        # GPT-2 style: scale the residual projections down with depth
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx):
        """idx: (B, T) token ids -> (B, T, vocab_size) logits."""
        T = idx.size(1)
        pos = torch.arange(T, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()  # tied head


n_embd = max(1, N_EMBD // N_HEAD) * N_HEAD
model = GPT(vocab_size, N_LAYER, N_HEAD, n_embd, DROPOUT).to(device)
num_params = sum(p.numel() for p in model.parameters())
# FLOPs per token for forward + backward: 6 per weight, plus attention scores and mixing.
flops_per_token = 6 * num_params + 12 * N_LAYER * n_embd * SEQ_LEN
print(f"model: {N_LAYER} layers, {N_HEAD} heads, width {n_embd}, {num_params / 1e6:.3f}M params", flush=True)

# AdamW; weight decay on matrices and embeddings, not on LayerNorm gains and biases.
decay = [p for p in model.parameters() if p.dim() >= 2]
no_decay = [p for p in model.parameters() if p.dim() < 2]
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
    lr=LEARNING_RATE, betas=(0.9, 0.95),
)


def lr_at(progress):
    """Linear warmup over WARMUP, then cosine decay to FINAL_LR_FRAC; progress in [0, 1]."""
    if progress < WARMUP:
        return LEARNING_RATE * progress / WARMUP
    t = min(1.0, (progress - WARMUP) / max(1e-8, 1.0 - WARMUP))
    return LEARNING_RATE * (FINAL_LR_FRAC + (1 - FINAL_LR_FRAC) * 0.5 * (1 + math.cos(math.pi * t)))


gen = torch.Generator().manual_seed(SEED)  # batch sampling, independent of the model's RNG use


def get_batch():
    """BATCH_SIZE random windows of the training data: inputs and next-byte targets."""
    ix = torch.randint(len(train_data) - SEQ_LEN - 1, (BATCH_SIZE,), generator=gen)
    chunks = torch.stack([train_data[i:i + SEQ_LEN + 1] for i in ix.tolist()]).long()
    x, y = chunks[:, :-1], chunks[:, 1:]
    if device == "cuda":
        return x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    return x, y


def fail(reason):
    print(f"{reason}\nFAIL", flush=True)
    sys.exit(1)


# ---------------------------------------------------------------------------
# Training loop: runs until TRAIN_SECONDS (or MAX_STEPS) is used up
# ---------------------------------------------------------------------------

model.train()
step, training_time = 0, 0.0
while True:
    progress = training_time / TRAIN_SECONDS
    if MAX_STEPS > 0:
        progress = max(progress, step / MAX_STEPS)
    if progress >= 1.0:
        break
    lr = lr_at(progress)
    for group in optimizer.param_groups:
        group["lr"] = lr

    t0 = time.time()
    x, y = get_batch()
    with autocast:
        logits = model(x)
    loss = F.cross_entropy(logits.float().view(-1, vocab_size), y.reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
    optimizer.step()
    loss_value = loss.item()  # also waits for the GPU, so the step time below is real
    dt = time.time() - t0
    training_time += dt
    step += 1

    if not math.isfinite(loss_value) or loss_value > 100:
        fail(f"step {step:05d} | loss {loss_value} diverged")
    if step % LOG_EVERY == 0 or step == 1:
        print(f"step {step:05d} | loss: {loss_value:.4f} | lr: {lr:.1e} | {dt * 1000:.1f} ms/step", flush=True)

# ---------------------------------------------------------------------------
# Evaluation (prepare.evaluate_bpb, fixed) and summary
# ---------------------------------------------------------------------------

try:
    with autocast:
        val_bpb = evaluate_bpb(model, val_data, device)
except RuntimeError as e:
    fail(str(e))
if not math.isfinite(val_bpb):
    fail(f"val_bpb {val_bpb}")

total_tokens = step * BATCH_SIZE * SEQ_LEN
peak_vram_mb = torch.cuda.max_memory_allocated() / 1024 ** 2 if device == "cuda" else 0.0
# MFU against the GPU's dense bf16 peak where it is known; 0 on CPU or unknown GPUs.
peak_flops = 0.0
if device == "cuda":
    name = torch.cuda.get_device_name()
    peak_flops = next((f for k, f in (("H100", 989.5e12), ("H200", 989.5e12), ("A100", 312e12)) if k in name), 0.0)
mfu = 100 * flops_per_token * total_tokens / training_time / peak_flops if peak_flops and training_time else 0.0

print("---")
print(f"val_bpb:          {val_bpb:.6f}")
print(f"training_seconds: {training_time:.1f}")
print(f"total_seconds:    {time.time() - t_start:.1f}")
print(f"peak_vram_mb:     {peak_vram_mb:.1f}")
print(f"mfu_percent:      {mfu:.2f}")
print(f"total_tokens_M:   {total_tokens / 1e6:.1f}")
print(f"num_steps:        {step}")
print(f"num_params_M:     {num_params / 1e6:.2f}")
print(f"depth:            {N_LAYER}")
