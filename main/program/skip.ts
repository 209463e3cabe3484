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

/**
 * Why a folder is not descended into, or undefined when it is walked. Secret-looking dot-folders
 * (`.ssh`, `.aws`, …) are refused before this is asked (secrets.ts); `.git` is not a secret
 * but is never shipped, and the listing says so, since most program folders are repositories.
 */
export function skippedDirReason(name: string): string | undefined {
  if (name === '.git') return 'version control: never shipped';
  if (name.startsWith('.')) return 'dot-folder (tool, editor or environment state)';
  return SKIPPED_DIRS.has(name) ? 'cache, environment or data folder' : undefined;
}

/** Dot-folders (`.git`, `.venv`, `.cache`, …) and the usual cache/data/environment folders. */
export function isSkippedDir(name: string): boolean {
  return skippedDirReason(name) !== undefined;
}

/**
 * Why a file is left out by its name, or undefined when it is read. Dot-files are editor or tool
 * state (secret-looking ones such as `.env` are refused before this is asked, see secrets.ts).
 * Named files (`editable`, `ship`) are kept whatever their name: the owner named them explicitly.
 */
export function skippedFileReason(name: string): string | undefined {
  if (name === '.cohortignore') return 'the ignore rules themselves';
  if (name.startsWith('.')) return 'dot-file (tool or editor state)';
  return DATA_FILE.test(name) ? 'data, weights or compiled code, by its extension' : undefined;
}

/** Dot-files and data files by extension. */
export function isSkippedFile(name: string): boolean {
  return skippedFileReason(name) !== undefined;
}
