import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readIsoBoxes, readMdhd, readMvhd, type MediaHeaderBox, type MovieHeaderBox } from '@svta/cml-iso-bmff';
import { EventBus } from '../../../local/core/bus';
import { resolveBehaviours } from '../../../local/core/behaviours';
import { SimClock } from '../../../local/core/clock';
import { Router, listen } from '../../../local/core/server';
import { joinMp4, writeMp4, type Mp4Layout, type Mp4Tracks } from '../../../local/services/mp4';
import { S3Service } from '../../../local/services/s3';
import { closeServer, failure } from '../../fixtures/async';
import { inspectMp4 } from '../../fixtures/mp4';

const HD = { width: 1280, height: 720 };
const FHD = { width: 1920, height: 1080 };
const LAYOUTS: Mp4Layout[] = ['moov-first', 'moov-last'];
const TRACK_SETS: Array<[string, Mp4Tracks]> = [
  ['audio', { audio: true }],
  ['audio and HD video', { audio: true, video: HD }],
  ['FHD video', { audio: false, video: FHD }],
  ['portrait video', { audio: false, video: { width: 720, height: 1280 } }],
];

describe('local cloud MP4 files', () => {
  describe.each(LAYOUTS)('%s', (layout) => {
    it.each(TRACK_SETS)('a chunk of %s lasts exactly its span in every header, its sample tables agreeing', (_, tracks) => {
      for (const ms of [5000, 4321, 1234, 40, 1]) {
        const mp4 = inspectMp4(writeMp4(ms, tracks, layout));
        expect(mp4.layout).toEqual(layout === 'moov-first' ? ['ftyp', 'moov', 'mdat'] : ['ftyp', 'mdat', 'moov']);
        expect(mp4.durationMs).toBe(ms);
        expect(mp4.tracks.map((t) => t.handler)).toEqual([...(tracks.audio ? ['soun'] : []), ...(tracks.video ? ['vide'] : [])]);
        for (const t of mp4.tracks) {
          expect([t.duration, t.headerDuration]).toEqual([(ms * t.timescale) / 1000, ms]);
          // 1024-sample AAC frames at 48 kHz; 15 video frames a second; a last, shorter sample for the rest.
          expect(t.samples).toBe(t.handler === 'soun' ? Math.ceil((ms * 48) / 1024) : Math.ceil((ms * 15) / 1000));
        }
        const video = mp4.tracks.find((t) => t.handler === 'vide');
        if (video) expect([video.width, video.height, video.sync]).toEqual([tracks.video?.width, tracks.video?.height, [1]]);
      }
    });

    it('a joined file lasts the sum of its parts, whatever their layout, with every sample and sync sample of theirs', () => {
      const tracks = { audio: true, video: HD };
      const spans = [5000, 5000, 5000, 5000, 2345];
      const parts = spans.map((ms, i) => writeMp4(ms, tracks, LAYOUTS[i % 2]!));
      const each = parts.map((p) => inspectMp4(p));
      const joined = inspectMp4(joinMp4(parts, layout));
      expect(joined.layout[1]).toBe(layout === 'moov-first' ? 'moov' : 'mdat');
      expect(joined.durationMs).toBe(sum(spans));
      joined.tracks.forEach((t, i) => {
        expect(t.duration).toBe(sum(each.map((p) => p.tracks[i]!.duration)));
        expect(t.samples).toBe(sum(each.map((p) => p.tracks[i]!.samples)));
      });
      // Each part starts with an IDR picture: one sync sample a part, at its first sample.
      const starts: number[] = [];
      for (let next = 1, i = 0; i < each.length; next += each[i]!.tracks[1]!.samples, i += 1) starts.push(next);
      expect(joined.tracks[1]!.sync).toEqual(starts);
      // Joined files join again (their tables have several runs each), to the same bytes.
      expect(joinMp4([joinMp4(parts.slice(0, 2), 'moov-last'), joinMp4(parts.slice(2), 'moov-first')], layout).equals(joinMp4(parts, layout))).toBe(true);
    });

    it('a join missing a chunk is shorter by exactly that chunk', () => {
      const chunks = [5000, 5000, 5000, 5000, 3210].map((ms) => writeMp4(ms, { audio: true }, 'moov-last'));
      const whole = inspectMp4(joinMp4(chunks, layout));
      const lost = inspectMp4(joinMp4([...chunks.slice(0, 2), ...chunks.slice(3)], layout));
      expect(whole.durationMs).toBe(23_210);
      expect(whole.durationMs - lost.durationMs).toBe(5000);
      expect(whole.tracks[0]!.samples - lost.tracks[0]!.samples).toBe(inspectMp4(chunks[2]!).tracks[0]!.samples);
    });
  });

  it('refuses to join what only re-encoding could join', () => {
    const audio = writeMp4(5000, { audio: true }, 'moov-last');
    expect(() => joinMp4([audio, writeMp4(5000, { audio: true, video: HD }, 'moov-last')], 'moov-last')).toThrow(/part 2 has 2 tracks, part 1 has 1/);
    expect(() => joinMp4([writeMp4(5000, { audio: false, video: HD }, 'moov-last'), writeMp4(5000, { audio: false, video: FHD }, 'moov-last')], 'moov-last')).toThrow(/not encoded as in part 1/);
    expect(() => joinMp4([audio, Buffer.from('local cloud placeholder for an MP4 chunk\n')], 'moov-last')).toThrow(/part 2/);
    expect(() => joinMp4([audio.subarray(0, audio.length - 100)], 'moov-last')).toThrow(/part 1/);
    expect(() => joinMp4([], 'moov-last')).toThrow(/nothing to join/);
  });

  // An independent decoder, where one is installed: every frame decodes, and decodes to what it claims.
  const ffmpeg = ['ffmpeg', 'ffprobe'].every((tool) => spawnSync(tool, ['-version']).status === 0);
  (ffmpeg ? it : it.skip)('ffmpeg decodes chunks and joined files without a warning: silence and a black picture', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-mp4-'));
    try {
      const chunks = [1000, 1000, 234].map((ms) => writeMp4(ms, { audio: true, video: HD }, 'moov-last'));
      for (const [name, file] of [['chunk', chunks[0]!], ['joined', joinMp4(chunks, 'moov-first')]] as const) {
        const at = path.join(dir, `${name}.mp4`);
        fs.writeFileSync(at, file);
        const decode = (...args: string[]) => spawnSync('ffmpeg', ['-v', 'warning', '-i', at, ...args, '-'], { maxBuffer: 1 << 30 });
        const video = decode('-map', '0:v', '-f', 'rawvideo', '-pix_fmt', 'yuv420p');
        const audio = decode('-map', '0:a', '-f', 's16le');
        expect([video.status, video.stderr.toString(), audio.status, audio.stderr.toString()]).toEqual([0, '', 0, '']);
        // What the decoder makes of the streams agrees with the headers.
        const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,profile,sample_rate,channels,width,height,duration', '-of', 'json', at]);
        const streams = (JSON.parse(probe.stdout.toString()) as { streams: Array<Record<string, unknown>> }).streams;
        const seconds = String((inspectMp4(file).durationMs / 1000).toFixed(6));
        expect(streams).toEqual([
          { codec_name: 'aac', profile: 'LC', sample_rate: '48000', channels: 2, duration: seconds },
          { codec_name: 'h264', profile: 'Constrained Baseline', width: 1280, height: 720, duration: seconds },
        ]);
        // Video-range black: luma 16, both chroma planes 128.
        const black = Buffer.concat([Buffer.alloc(HD.width * HD.height, 16), Buffer.alloc((HD.width * HD.height) / 2, 128)]);
        const frames = video.stdout.length / black.length;
        expect(frames).toBe(inspectMp4(file).tracks[1]!.samples);
        for (let f = 0; f < frames; f += 1) expect(video.stdout.subarray(f * black.length, (f + 1) * black.length).equals(black)).toBe(true);
        expect(audio.stdout.length).toBeGreaterThan(0);
        expect(audio.stdout.equals(Buffer.alloc(audio.stdout.length))).toBe(true);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('read through the local S3 with ranged GETs', () => {
    let dataDir: string;
    let clock: SimClock;
    let router: Router;
    let server: Awaited<ReturnType<typeof listen>>['server'];
    let s3Service: S3Service;
    let s3: S3Client;

    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-mp4-s3-'));
      clock = new SimClock('virtual');
      const ctx = { clock, bus: new EventBus(clock, '123456789012', 'us-east-1'), account: '123456789012', region: 'us-east-1', dataDir, behaviours: resolveBehaviours() };
      s3Service = new S3Service(ctx);
      router = new Router('us-east-1', clock);
      router.register(s3Service);
      const listening = await listen(router, 0, 'us-east-1');
      server = listening.server;
      s3 = new S3Client({ endpoint: `http://127.0.0.1:${listening.port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' } });
      await s3.send(new CreateBucketCommand({ Bucket: 'recordings' }));
    });

    afterAll(async () => {
      s3.destroy();
      await closeServer(server);
      await router.close();
      clock.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it.each(LAYOUTS)('%s: the duration comes from the moov box alone, a small part of the file', async (layout) => {
      // Ten minutes of composited video: 120 chunks.
      const chunks = Array.from({ length: 120 }, () => writeMp4(5000, { audio: true, video: HD }, layout));
      const key = `composited-video/${layout}.mp4`;
      await s3Service.putObject('recordings', key, joinMp4(chunks, layout), 'video/mp4');
      const size = (await s3.send(new HeadObjectCommand({ Bucket: 'recordings', Key: key }))).ContentLength!;
      let fetched = 0;
      const read = async (start: number, end: number): Promise<Buffer> => {
        const out = await s3.send(new GetObjectCommand({ Bucket: 'recordings', Key: key, Range: `bytes=${start}-${end - 1}` }));
        expect([out.$metadata.httpStatusCode, out.ContentRange]).toEqual([206, `bytes ${start}-${end - 1}/${size}`]);
        const bytes = Buffer.from(await out.Body!.transformToByteArray());
        fetched += bytes.length;
        return bytes;
      };
      // Walk the top-level box headers (16 bytes each at most) until moov, then fetch moov itself.
      let moov: Buffer | undefined;
      for (let at = 0; !moov && at < size; ) {
        const header = await read(at, Math.min(size, at + 16));
        const boxSize = header.readUInt32BE(0) === 1 ? Number(header.readBigUInt64BE(8)) : header.readUInt32BE(0);
        if (header.toString('latin1', 4, 8) === 'moov') moov = await read(at, at + boxSize);
        at += boxSize;
      }
      expect(moov).toBeDefined();
      const [movie] = readIsoBoxes(moov!, { readers: { mvhd: readMvhd, mdhd: readMdhd } });
      const headers = [...boxesOf(movie)];
      const mvhd = headers.find((b): b is MovieHeaderBox => b.type === 'mvhd')!;
      const mdhds = headers.filter((b): b is MediaHeaderBox => b.type === 'mdhd');
      expect(mvhd.duration / mvhd.timescale).toBe(600);
      expect(mdhds.map((m) => m.duration / m.timescale)).toEqual([600, 600]);
      expect(fetched).toBeLessThan(moov!.length + 64);
      expect(fetched).toBeLessThan(size / 10);
    });

    it('serves one range and ignores a request for several, as S3 does', async () => {
      await s3Service.putObject('recordings', 'audio/one.mp4', writeMp4(5000, { audio: true }, 'moov-first'), 'video/mp4');
      const several = await s3.send(new GetObjectCommand({ Bucket: 'recordings', Key: 'audio/one.mp4', Range: 'bytes=0-7,16-23' }));
      expect([several.$metadata.httpStatusCode, several.ContentRange, several.ContentLength]).toEqual([200, undefined, inspectSize(await several.Body!.transformToByteArray())]);
      expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'recordings', Key: 'audio/one.mp4', Range: 'bytes=999999-' })))).toEqual({ name: 'InvalidRange', status: 416, message: expect.any(String) });
    });
  });
});

function sum(values: number[]): number {
  return values.reduce((n, v) => n + v, 0);
}

/** The length of a whole MP4 that parses: what a request for several ranges must return. */
function inspectSize(bytes: Uint8Array): number {
  inspectMp4(bytes);
  return bytes.length;
}

function* boxesOf(box: unknown): Generator<{ type: string }> {
  const b = box as { type: string; boxes?: unknown[] };
  yield b;
  for (const child of b.boxes ?? []) yield* boxesOf(child);
}
