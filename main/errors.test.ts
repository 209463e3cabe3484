import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, ErrorCode, errorBody } from '../protocol/index.ts';
import { ServiceError } from './errors.ts';
import { GroupAuthError } from './groupauth/device-flow.ts';
import { HttpError } from './http/errors.ts';
import { KbError } from './kb/knowledge-base.ts';
import { PatchError } from './kb/patch.ts';

describe('the error registry', () => {
  it('gives each code one status, whichever kind of refusal carries it', () => {
    expect(ErrorCode.options).toEqual(Object.keys(ERROR_STATUS));
    for (const code of ErrorCode.options) {
      for (const Kind of [ServiceError, HttpError, GroupAuthError, KbError]) {
        const err = new Kind(code, 'why');
        expect(err.status, `${Kind.name} ${code}`).toBe(ERROR_STATUS[code]);
        expect(err.code).toBe(code);
      }
    }
    expect(new PatchError('no').status).toBe(400);
    expect(new PatchError('no').code).toBe('invalid_patch');
  });

  it('refuses, at compile time, a code protocol does not know', () => {
    // Checked by `tsc --noEmit`: each line below must fail to compile, or tsc reports the unused directive.
    // @ts-expect-error 'no_such_code' is not an ErrorCode
    expect(new ServiceError('no_such_code', 'x').status).toBeUndefined();
    // @ts-expect-error a status is no longer chosen by hand
    expect(() => new KbError(409, 'conflict', 'x')).not.toThrow();
    // @ts-expect-error the body writer takes codes only
    expect(errorBody('teapot', 'x')).toEqual({ error: 'teapot', message: 'x' });
    expect(ErrorCode.safeParse('no_such_code').success).toBe(false);
  });

  it('writes the body as {error, message} and nothing else', () => {
    expect(errorBody('conflict', 'taken')).toEqual({ error: 'conflict', message: 'taken' });
  });
});
