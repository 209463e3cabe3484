/** Test fixture: the exact block karpathy/autoresearch's train.py prints at the end (docs/design.md, "Facts from the field"), and its values. */
export const AUTORESEARCH_SUMMARY = `---
val_bpb:          0.997900
training_seconds: 300.1
total_seconds:    325.9
peak_vram_mb:     45060.2
mfu_percent:      39.80
total_tokens_M:   499.6
num_steps:        953
num_params_M:     50.3
depth:            8
`;

export const AUTORESEARCH_VALUES = {
  val_bpb: 0.9979,
  training_seconds: 300.1,
  total_seconds: 325.9,
  peak_vram_mb: 45060.2,
  mfu_percent: 39.8,
  total_tokens_M: 499.6,
  num_steps: 953,
  num_params_M: 50.3,
  depth: 8,
};
