/**
 * `local/part-boundaries`: the parts of docs/design.md ("The parts") enforced by a tool, the way
 * VS Code's local `code-layering` and `code-import-patterns` rules do it. Every linted file belongs
 * to exactly one entry of the part table in eslint.config.js (the first whose glob matches), and
 * every import it makes is refused unless that entry allows it: default deny. A file that no entry
 * claims is an error too, so a new top-level folder cannot slip past the table.
 *
 * An import is a static `import`, `export … from` (re-exports), `import()` with a string, a
 * `require()` call, TypeScript's `import x = require()` and `typeof import()`; type-only imports
 * count, since they couple the parts just the same. A computed `import()` or `require()` cannot be
 * checked and is refused where the part is not allowed everything.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import type { Rule } from 'eslint';

export interface Part {
  /** The part's name in messages, e.g. `renderer/`. */
  name: string;
  /** Globs, relative to the repository root, of the files the entry governs (`*`, `**`, `{a,b}`). */
  files: string[];
  /**
   * Our folders the part may import besides its own: top-level folder names, with `protocol/node`
   * (the Node-only helpers) apart from `protocol`; `*` allows any folder of ours.
   */
  imports: string[];
  /** Whether Node's built-in modules (`node:fs`, bare `fs`) may be imported: false where the code runs in a browser. */
  node: boolean;
  /** Whether `electron` and its subpaths (`electron/main`) may be imported. */
  electron: boolean;
  /** Why the part is bounded so, appended to each refusal. */
  why: string;
}

/** The repository root: this file lives in `<root>/eslint-rules/`. */
const ROOT = path.resolve(import.meta.dirname, '..');

const nodeBuiltins = new Set(builtinModules);

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '{') source += '(?:';
    else if (c === '}') source += ')';
    else if (c === ',') source += '|';
    else source += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The part a repository path belongs to: its top-level folder, or `protocol/node` for the Node-only protocol helpers. */
export function partOf(relative: string): string {
  if (relative === 'protocol/node' || relative.startsWith('protocol/node/')) return 'protocol/node';
  const slash = relative.indexOf('/');
  return slash === -1 ? '.' : relative.slice(0, slash);
}

function isElectron(specifier: string): boolean {
  return specifier === 'electron' || specifier.startsWith('electron/');
}

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || nodeBuiltins.has(specifier);
}

function describeAllowed(part: Part): string {
  const ours = part.imports.map((name) => `${name}/`);
  return ours.length === 0 ? 'nothing of ours' : `only ${ours.join(', ')}`;
}

interface Located {
  type: string;
  value?: unknown;
  quasis?: { value: { cooked?: string | null } }[];
  expressions?: unknown[];
}

/** The string a module specifier node holds, or undefined when it is computed. */
function literal(node: Located | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions?.length === 0) return node.quasis?.[0]?.value.cooked ?? undefined;
  return undefined;
}

export const partBoundaries: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'Each part imports only the parts docs/design.md allows it (default deny).' },
    schema: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          files: { type: 'array', items: { type: 'string' }, minItems: 1 },
          imports: { type: 'array', items: { type: 'string' } },
          node: { type: 'boolean' },
          electron: { type: 'boolean' },
          why: { type: 'string' },
        },
        required: ['name', 'files', 'imports', 'node', 'electron', 'why'],
        additionalProperties: false,
      },
    },
    messages: {
      noPart:
        '{{file}} belongs to no part: add an entry for it to the part table in eslint.config.js (docs/design.md, "The parts").',
      part: '{{part}} may import {{allowed}} (not {{target}}): {{why}}.',
      outside: '{{part}} may not import {{specifier}}: it leaves the repository.',
      electron: 'Only electron/ may import {{specifier}} ({{part}} does): {{why}}.',
      node: '{{part}} may not import the Node module {{specifier}}: {{why}}.',
      computed: '{{part}} may not import a computed specifier: only a string literal can be checked against the part boundaries.',
    },
  },
  create(context) {
    const parts = context.options as Part[];
    const file = path.relative(ROOT, context.physicalFilename).split(path.sep).join('/');
    if (file.startsWith('..') || path.isAbsolute(file)) return {};
    const found = parts.find((entry) => entry.files.some((glob) => globToRegExp(glob).test(file)));
    if (!found) {
      return {
        Program(node) {
          context.report({ node, messageId: 'noPart', data: { file } });
        },
      };
    }
    const part: Part = found;
    const own = partOf(file);
    const anything = part.imports.includes('*');

    function check(node: Rule.Node, source: Located | null | undefined): void {
      const specifier = literal(source);
      const data = { part: part.name, why: part.why, allowed: describeAllowed(part) };
      if (specifier === undefined) {
        if (!anything) context.report({ node, messageId: 'computed', data });
        return;
      }
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const target = path.relative(ROOT, path.resolve(path.dirname(context.physicalFilename), specifier)).split(path.sep).join('/');
        if (target.startsWith('..') || path.isAbsolute(target)) {
          context.report({ node, messageId: 'outside', data: { ...data, specifier } });
          return;
        }
        const targetPart = partOf(target);
        if (targetPart === own || anything || part.imports.includes(targetPart)) return;
        context.report({ node, messageId: 'part', data: { ...data, target } });
        return;
      }
      if (isElectron(specifier)) {
        if (!part.electron) context.report({ node, messageId: 'electron', data: { ...data, specifier } });
        return;
      }
      if (isNodeBuiltin(specifier) && !part.node) context.report({ node, messageId: 'node', data: { ...data, specifier } });
    }

    // One accessor for every import form: typescript-eslint's nodes (TSExternalModuleReference,
    // TSImportType) are not in ESTree's types.
    const field = (node: Rule.Node, key: string): Located | undefined =>
      (node as unknown as Record<string, Located | undefined>)[key];
    const listener: Record<string, (node: Rule.Node) => void> = {
      ImportDeclaration: (node) => check(node, field(node, 'source')),
      ExportNamedDeclaration: (node) => {
        if (field(node, 'source')) check(node, field(node, 'source'));
      },
      ExportAllDeclaration: (node) => check(node, field(node, 'source')),
      ImportExpression: (node) => check(node, field(node, 'source')),
      CallExpression: (node) => {
        const callee = field(node, 'callee') as (Located & { name?: string }) | undefined;
        const args = field(node, 'arguments') as unknown as Located[];
        if (callee?.type === 'Identifier' && callee.name === 'require') check(node, args[0]);
      },
      TSExternalModuleReference: (node) => check(node, field(node, 'expression')),
      TSImportType: (node) => check(node, field(node, 'source') ?? (field(node, 'argument') as { literal?: Located } | undefined)?.literal),
    };
    return listener as Rule.RuleListener;
  },
};
