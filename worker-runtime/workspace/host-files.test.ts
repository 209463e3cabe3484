import { describe, expect, it } from 'vitest';
import { checkHostFiles, HostFilesError } from './host-files.ts';

const file = (path: string, content = 'x') => ({ path, content });
const limits = { maxFiles: 10, maxFileBytes: 100, maxTotalBytes: 250 };

describe('files from a host', () => {
  it('accepts a real program layout', () => {
    expect(() => checkHostFiles([file('TASK.md'), file('train.py'), file('src/model/net.py'), file('src/data.py')], ['train.py', 'src/model/net.py', 'notes.md'], limits)).not.toThrow();
  });

  it.each([
    ['an editable file that is a folder of sent files', [file('lib/util.py')], ['lib'], /"lib" is sent as a file, and also as a folder/],
    ['an editable file under a sent file', [file('train.py')], ['train.py/x.py'], /"train\.py" is sent as a file, and also as a folder/],
    ['an editable file in .cohort/', [file('train.py')], ['.cohort/base/train.py'], /is an editable file in \.cohort\//],
    ['an editable file differing from a sent one only in case', [file('train.py')], ['Train.py'], /"Train\.py" is an editable file that differs from "train\.py" only in case/],
    ['an editable file with control characters', [file('train.py')], ['a\u009bb.py'], /is an editable file with control characters/],
    ['a file sent twice', [file('train.py'), file('train.py')], [], /"train\.py" was sent twice/],
    ['a C1 control in a name', [file('a\u0085b.py')], [], /has control characters in its name/],
  ])('refuses %s, naming it', (_name, files, editable, message) => {
    expect(() => checkHostFiles(files, editable, limits)).toThrow(HostFilesError);
    expect(() => checkHostFiles(files, editable, limits)).toThrow(message);
  });

  it('counts bytes, not characters', () => {
    expect(() => checkHostFiles([file('a.py', 'é'.repeat(51))], [], limits)).toThrow(/"a\.py" is 102 bytes, over the limit of 100 bytes for one file/);
  });
});
