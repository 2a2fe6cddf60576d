import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { mp4Info, NotAnMp4 } from '../../../functions/lib/mp4';
import { writeMp4, joinMp4, type Mp4Layout } from '../../../local/services/mp4';

/**
 * VerifyRecording's MP4 reader against files the local cloud writes (ftyp, mdat, moov in either order):
 * the duration from the movie header, read with ranged GETs of the box headers and the moov box only.
 */
function serve(file: Buffer) {
  const s3 = mockClient(S3Client);
  const ranges: Array<[number, number]> = [];
  s3.on(GetObjectCommand).callsFake((input: { Range?: string }) => {
    const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '') ?? [];
    if (a === undefined) throw new Error('expected a ranged GET');
    const start = Number(a);
    const end = Math.min(Number(b), file.length - 1);
    ranges.push([start, end]);
    const bytes = file.subarray(start, end + 1);
    return { ContentRange: `bytes ${start}-${end}/${file.length}`, ContentLength: bytes.length, Body: { transformToByteArray: async () => new Uint8Array(bytes) } };
  });
  return { client: new S3Client({}), ranges, restore: () => s3.restore() };
}

describe('mp4Info', () => {
  it.each<Mp4Layout>(['moov-last', 'moov-first'])('reads the duration of a %s file without reading its media', async (layout) => {
    // 24 five-second chunks joined: two minutes of audio and video.
    const chunk = writeMp4(5000, { audio: true, video: { width: 1280, height: 720 } }, layout);
    const file = joinMp4(Array.from({ length: 24 }, () => chunk), layout);
    const { client, ranges, restore } = serve(file);
    try {
      expect(await mp4Info(client, 'b', 'k.mp4')).toEqual({ size: file.length, durationSeconds: 120, hasVideo: true });
      const read = ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
      const mdat = file.indexOf('mdat') - 4;
      const mdatSize = file.readUInt32BE(mdat);
      // Everything but the media: the box headers and the moov box.
      expect(read).toBeLessThan(file.length - mdatSize + 64);
      expect(ranges.some(([a, b]) => a <= mdat + 8 && b >= mdat + mdatSize - 1)).toBe(false);
    } finally {
      restore();
    }
  });

  it('says whether a file has a video track (audio only: no)', async () => {
    const { client, restore } = serve(writeMp4(5000, { audio: true }, 'moov-last'));
    try {
      expect(await mp4Info(client, 'b', 'k.mp4')).toMatchObject({ durationSeconds: 5, hasVideo: false });
    } finally {
      restore();
    }
  });

  it('refuses a file without a moov box (cut short), or one whose boxes run past its end, as NotAnMp4', async () => {
    const whole = writeMp4(5000, { audio: true }, 'moov-last');
    const cut = whole.subarray(0, whole.indexOf('moov') - 4);
    for (const file of [cut, whole.subarray(0, whole.length - 10)]) {
      const { client, restore } = serve(file);
      try {
        await expect(mp4Info(client, 'b', 'k.mp4')).rejects.toBeInstanceOf(NotAnMp4);
      } finally {
        restore();
      }
    }
  });
});
