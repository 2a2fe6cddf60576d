/**
 * Readable names for a recording's finished files: the request's `output.fileName`, a key template in the
 * concatenation bucket such as `meetings/{externalMeetingId}/{startedAt}-{artifact}`. ValidateRequest checks
 * it (fileNameProblems) before anything exists; VerifyRecording expands it once the files are verified
 * (fileKey) and copies each file there.
 *
 * Keys hold only the characters the S3 User Guide lists as safe ("Naming Amazon S3 objects", Object key
 * naming guidelines: `0-9 a-z A-Z ! - _ . * ' ( )`, and `/` between "folders"); a substituted value is made
 * of them by replacing each run of other characters with `_`, so "Q4 review: all-hands" becomes
 * `Q4_review_all-hands`. A key is at most 1024 bytes of UTF-8 (same page), checked at validation with each
 * placeholder at its longest value.
 */

export const FILE_NAME_FIELD = 'output.fileName';

/** What each placeholder becomes, and the longest it can be (bytes, after sanitizing). */
const PLACEHOLDERS = {
  /** The meeting's ExternalMeetingId (2-64 characters, CreateMeeting's bounds), or its MeetingId when it has none. */
  externalMeetingId: 64,
  /** The capture's start, ISO 8601 UTC to the second with `-` for `:`: 2026-12-02T12-00-00Z. */
  startedAt: 20,
  /** The concatenation sink's folder (audio, composited-video, transcription-messages, ...); `recording` for the manifest. */
  artifact: 22,
  /** The Step Functions execution name (1-80 characters). */
  executionName: 80,
} as const;
type Placeholder = keyof typeof PLACEHOLDERS;
const PLACEHOLDER_NAMES = Object.keys(PLACEHOLDERS) as Placeholder[];

/** S3's limit on a key. */
const MAX_KEY_BYTES = 1024;
/** The longest extension appended (`.json`, the manifest's; files get `.mp4` or `.txt`). */
const LONGEST_EXTENSION = '.json'.length;
/** The `{artifact}` value the manifest is named with. */
export const MANIFEST_ARTIFACT = 'recording';

const SAFE_LITERAL = /^[A-Za-z0-9!_.*'()/-]*$/;
const UNSAFE_IN_VALUE = /[^A-Za-z0-9!_.*'()-]+/gu;
const PLACEHOLDER = /\{([^{}]*)\}/g;

const FIX = `, or leave ${FILE_NAME_FIELD} out to keep the concatenation's names`;
const EXAMPLE = 'recordings/{externalMeetingId}/{startedAt}-{artifact}';

/** Every problem with a template, each naming the field and the fix; [] when it is usable. */
export function fileNameProblems(template: string): string[] {
  const problems: string[] = [];
  const say = (problem: string) => problems.push(`${FILE_NAME_FIELD}: ${problem}`);
  if (template.trim() === '') {
    say(`must not be empty; give a key template such as ${EXAMPLE}${FIX}`);
    return problems;
  }
  const used = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
  const unknown = used.filter((name) => !(PLACEHOLDER_NAMES as string[]).includes(name));
  if (unknown.length > 0) {
    say(`unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')}; the placeholders are ${PLACEHOLDER_NAMES.map((n) => `{${n}}`).join(', ')}`);
  }
  const literal = template.replace(PLACEHOLDER, '');
  if (!SAFE_LITERAL.test(literal)) {
    const bad = [...new Set(literal.replace(/[A-Za-z0-9!_.*'()/-]/g, ''))].map((c) => JSON.stringify(c)).join(' ');
    say(`may contain only letters, digits, / and ! - _ . * ' ( ) (S3's safe key characters) besides placeholders; remove or replace ${bad}`);
  }
  if (template.startsWith('/')) say('must not start with "/" (a key is relative to the bucket); remove the leading "/"');
  if (template.endsWith('/')) say('must end with a file name, not "/" (the extension, .mp4 or .txt, is appended to it); add a name such as {artifact}');
  const segments = template.split('/');
  if (segments.some((s, i) => (s === '' && i > 0 && i < segments.length - 1) || s === '.' || s === '..')) {
    say('must not contain empty, "." or ".." path segments ("//", "/./", "/../"); write each folder name out');
  }
  if (!used.includes('artifact')) {
    say(`must contain {artifact}: every recording has several files (the audio, the meeting events, and any video, content share, data channel or transcription files), which would otherwise get the same name; for example ${EXAMPLE}`);
  }
  const longest = Buffer.byteLength(literal) + used.reduce((n, name) => n + (PLACEHOLDERS[name as Placeholder] ?? 0), 0) + LONGEST_EXTENSION;
  if (longest > MAX_KEY_BYTES) {
    say(`is too long: with the longest values (${PLACEHOLDER_NAMES.map((n) => `{${n}} ${PLACEHOLDERS[n]}`).join(', ')} bytes) and the extension it can reach ${longest} bytes, more than S3's ${MAX_KEY_BYTES}-byte key limit; shorten the text or use fewer placeholders`);
  }
  return problems;
}

/**
 * A value as S3-safe key text: each run of other characters becomes `_`, and a value of only dots becomes
 * underscores, so that no value makes a `.` or `..` segment (the template's own text cannot: validation
 * refuses such segments, and every value is at least one character).
 */
function keySafe(value: string): string {
  const safe = value.replace(UNSAFE_IN_VALUE, '_');
  return /^\.+$/.test(safe) ? safe.replace(/\./g, '_') : safe;
}

/** An ISO 8601 time as `{startedAt}` gives it: to the second, `-` for `:` (2026-12-02T12-00-00Z). */
function keySafeTime(iso: string): string {
  return `${iso.slice(0, 19).replace(/:/g, '-')}Z`;
}

export interface FileNameValues {
  externalMeetingId: string;
  /** ISO 8601; unknown only when no capture chunk and no meeting end is known (the name then says `unknown-start`). */
  startedAt?: string;
  executionName: string;
}

/** The key a file of `artifact` (its extension with the dot, e.g. `.mp4`) gets under the template. */
export function fileKey(template: string, values: FileNameValues, artifact: string, extension: string): string {
  const expanded: Record<Placeholder, string> = {
    externalMeetingId: keySafe(values.externalMeetingId),
    startedAt: values.startedAt ? keySafeTime(values.startedAt) : 'unknown-start',
    artifact: keySafe(artifact),
    executionName: keySafe(values.executionName),
  };
  return `${template.replace(PLACEHOLDER, (_, name: Placeholder) => expanded[name])}${extension}`;
}
