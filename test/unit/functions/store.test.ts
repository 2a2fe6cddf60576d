import fc from 'fast-check';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { fromItem, toItem } from '../../../functions/lib/store';

/**
 * The store converts items itself instead of bundling @aws-sdk/util-dynamodb; for every shape the table
 * holds (strings, numbers, booleans, null, lists and maps of them, optional fields) it must write and
 * read exactly what util-dynamodb's marshall (removeUndefinedValues) and unmarshall do.
 */
const leaf = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 4 }), tie('map')),
  map: fc.dictionary(fc.string(), fc.option(tie('value'), { nil: undefined }), { maxKeys: 5 }),
}));
const item = fc.dictionary(fc.string(), fc.option(value, { nil: undefined }), { maxKeys: 8 });

describe('recordings table item conversion', () => {
  it('writes what marshall writes', () => {
    fc.assert(fc.property(item, (values) => expect(toItem(values)).toEqual(marshall(values, { removeUndefinedValues: true }))));
  });

  it('reads what unmarshall reads', () => {
    fc.assert(fc.property(item, (values) => {
      const stored = marshall(values, { removeUndefinedValues: true });
      expect(fromItem(stored)).toEqual(unmarshall(stored));
    }));
  });

  it('refuses values DynamoDB cannot hold instead of writing something else', () => {
    expect(() => toItem({ n: Number.NaN })).toThrow(TypeError);
    expect(() => toItem({ f: () => 1 })).toThrow(TypeError);
  });
});
