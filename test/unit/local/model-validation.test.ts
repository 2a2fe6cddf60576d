import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { EventBus } from '../../../local/core/bus';
import { resolveBehaviours } from '../../../local/core/behaviours';
import { SimClock } from '../../../local/core/clock';
import type { CloudContext, IamInternal, S3Internal } from '../../../local/core/context';
import { Router } from '../../../local/core/server';
import type { LocalResponse } from '../../../local/core/service';
import { MediaPipelinesService } from '../../../local/services/media-pipelines';
import { CONCATENATION_ARTIFACTS } from '../../../local/services/media-pipelines-validation';
import { MeetingsService } from '../../../local/services/meetings';
import { MEDIA_REGIONS } from '../../../local/services/meetings-validation';
import {
  ModelValidator,
  codePoints,
  documentedPattern,
  javaPattern,
  loadModel,
  mediaPipelinesModel,
  meetingsModel,
  uriLabels,
  type JsonObject,
  type ServiceModel,
} from '../../../local/services/model-validation';
import { ModelRequests, setAt, type Site } from '../../fixtures/model-requests';

/**
 * The emulators' request validation against AWS's vendored service models (local/models): the Java
 * patterns as JavaScript, the validator's rules and wording, and, for every operation the two Chime
 * emulators serve, property tests that a value breaking any constraint the model declares is refused
 * with a 400 naming the member, and that values meeting them all get past validation.
 */

const ACCOUNT = '123456789012';

describe('javaPattern: the models\' Java regular expressions, matched against whole values', () => {
  const TAG_KEY = javaPattern('^[a-zA-Z+-=._:/]+$');

  it('reads TagKey\'s +-= as the range it is (+ to =, taking , - . / 0-9 : ; <)', () => {
    for (const ok of ['a,b', 'k-1', '0123', 'a;b', 'x<y', 'a=b', 'a+b', 'Name', 'aws:x/y_z.w']) expect(TAG_KEY.test(ok)).toBe(true);
    for (const bad of ['a b', 'a>b', 'a?', '@x', '', 'é', 'a\nb', 'a!', '[x]']) expect(TAG_KEY.test(bad)).toBe(false);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), (c) => {
        const cp = c.codePointAt(0)!;
        const inClass = /^[a-zA-Z._:/]$/.test(c) || (cp >= '+'.codePointAt(0)! && cp <= '='.codePointAt(0)!);
        expect(TAG_KEY.test(`k${c}`)).toBe(inClass);
      }),
    );
  });

  it('matches Arn ^arn[\\/\\:\\-\\_\\.a-zA-Z0-9]+$ (Java\'s \\: and \\_ are the characters themselves)', () => {
    const ARN = javaPattern('^arn[\\/\\:\\-\\_\\.a-zA-Z0-9]+$');
    for (const ok of ['arn:aws:s3:::bucket/prefix', 'arn:aws:chime::123456789012:meeting:6c0f5c4e-1111-4222-8333-444455556666', 'arn_x', 'arn.']) expect(ARN.test(ok)).toBe(true);
    for (const bad of ['arn', 'xarn:aws', 'ARN:aws', 'arn:aws:s3:::b c', 'arn:aws\n', 'arn:aws:s3:::bucket/key+1', 'arn:aws:iam::1:role/a@b']) expect(ARN.test(bad)).toBe(false);
    fc.assert(fc.property(fc.stringMatching(/^[/:\-_.a-zA-Z0-9]{1,60}$/), (rest) => expect(ARN.test(`arn${rest}`)).toBe(true)));
  });

  it('anchors unanchored patterns: ClientRequestToken [-_a-zA-Z0-9]* refuses a token with a space', () => {
    const TOKEN = javaPattern('[-_a-zA-Z0-9]*');
    expect(TOKEN.test('token-1_A')).toBe(true);
    expect(TOKEN.test('not a token!')).toBe(false);
    expect(javaPattern('44100|48000').test('44100')).toBe(true);
    expect(javaPattern('44100|48000').test('144100')).toBe(false);
  });

  it('keeps ExternalUserId\'s documented pattern to Latin-1 letters and Java\'s ASCII whitespace', () => {
    const source = documentedPattern(meetingsModel().shape('CreateAttendeeRequest').members!.ExternalUserId!.documentation);
    expect(source).toBe(`[-_&@+=,(){}\\[\\]\\/«».:|'"#a-zA-Z0-9À-ÿ\\s]*`);
    const EXTERNAL = javaPattern(source!);
    for (const ok of ['alice', 'Ünïcødé ÿ', '«O\'Brien» (host) #1', 'a\tb', 'user@example.com', '[a]{b}|c', 'x\u000by']) expect(EXTERNAL.test(ok)).toBe(true);
    // U+00A0 and U+3000 are whitespace to JavaScript's \s, not to Java's.
    for (const bad of ['a€', 'a\u00a0b', 'a\u3000b', '😀', 'a\u2028b', 'Ā', 'a!b', 'a;b', 'a<b', 'a%b']) expect(EXTERNAL.test(bad)).toBe(false);
  });

  it('reads TenantId\'s lookahead and back-reference: no character four times in a row', () => {
    const TENANT = javaPattern('^(?!.*?(.)\\1{3})[-_!@#$a-zA-Z0-9]*$');
    for (const ok of ['aaab', 'tenant-1', 'a!@#$_-', 'aaa-aaa']) expect(TENANT.test(ok)).toBe(true);
    for (const bad of ['aaaa', 'x----y', 'a b', 'tenant.1']) expect(TENANT.test(bad)).toBe(false);
  });

  it('gives . and \\s Java\'s meaning', () => {
    expect(javaPattern('.*').test('anything at all 😀')).toBe(true);
    for (const terminator of ['\n', '\r', '\u0085', '\u2028', '\u2029']) expect(javaPattern('.*').test(`a${terminator}b`)).toBe(false);
    expect(javaPattern('.*\\S.*').test(' \t ')).toBe(false);
    expect(javaPattern('.*\\S.*').test('\u00a0')).toBe(true);
  });

  it('refuses Java constructs it cannot translate instead of validating differently', () => {
    for (const p of ['a*+', '[a-z&&[^b]]', '(?i)abc', '\\p{L}+', '\\Qa.b\\E', 'a\\z', '[\\S]']) expect(() => javaPattern(p)).toThrow(/no JavaScript translation/);
  });

  it('translates every pattern of both vendored models', () => {
    for (const file of ['chime-sdk-meetings-2021-07-15.json', 'chime-sdk-media-pipelines-2021-07-15.json']) {
      const model = loadModel(file);
      for (const shape of Object.values(model.shapes)) if (shape.pattern) expect(() => javaPattern(shape.pattern!)).not.toThrow();
    }
  });
});

