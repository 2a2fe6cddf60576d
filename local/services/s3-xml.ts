import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { ServiceError } from '../core/service';

/** XML in and out for the S3 emulator, with the untyped parse result narrowed by small accessors. */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });
// Values stay strings (a key "0123" must not become 123) and keep their whitespace (keys may have some).
const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, trimValues: false });

export function buildXml(doc: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc)}`;
}

/** The root element's content; MalformedXML when the body is not well-formed XML with that root. */
export function parseXml(body: Buffer, root: string): Record<string, unknown> {
  const xml = body.toString('utf8');
  if (XMLValidator.validate(xml) !== true) throw malformedXml();
  const doc: unknown = parser.parse(xml);
  const content = child(doc, root);
  // An empty root element (`<CreateBucketConfiguration/>`) parses to ''.
  if (content === '') return {};
  if (!isRecord(content)) throw malformedXml();
  return content;
}

export function child(value: unknown, name: string): unknown {
  return isRecord(value) && Object.hasOwn(value, name) ? value[name] : undefined;
}

/** A repeated element: absent is [], a single occurrence is [it]. */
export function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function malformedXml(): ServiceError {
  return new ServiceError('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
}
