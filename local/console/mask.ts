/**
 * Masks anything secret-shaped before the local console shows it. The workflow keeps stream URLs out of
 * its executions (only a secret's ARN goes in, functions/validate-request/request.ts), and the console
 * never reads Secrets Manager; this is the second line: an RTMP(S) or SRT URL anywhere in a string (it
 * carries the stream key), and the values of members whose names say secret (task tokens, secret
 * strings, passwords, keys), are replaced wherever they appear, inside JSON-in-a-string too.
 */
export const MASK = '•••';

const STREAM_URL = /\b(rtmps?|srt):\/\/[^\s"'<>\\]+/gi;
const SECRET_MEMBER = /^(task_?token|secret_?string|secret_?binary|password|stream_?key|api_?key|secret_?access_?key|session_?token|url)$/i;

export function maskString(text: string): string {
  const trimmed = text.trim();
  if ((trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'))) {
    try {
      return JSON.stringify(maskValue(JSON.parse(trimmed)));
    } catch {
      // Not JSON after all: mask it as text.
    }
  }
  return text.replace(STREAM_URL, (_url, scheme: string) => `${scheme}://${MASK}`);
}

export function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return value.map(maskValue);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' && v !== '' && SECRET_MEMBER.test(k) && !isArn(v) ? MASK : maskValue(v);
    return out;
  }
  return value;
}

/** An ARN names a secret without revealing it (a secretArn is what the workflow is given). */
function isArn(text: string): boolean {
  return text.startsWith('arn:');
}