describe('ModelValidator', () => {
  it('counts string lengths in code points, as the Smithy length trait and botocore do', () => {
    expect(codePoints('😀')).toBe(1);
    expect(codePoints('a😀b')).toBe(3);
    expect(codePoints('\ud800')).toBe(1);
    expect(codePoints('x'.repeat(100), 10)).toBe(11);
  });

  it('reads path labels by the requestUri template', () => {
    expect(uriLabels('/meetings/{MeetingId}/attendees/{AttendeeId}', '/meetings/m-1/attendees/a-2')).toEqual({ MeetingId: 'm-1', AttendeeId: 'a-2' });
    expect(uriLabels('/meetings/{MeetingId}/attendees?operation=batch-create', '/meetings/m-1/attendees')).toEqual({ MeetingId: 'm-1' });
    expect(uriLabels('/objects/{Key+}', '/objects/a/b/c')).toEqual({ Key: 'a/b/c' });
    expect(uriLabels('/meetings/{MeetingId}', '/pipelines/x')).toEqual({});
  });

  const TOY: ServiceModel = {
    metadata: { serviceId: 'Toy', apiVersion: '2024-01-01', protocol: 'rest-json' },
    operations: { Put: { name: 'Put', http: { method: 'POST', requestUri: '/things/{Id}' }, input: { shape: 'PutRequest' } } },
    shapes: {
      PutRequest: {
        type: 'structure',
        required: ['Id', 'Name'],
        members: {
          Id: { shape: 'Id', location: 'uri', locationName: 'Id' },
          Name: { shape: 'Name' },
          Secret: { shape: 'Secret' },
          Labels: { shape: 'Labels' },
          Choice: { shape: 'Choice' },
          Count: { shape: 'Count', location: 'querystring', locationName: 'count' },
        },
      },
      Id: { type: 'string', pattern: '[a-z]+' },
      Name: { type: 'string', min: 2, max: 5 },
      Secret: { type: 'string', max: 3, sensitive: true },
      Labels: { type: 'map', key: { shape: 'Name' }, value: { shape: 'Name' }, max: 2 },
      Choice: { type: 'structure', union: true, members: { A: { shape: 'Name' }, B: { shape: 'Name' } } },
      Count: { type: 'integer', min: 1, max: 10 },
    },
  };
  const toy = new ModelValidator(TOY);
  const errors = (input: JsonObject) => toy.violations('Put', input).map((v) => `${v.path}|${v.shown ?? '-'}|${v.constraint}`);

  it('checks required members, lengths, ranges, maps and unions, quoting only non-sensitive scalars', () => {
    expect(errors({ Id: 'abc', Name: 'ok' })).toEqual([]);
    expect(errors({ Id: 'ab1', Secret: 'hunter2', Count: 0, Labels: { x: 'yy', long_key: 'v' }, Choice: { A: 'aa', B: 'bb' }, Ignored: { anything: 1 } })).toEqual([
      "Id|'ab1'|Member must satisfy regular expression pattern: [a-z]+",
      'Name|null|Member must not be null',
      'Secret|-|Member must have length less than or equal to 3',
      "Labels.long_key|'v'|Member must have length greater than or equal to 2",
      'Labels|-|Map keys must satisfy constraint: [Member must have length greater than or equal to 2, Member must have length less than or equal to 5]',
      'Choice|-|Member must have exactly one of [A, B] set',
      "Count|'0'|Member must have value greater than or equal to 1",
    ]);
  });

  it('words the error as AWS does, every violation listed', () => {
    const req = new ModelRequests(toy).request('Put', { Id: 'abc', Name: 'x', Secret: 'hunter2', Count: 11 });
    expect(() => toy.validateRequest('Put', req)).toThrow(
      "3 validation errors detected: Value 'x' at 'Name' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
        "Value at 'Secret' failed to satisfy constraint: Member must have length less than or equal to 3; " +
        "Value '11' at 'Count' failed to satisfy constraint: Member must have value less than or equal to 10",
    );
    const one = () => toy.validateRequest('Put', new ModelRequests(toy).request('Put', { Id: 'abc' }));
    expect(one).toThrow("1 validation error detected: Value null at 'Name' failed to satisfy constraint: Member must not be null");
    expect(toy.validateRequest('Put', new ModelRequests(toy).request('Put', { Id: 'abc', Name: 'ok', Count: 3, Unknown: 1 }))).toEqual({ Id: 'abc', Name: 'ok', Count: 3, Unknown: 1 });
  });
});

