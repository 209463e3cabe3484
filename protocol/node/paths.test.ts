import { describe, expect, it } from 'vitest';
import { cohortPaths } from './paths.ts';

describe('cohortPaths', () => {
  it('COHORT_HOME holds both config and data', () => {
    expect(cohortPaths({ COHORT_HOME: '/tmp/c', XDG_CONFIG_HOME: '/x' }, 'linux')).toEqual({ configDir: '/tmp/c/config', dataDir: '/tmp/c/data' });
  });
  it('follows XDG on Linux, with the usual fallbacks', () => {
    expect(cohortPaths({ HOME: '/home/a', XDG_CONFIG_HOME: '/cfg', XDG_DATA_HOME: '/dat' }, 'linux')).toEqual({ configDir: '/cfg/cohort', dataDir: '/dat/cohort' });
    expect(cohortPaths({ HOME: '/home/a' }, 'linux')).toEqual({ configDir: '/home/a/.config/cohort', dataDir: '/home/a/.local/share/cohort' });
  });
  it('uses Application Support on macOS', () => {
    expect(cohortPaths({ HOME: '/Users/a' }, 'darwin').configDir).toBe('/Users/a/Library/Application Support/Cohort/config');
  });
});
