/**
 * What a program folder keeps: source and config text. Caches, environments and data are left out
 * by name, so they are never even read (a dataset next to train.py must not be shipped to members).
 */

/** Folder names never descended into (dot-folders are skipped too, see `isSkippedDir`). */
const SKIPPED_DIRS = new Set([
  '__pycache__',
  'node_modules',
  'venv',
  'env',
  'site-packages',
  'data',
  'datasets',
  'checkpoints',
  'ckpt',
  'wandb',
  'mlruns',
  'lightning_logs',
  'outputs',
]);

/** Compiled code, model weights, arrays, archives, databases, media and tabular data. */
const DATA_FILE =
  /\.(?:py[cod]|so|dylib|dll|exe|o|a|class|jar|whl|egg|bin|pt|pth|ckpt|safetensors|onnx|pb|tflite|h5|hdf5|npy|npz|pkl|pickle|joblib|parquet|arrow|feather|csv|tsv|jsonl|tfrecords?|db|sqlite3?|lmdb|mdb|tar(?:\.[a-z0-9]+)?|tgz|gz|bz2|xz|zst|zip|7z|rar|png|jpe?g|gif|bmp|webp|tiff?|mp[34]|wav|flac|ogg|avi|mov|mkv|pdf|log)$/i;

/** Dot-folders (`.git`, `.venv`, `.cache`, …) and the usual cache/data/environment folders. */
export function isSkippedDir(name: string): boolean {
  return name.startsWith('.') || SKIPPED_DIRS.has(name);
}

/**
 * Dot-files (`.env` may hold secrets, the rest is editor or tool state) and data files by extension.
 * An `editable` file is kept whatever its name: the owner named it explicitly.
 */
export function isSkippedFile(name: string): boolean {
  return name.startsWith('.') || DATA_FILE.test(name);
}