// ---- the emulators ----

interface Emulators {
  router: Router;
  clock: SimClock;
  dataDir: string;
}

function startEmulators(): Emulators {
  const clock = new SimClock('virtual');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-validation-'));
  const ctx: CloudContext = { clock, bus: new EventBus(clock, ACCOUNT, 'us-east-1'), account: ACCOUNT, region: 'us-east-1', dataDir, behaviours: resolveBehaviours() };
  const meetings = new MeetingsService(ctx);
  const iam: IamInternal = { roleExists: () => true, roleCreatedAt: () => 0, setRoleUsage: () => undefined, roleUsed: () => undefined };
  const s3: S3Internal = { bucket: () => undefined, putObject: async () => undefined, getObject: async () => undefined, listKeys: async () => [], filePath: (b, k) => path.join(dataDir, b, k) };
  const pipelines = new MediaPipelinesService(ctx, { s3, iam, meetings });
  const router = new Router('us-east-1', clock);
  router.register(meetings);
  router.register(pipelines);
  return { router, clock, dataDir };
}

function answer(response: LocalResponse): { status: number; code?: string; message: string } {
  const body = response.body ? (JSON.parse(response.body.toString()) as { Code?: string; Message?: string }) : {};
  return { status: response.status, code: response.headers?.['x-amzn-errortype'], message: body.Message ?? '' };
}

const VALIDATION = /^\d+ validation errors? detected: /;

