import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from './body-parsers.ts';

/** Strings built from what makes a JSON string hard to skip: quotes, backslashes, escapes, colons. */
const trickyString = fc.string({ unit: fc.constantFrom('"', '\\', ':', '{', '}', '[', ']', ',', 'a', 'é', '\n', '\u2028', '😀'), maxLength: 12 });

/** Objects with tricky keys and values (no forbidden or duplicate keys: JSON.stringify cannot write those). */
const body = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, trickyString, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie('object'), tie('array')),
  object: fc.dictionary(trickyString.filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), tie('value'), { maxKeys: 4 }),
  array: fc.array(tie('value'), { maxLength: 4 }),
})).object;

describe('parseJsonText', () => {
  it('accepts what JSON.stringify writes, whatever its strings hold, and returns the same value', () => {
    fc.assert(
      fc.property(body, (value) => {
        const text = JSON.stringify(value);
        expect(parseJsonText(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('finds a key given twice however its strings end (backslashes before a quote) and however it is spelled', () => {
    const twice = [
      '{"a":"\\\\","a":1}', // a value ending in an escaped backslash, then the key again
      '{"a":"\\"","a":1}', // a value that is an escaped quote
      '{"a\\\\":1,"a\\\\":2}',
      '{"\\u0061":1,"a":2}', // the same key, escaped once
      '{"x":{"k":"\\\\\\"","k":0}}',
    ];
    for (const text of twice) expect(() => parseJsonText(text), text).toThrow(/twice in one object/);
  });

  it('finds a forbidden key behind strings that hide quotes', () => {
    for (const text of ['{"s":"\\"","__proto__":1}', '{"s":"\\\\","constructor":{}}', '{"\\u005f_proto__":1}']) {
      expect(() => parseJsonText(text), text).toThrow(/refused anywhere in a body/);
    }
  });

  it('does not take a quoted colon inside a value for a key', () => {
    expect(parseJsonText('{"a":"b\\":","c":"b\\":"}')).toEqual({ a: 'b":', c: 'b":' });
    expect(parseJsonText('["a", "a" ]')).toEqual(['a', 'a']);
  });
});
