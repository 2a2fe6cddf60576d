/**
 * What ValidateRequest derives from the execution name when the request leaves it to the stack.
 *
 * Step Functions execution names are 1-80 characters and may hold `+ = @ ! ( ) '` and any non-ASCII
 * letter (REFERENCE.md), which the media pipelines' Arn shape (`^arn[\/\:\-\_\.a-zA-Z0-9]+$`, at most
 * 1024) refuses in a sink `arn:<partition>:s3:::bucket/<prefix>`.
 */

/**
 * The execution name as one S3 key segment for the default prefixes (`captures/<segment>`,
 * `recordings/<segment>`): a reversible mapping, percent-encoding with `_` as the escape character.
 * Letters, digits, `-` and `.` stay; every other character, `_` itself included, becomes `_`, its Unicode
 * code point in uppercase hex, and `_`: `rec(1)_x` becomes `rec_28_1_29__5F_x`. To read a name back,
 * replace each `_<hex>_` with its character. One escape per code point (not per UTF-8 byte, as `%XX` is)
 * keeps an 80-character name within 640 characters, so even `arn:aws-us-gov:s3:::` with a 63-character
 * bucket and `/recordings/` stays far inside the 1024 limit; the result holds only characters S3 lists
 * as safe in object keys.
 */
export function keySegment(executionName: string): string {
  return executionName.replace(/[^A-Za-z0-9.-]/gu, (c) => `_${c.codePointAt(0)!.toString(16).toUpperCase()}_`);
}

/**
 * The meeting's ExternalMeetingId when the request gives none: the execution name. The meetings model
 * allows any characters in 2-64 (no pattern), and the `aws:` prefix AWS reserves cannot occur (execution
 * names hold no `:`). Cut to 64 UTF-16 units without splitting a surrogate pair, so the id is well formed
 * and within 64 whether the service counts code points or UTF-16 units.
 */
export function externalMeetingIdFor(executionName: string): string {
  let id = '';
  for (const c of executionName) {
    if (id.length + c.length > 64) break;
    id += c;
  }
  return id.length >= 2 ? id : `recording-${id}`;
}