/** Every operation of the model the emulators answer, found by asking them (a valid request of each). */
function servedOperations(requests: ModelRequests, router: Router): string[] {
  const services = (router as unknown as { services: Array<{ operation(req: unknown): string | undefined }> }).services;
  return Object.keys(requests.validator.model.operations).filter((op) => {
    const shape = requests.validator.model.operations[op]!.input?.shape;
    const input = shape ? (fc.sample(requests.valid({ shape }, true), { numRuns: 1, seed: 7 })[0] as JsonObject) : {};
    const req = requests.request(op, input);
    return services.some((s) => s.operation(req) === op);
  });
}

describe('the Chime emulators validate every request against the vendored model', () => {
  let emulators: Emulators;
  beforeAll(() => {
    emulators = startEmulators();
  });
  afterAll(async () => {
    await emulators.router.close();
    emulators.clock.stop();
    fs.rmSync(emulators.dataDir, { recursive: true, force: true });
  });

  const services = [
    {
      name: 'Chime SDK Meetings',
      requests: new ModelRequests(meetingsModel()),
      served: ['BatchCreateAttendee', 'CreateAttendee', 'CreateMeeting', 'CreateMeetingWithAttendees', 'DeleteAttendee', 'DeleteMeeting', 'GetAttendee', 'GetMeeting', 'ListAttendees'],
    },
    {
      name: 'Chime SDK Media Pipelines',
      requests: new ModelRequests(mediaPipelinesModel()),
      served: [
        'CreateMediaCapturePipeline',
        'CreateMediaConcatenationPipeline',
        'CreateMediaLiveConnectorPipeline',
        'DeleteMediaCapturePipeline',
        'DeleteMediaPipeline',
        'GetMediaCapturePipeline',
        'GetMediaPipeline',
        'ListMediaCapturePipelines',
        'ListMediaPipelines',
      ],
    },
  ];

  describe.each(services)('$name', ({ requests, served }) => {
    it('serves these operations (the ones the properties below cover)', () => {
      expect(servedOperations(requests, emulators.router).sort()).toEqual(served);
    });

    describe.each(served)('%s', (operation) => {
      const inputShape = { shape: requests.validator.model.operations[operation]!.input!.shape };

      it('refuses a value breaking any constraint of the model with a 400 naming the member', async () => {
        const sites = requests.sites(operation);
        // The rest of the request: a few fully populated valid inputs (every optional member, a list item each).
        const bases = fc.constantFrom(...(fc.sample(requests.valid(inputShape, true), { numRuns: 8 }) as JsonObject[]));
        let checked = 0;
        for (const site of sites) {
          for (const violation of requests.violations(site)) {
            checked += 1;
            await fc.assert(
              fc.asyncProperty(bases, violation, async (base, v) => {
                fc.pre(!v.vacuous);
                const input = setAt(base, site.steps, v.value);
                const { status, code, message } = answer(await emulators.router.dispatch(requests.request(operation, input)));
                expect({ site: site.path, status, code }).toEqual({ site: site.path, status: 400, code: 'BadRequestException' });
                expect(message).toMatch(VALIDATION);
                const about = `at '${site.path}' failed to satisfy constraint: `;
                expect(message).toContain(`${about}${v.constraint}`);
                // Every violation listed is this member's: the rest of the request is valid.
                expect(message.split(about).length - 1).toBe(Number(message.split(' ')[0]));
                expectQuoting(message, site, v.value);
              }),
              { numRuns: 12 },
            );
          }
        }
        expect(checked).toBeGreaterThan(0);
      });

      it('lets every request meeting the model\'s constraints past validation', async () => {
        await fc.assert(
          fc.asyncProperty(fc.oneof(requests.valid(inputShape, false), requests.valid(inputShape, true)) as fc.Arbitrary<JsonObject>, async (input) => {
            const { status, message } = answer(await emulators.router.dispatch(requests.request(operation, input)));
            expect(status).not.toBe(500);
            expect(message).not.toMatch(VALIDATION);
          }),
          { numRuns: 60 },
        );
      });
    });
  });

  /** A sensitive member's value never appears; a non-sensitive string sent in the body is quoted. */
  function expectQuoting(message: string, site: Site, value: unknown): void {
    if (value === undefined) return expect(message).toContain(`Value null at '${site.path}'`);
    if (site.sensitive) {
      expect(message).toContain(`Value at '${site.path}'`);
      if (typeof value === 'string' && value.length >= 8) expect(message).not.toContain(value);
    } else if (typeof value === 'string' && site.shape.type === 'string' && !site.location) {
      expect(message).toContain(`Value '${value}' at '${site.path}'`);
    }
  }

  describe('end to end, the tricky patterns', () => {
    let n = 0;
    const createMeeting = (input: JsonObject) => {
      n += 1;
      return emulators.router.dispatch(
        new ModelRequests(meetingsModel()).request('CreateMeeting', { ClientRequestToken: `token-${n}`, MediaRegion: 'us-east-1', ExternalMeetingId: `meeting-${n}`, ...input }),
      );
    };

    it('creates meetings whatever valid TagKey, TagValue, TenantId and ExternalMeetingId they carry', async () => {
      const requests = new ModelRequests(meetingsModel());
      const member = (shape: string, name: string) => requests.validString(requests.validator.shape(shape).members![name]!, requests.validator.shape(requests.validator.shape(shape).members![name]!.shape));
      await fc.assert(
        fc.asyncProperty(
          member('Tag', 'Key').filter((k) => !k.toLowerCase().startsWith('aws:')),
          member('Tag', 'Value'),
          fc.uniqueArray(requests.valid({ shape: 'TenantId' }, false) as fc.Arbitrary<string>, { minLength: 1, maxLength: 5 }),
          member('CreateMeetingRequest', 'ExternalMeetingId').filter((id) => !id.toLowerCase().startsWith('aws:')),
          async (Key, Value, TenantIds, ExternalMeetingId) => {
            const { status, message } = answer(await createMeeting({ Tags: [{ Key, Value }], TenantIds, ExternalMeetingId }));
            expect({ status, message }).toEqual({ status: 200, message: '' });
          },
        ),
        { numRuns: 100 },
      );
    });

    it('refuses what Java would refuse and JavaScript would not, naming the member', async () => {
      for (const [member, input] of [
        ['ExternalMeetingId', { ExternalMeetingId: 'weekly\u00a0sync' }],
        ['Tags[0].Value', { Tags: [{ Key: 'team', Value: 'a\u2003b' }] }],
        ['Tags[0].Key', { Tags: [{ Key: 'a>b', Value: 'v' }] }],
      ] as const) {
        const { status, message } = answer(await createMeeting(input));
        expect({ member, status }).toEqual({ member, status: 400 });
        expect(message).toContain(`at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern`);
      }
    });

    it('counts lengths in code points: 200 emoji are a valid 256-character media pipelines TagValue', () => {
      const v = mediaPipelinesModel().violations('CreateMediaConcatenationPipeline', {
        Sources: [
          {
            Type: 'MediaCapturePipeline',
            MediaCapturePipelineSourceConfiguration: {
              MediaPipelineArn: 'arn:aws:chime:us-east-1:123456789012:media-pipeline/6c0f5c4e-1111-4222-8333-444455556666',
              ChimeSdkMeetingConfiguration: {
                ArtifactsConfiguration: Object.fromEntries(CONCATENATION_ARTIFACTS.map((a) => [a, { State: 'Enabled' }])),
              },
            },
          },
        ],
        Sinks: [{ Type: 'S3Bucket', S3BucketSinkConfiguration: { Destination: 'arn:aws:s3:::bucket' } }],
        Tags: [{ Key: 'k', Value: '😀'.repeat(200) }, { Key: 'j', Value: '😀'.repeat(257) }],
      });
      expect(v).toEqual([{ path: 'Tags[1].Value', constraint: 'Member must have length less than or equal to 256', shown: `'${'😀'.repeat(257)}'` }]);
    });
  });
});

describe('what the emulators keep from the models besides constraints', () => {
  it('concatenates the artifact types ArtifactsConcatenationConfiguration has', () => {
    expect([...CONCATENATION_ARTIFACTS].sort()).toEqual(Object.keys(mediaPipelinesModel().shape('ArtifactsConcatenationConfiguration').members!).sort());
  });

  it('takes the media regions from the CreateMeeting MediaRegion documentation', () => {
    expect(MEDIA_REGIONS).toEqual(expect.arrayContaining(['us-east-1', 'eu-west-2', 'af-south-1', 'us-gov-west-1']));
    expect(MEDIA_REGIONS).toHaveLength(20);
  });
});
