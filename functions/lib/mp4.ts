import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readHdlr, readIsoBoxes, readMvhd, type HandlerReferenceBox, type MovieHeaderBox } from '@svta/cml-iso-bmff';

/**
 * An MP4's size and duration read the way a player reads them, without downloading the media: ranged
 * GETs of the top-level box headers (ISO/IEC 14496-12 §4.2: a 32-bit size and a type, a 64-bit size when
 * the 32-bit one is 1, "to the end of the file" when it is 0) until the `moov` box, then one ranged GET of
 * that box, parsed with @svta/cml-iso-bmff (the Streaming Video Technology Alliance's ISO BMFF reader) for
 * the movie header's timescale and duration. Where the muxer put `moov` (first, "faststart", or after
 * the media, as ffmpeg does unless asked) is not documented for media pipelines' files, so both are read.
 */

/** How many top-level boxes are looked at before giving up: an MP4 has a handful (ftyp, free, mdat, moov). */
const MAX_TOP_LEVEL_BOXES = 32;
/** The largest moov read (its sample tables grow with the duration: ~8 MB is days of 5-second audio). */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;

export interface Mp4Info {
  size: number;
  durationSeconds: number;
  /** Whether a track is video (a `vide` handler): the content type is video/mp4, else audio/mp4. */
  hasVideo: boolean;
}

export class NotAnMp4 extends Error {
  override name = 'NotAnMp4';
}

export async function mp4Info(s3: S3Client, bucket: string, key: string): Promise<Mp4Info> {
  const where = `s3://${bucket}/${key}`;
  const read = async (start: number, end: number): Promise<{ bytes: Uint8Array; size: number }> => {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }));
    const bytes = await out.Body!.transformToByteArray();
    // Content-Range: bytes 0-15/12345 (a ranged GET answers the whole size after the slash).
    const size = Number(/\/(\d+)$/.exec(out.ContentRange ?? '')?.[1] ?? out.ContentLength ?? bytes.byteLength);
    return { bytes, size };
  };
  const first = await read(0, 15);
  let size = first.size;
  let offset = 0;
  for (let n = 0; n < MAX_TOP_LEVEL_BOXES && offset + 8 <= size; n += 1) {
    const header = offset === 0 ? first.bytes : (await read(offset, Math.min(offset + 15, size - 1))).bytes;
    if (header.byteLength < 8) break;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const size32 = view.getUint32(0);
    const type = String.fromCharCode(...header.subarray(4, 8));
    const boxSize = size32 === 1 ? Number(view.getBigUint64(8)) : size32 === 0 ? size - offset : size32;
    if (boxSize < 8 || offset + boxSize > size) throw new NotAnMp4(`${where}: top-level box "${type}" at byte ${offset} declares ${boxSize} bytes, past the file's ${size}`);
    if (type === 'moov') {
      if (boxSize > MAX_MOOV_BYTES) throw new NotAnMp4(`${where}: moov box of ${boxSize} bytes, more than the ${MAX_MOOV_BYTES} read`);
      const moov = await read(offset, offset + boxSize - 1);
      size = moov.size;
      const boxes = readIsoBoxes(moov.bytes, { readers: { mvhd: readMvhd, hdlr: readHdlr } });
      const mvhd = find<MovieHeaderBox>(boxes, 'mvhd')[0];
      if (!mvhd || !(mvhd.timescale > 0)) throw new NotAnMp4(`${where}: moov box without a movie header (mvhd) with a timescale`);
      const hasVideo = find<HandlerReferenceBox>(boxes, 'hdlr').some((h) => h.handlerType === 'vide');
      return { size, durationSeconds: mvhd.duration / mvhd.timescale, hasVideo };
    }
    offset += boxSize;
  }
  throw new NotAnMp4(`${where}: no moov box among its top-level boxes (${size} bytes)`);
}

/** Every box of `type` in the tree, in order. */
function find<T>(boxes: readonly unknown[], type: string): T[] {
  return (boxes as Array<{ type?: string; boxes?: unknown[] }>).flatMap((box) => [...(box.type === type ? [box as T] : []), ...find<T>(box.boxes ?? [], type)]);
}
