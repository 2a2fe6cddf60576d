/**
 * What AWS does not document, as switches. Where AWS's documentation is silent (or contradicts itself)
 * about a behaviour the workflow depends on, the local cloud does not pick the convenient answer: each
 * plausible answer is a variant, with its source, and the workflow is tested under every one of them
 * (the reliability matrix's behaviour axis). `pessimistic` sets each to its least helpful variant.
 *
 * The README's "What AWS does not document" table is generated from this list (npm run docs).
 */
export interface BehaviourSpec {
  /** What AWS leaves open. */
  question: string;
  /** Variant name -> what the local cloud then does. */
  variants: Record<string, string>;
  /** The variant the local cloud uses unless told otherwise. */
  default: string;
  /** The least helpful variant, for `pessimistic`. */
  pessimistic: string;
  /** Where the question comes from: documentation pages, model members, issue threads. */
  sources: string[];
}

export const BEHAVIOURS = {
  'eventbridge-retry-delay': {
    question: "How long EventBridge waits between retries of a failed delivery: the retry policy page says only 'exponential back off and jitter' (by default up to 185 times in 24 hours).",
    variants: {
      seconds: 'full-jitter exponential backoff from 1 s, doubling, capped at 1 minute',
      minutes: 'full-jitter exponential backoff from 1 minute, doubling, capped at 15 minutes (185 attempts then span about a day)',
    },
    default: 'seconds',
    pessimistic: 'minutes',
    sources: ['https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html'],
  },
  'iam-get-missing-role': {
    question:
      "What IAM's GetRole answers for a role that does not exist: NoSuchEntity when the caller may read it, but IAM authorizes before it looks, and a service-linked role that does not exist yet has no path, so a policy naming the role's ARN (with its path) may not match and IAM answers AccessDenied. Not documented; public reports show AccessDenied for missing roles.",
    variants: {
      'no-such-entity': 'GetRole answers NoSuchEntity (404) for a missing role',
      'access-denied': 'GetRole answers AccessDenied (403) for a missing role, as to a caller not allowed to read it',
    },
    default: 'no-such-entity',
    pessimistic: 'access-denied',
    sources: ['https://github.com/aws/chalice/issues/591', 'https://github.com/aws/aws-cdk/issues/27067'],
  },
} satisfies Record<string, BehaviourSpec>;

export type BehaviourName = keyof typeof BEHAVIOURS;
export type Behaviours = Record<BehaviourName, string>;
/** What a caller asks for: `pessimistic`, or some behaviours by name (the rest keep their defaults). */
export type BehaviourSettings = 'pessimistic' | Partial<Behaviours>;

export function resolveBehaviours(settings: BehaviourSettings = {}): Behaviours {
  const out = {} as Behaviours;
  for (const [name, spec] of Object.entries(BEHAVIOURS) as Array<[BehaviourName, BehaviourSpec]>) {
    const chosen = settings === 'pessimistic' ? spec.pessimistic : (settings[name] ?? spec.default);
    if (!(chosen in spec.variants)) throw new Error(`behaviour ${name}: no variant "${chosen}"; choose one of ${Object.keys(spec.variants).join(', ')}`);
    out[name] = chosen;
  }
  for (const name of settings === 'pessimistic' ? [] : Object.keys(settings)) {
    if (!(name in BEHAVIOURS)) throw new Error(`no behaviour "${name}"; the behaviours are ${Object.keys(BEHAVIOURS).join(', ')}`);
  }
  return out;
}
