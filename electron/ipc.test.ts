import { describe, expect, it } from 'vitest';
import { isExternalWebUrl, isSameOrigin, NoArgs, OwnerTokenReply, PickFolderReply, programFromArgs } from './ipc.ts';

describe('electron/ipc', () => {
  it('same origin means scheme, host and port', () => {
    expect(isSameOrigin('http://127.0.0.1:4000/x?y#z', 'http://127.0.0.1:4000')).toBe(true);
    expect(isSameOrigin('http://127.0.0.1:4001/', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('http://localhost:4000/', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('https://127.0.0.1:4000/', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('file:///etc/passwd', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin('not a url', 'http://127.0.0.1:4000')).toBe(false);
    expect(isSameOrigin(undefined, 'http://127.0.0.1:4000')).toBe(false);
  });

  it('only http(s) links leave for the system browser', () => {
    expect(isExternalWebUrl('https://example.org/a')).toBe(true);
    expect(isExternalWebUrl('http://example.org')).toBe(true);
    for (const url of ['file:///tmp/x', 'javascript:alert(1)', 'smb://host/share', 'ms-settings:', '']) expect(isExternalWebUrl(url)).toBe(false);
  });

  it('payload schemas refuse extra arguments and empty tokens', () => {
    expect(NoArgs.safeParse([]).success).toBe(true);
    expect(NoArgs.safeParse(['../../etc']).success).toBe(false);
    expect(OwnerTokenReply.safeParse('').success).toBe(false);
    expect(PickFolderReply.safeParse(null).success).toBe(true);
  });

  it('the program comes from --program, --program=, then COHORT_PROGRAM', () => {
    expect(programFromArgs(['electron', '.', '--program', '/p'], {})).toBe('/p');
    expect(programFromArgs(['electron', '--program=/q'], {})).toBe('/q');
    expect(programFromArgs(['electron'], { COHORT_PROGRAM: '/r' })).toBe('/r');
    expect(programFromArgs(['electron'], {})).toBeNull();
  });
});
