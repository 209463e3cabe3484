import { describe, expect, it } from 'vitest';
import { NO_RULES, parseCohortIgnore } from './cohortignore.ts';

describe('.cohortignore', () => {
  const rules = parseCohortIgnore(['# comment', '', '*.ipynb', 'build/', '/TODO.md', 'logs/*', '!logs/keep.txt', 'CRLF.txt\r', ''].join('\n'));

  it('matches as gitignore does, naming the line of the rule', () => {
    expect(rules.match('a/b/explore.ipynb', false)).toEqual({ line: 3, pattern: '*.ipynb' });
    expect(rules.match('build', true)).toEqual({ line: 4, pattern: 'build/' });
    expect(rules.match('src/build', true)).toEqual({ line: 4, pattern: 'build/' });
    expect(rules.match('build', false)).toBeUndefined(); // a file named build: folder patterns do not apply
    expect(rules.match('build/x.py', false)).toEqual({ line: 4, pattern: 'build/' }); // through its folder
    expect(rules.match('TODO.md', false)).toEqual({ line: 5, pattern: '/TODO.md' });
    expect(rules.match('docs/TODO.md', false)).toBeUndefined();
    expect(rules.match('logs/a.txt', false)).toEqual({ line: 6, pattern: 'logs/*' });
    expect(rules.match('logs/keep.txt', false)).toBeUndefined();
    expect(rules.match('CRLF.txt', false)).toEqual({ line: 8, pattern: 'CRLF.txt' });
    expect(rules.match('train.py', false)).toBeUndefined();
  });

  it('without a file nothing is ignored', () => {
    expect(NO_RULES.match('anything', false)).toBeUndefined();
  });
});
