/**
 * Names and contents that look like credentials. A program folder is shipped to strangers, and the
 * folder an owner publishes is often the one they work in: a key or token left there would reach
 * every member. Such files are refused, not silently skipped, so the owner hears about them
 * (docs/host.md, "What a program ships"). Each answer is the reason shown to the owner.
 */

/** Dot-folders that exist to hold credentials; refused as a whole, never descended into. */
const SECRET_DIRS: ReadonlyMap<string, string> = new Map([
  ['.ssh', 'SSH keys'],
  ['.gnupg', 'GnuPG keys'],
  ['.aws', 'AWS credentials'],
  ['.azure', 'Azure credentials'],
  ['.kaggle', 'a Kaggle API token'],
  ['.huggingface', 'a Hugging Face access token'],
]);

/** Exact file names. */
const SECRET_FILES: ReadonlyMap<string, string> = new Map([
  ['.netrc', 'login passwords for hosts (netrc)'],
  ['_netrc', 'login passwords for hosts (netrc)'],
  ['.git-credentials', "git's stored passwords"],
  ['.pgpass', 'PostgreSQL passwords'],
  ['credentials', 'cloud credentials (the AWS credentials file)'],
  ['credentials.json', 'cloud or OAuth credentials'],
  ['application_default_credentials.json', 'gcloud application default credentials'],
  ['kaggle.json', 'a Kaggle API token'],
  // huggingface-cli stores the access token in a file named just `token`.
  ['token', 'a Hugging Face access token'],
]);

/** Name patterns, tried in order. */
const SECRET_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/^id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$/, 'an SSH private key'],
  [/\.pem$/i, 'a PEM private key or certificate'],
  [/\.key$/i, 'a private key'],
  [/\.(?:p12|pfx)$/i, 'a PKCS #12 key store'],
  [/\.kdbx$/i, 'a KeePass password database'],
  [/^service[-_]account.*\.json$/i, 'a Google Cloud service-account key'],
  [/^client_secret.*\.json$/i, 'an OAuth client secret'],
  [/^\.env(?:\..+)?$|\.env$/, 'an environment file, where API keys usually live'],
];

/** Committed templates of `.env`: they hold placeholders, not keys, and stay quietly unshipped. */
const ENV_TEMPLATE = /^\.env\.(?:example|sample|template|dist)$/;

/** A PEM private key block at the start of a line: RSA, EC, OpenSSH, PKCS #8, encrypted, PGP. */
const PRIVATE_KEY_BLOCK = /^-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/m;

/** Registry configs are harmless without credentials; with them they are secrets. */
const TOKEN_CONTENT: ReadonlyMap<string, readonly [RegExp, string]> = new Map([
  ['.npmrc', [/(?:^|:)_(?:auth|authToken|password)\s*=/m, 'an npm registry token']],
  ['.pypirc', [/^\s*password\s*[=:]/m, 'a PyPI password or token']],
]);

/** What a folder named `name` looks like it holds, or undefined. */
export function secretDirReason(name: string): string | undefined {
  return SECRET_DIRS.get(name);
}

/** What a file named `name` looks like by its name alone, or undefined. */
export function secretFileReason(name: string): string | undefined {
  if (ENV_TEMPLATE.test(name)) return undefined;
  return SECRET_FILES.get(name) ?? SECRET_PATTERNS.find(([re]) => re.test(name))?.[1];
}

/** Files whose name alone says nothing, but whose content may (`secretContentReason`). */
export function mayHoldToken(name: string): boolean {
  return TOKEN_CONTENT.has(name);
}

/** What a text file looks like by its content, or undefined. */
export function secretContentReason(name: string, text: string): string | undefined {
  if (PRIVATE_KEY_BLOCK.test(text)) return 'a private key (it holds a "-----BEGIN … PRIVATE KEY-----" block)';
  const token = TOKEN_CONTENT.get(name);
  return token !== undefined && token[0].test(text) ? token[1] : undefined;
}
