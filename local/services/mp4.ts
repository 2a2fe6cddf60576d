import { AAC_FRAME, AUDIO_RATE, BlackPicture, SILENT_AAC_FRAME, VIDEO_FPS, VIDEO_TIMESCALE, aacSampleEntry, u32, type Picture } from './mp4-codecs';

/**
 * The MP4 files of the local cloud's media pipelines (ISO/IEC 14496-12, the ISO base media file format):
 * a capture chunk is silence and a black picture lasting exactly its span; a concatenation joins
 * chunks into one file whose duration is the sum of theirs. Both are complete, unfragmented files
 * with full sample tables (stts, stss, stsc, stsz, stco), so a reader learns a file's duration from
 * its `moov` box alone (mvhd for the movie, mdhd for each track) and any player plays it.
 *
 * Where the `moov` box goes is a behaviour (media-file-layout): after the media (`ftyp mdat moov`, as a
 * streaming muxer writes a file whose index it only knows at the end) or before it (`ftyp moov mdat`,
 * "faststart").
 *
 * Joining reads each part's own sample tables, never what the emulator knows about the capture: a
 * chunk that was never written is missing from the sum, as it would be from AWS's file. The media data
 * is copied part by part and the tables are appended, so the cost is linear in the parts' size.
 */
export type Mp4Layout = 'moov-first' | 'moov-last';

export interface Mp4Tracks {
  audio: boolean;
  video?: Picture;
}

/** The movie timescale: mvhd and tkhd count milliseconds. */
const MOVIE_TIMESCALE = 1000;
const MAX_U32 = 0xffffffff;

/** A chunk of `durationMs` (a positive whole number) of silence and/or black picture. */
export function writeMp4(durationMs: number, tracks: Mp4Tracks, layout: Mp4Layout): Buffer {
  if (!Number.isInteger(durationMs) || durationMs <= 0) throw new RangeError(`an MP4 lasts a positive whole number of milliseconds, not ${durationMs}`);
  const tables: TrackTable[] = [];
  const payload: Buffer[] = [];
  let offset = 0;
  if (tracks.audio) {
    const ticks = (durationMs * AUDIO_RATE) / 1000;
    const samples = Math.ceil(ticks / AAC_FRAME);
    tables.push({
      handler: 'soun',
      timescale: AUDIO_RATE,
      stsd: sampleDescription('aac', aacSampleEntry),
      deltas: runs(ticks, AAC_FRAME),
      sizes: { count: samples, constant: SILENT_AAC_FRAME.length },
      chunks: [{ offset, samples }],
    });
    // Buffer.alloc repeats a Buffer fill value: one copy of the frame per sample.
    payload.push(Buffer.alloc(samples * SILENT_AAC_FRAME.length, SILENT_AAC_FRAME));
    offset += samples * SILENT_AAC_FRAME.length;
  }
  if (tracks.video) {
    const picture = BlackPicture.of(tracks.video);
    const ticks = (durationMs * VIDEO_TIMESCALE) / 1000;
    const frameTicks = VIDEO_TIMESCALE / VIDEO_FPS;
    const samples = Math.ceil(ticks / frameTicks);
    const frames = Array.from({ length: samples }, (_, i) => picture.frame(i));
    tables.push({
      handler: 'vide',
      timescale: VIDEO_TIMESCALE,
      picture: tracks.video,
      stsd: sampleDescription(`h264 ${tracks.video.width}x${tracks.video.height}`, () => picture.sampleEntry()),
      deltas: runs(ticks, frameTicks),
      sizes: { count: samples, each: frames.map((f) => f.length) },
      chunks: [{ offset, samples }],
      sync: [1],
    });
    payload.push(...frames);
  }
  if (tables.length === 0) throw new RangeError('an MP4 needs an audio or a video track');
  return mux(tables, payload, layout);
}

/**
 * One MP4 of the parts in order: each track is the parts' samples end to end, lasting the sum of their
 * durations. The parts must have the same tracks, in the same order, with the same sample descriptions
 * (chunks of one capture artifact do); anything else is refused, as no remuxer could join them without
 * re-encoding.
 */
export function joinMp4(parts: Buffer[], layout: Mp4Layout): Buffer {
  if (parts.length === 0) throw new RangeError('nothing to join');
  const movies = parts.map((part, i) => readMovie(part, `part ${i + 1}`));
  const first = movies[0]!;
  const joined: TrackTable[] = first.tracks.map((t) => ({ ...t, deltas: [], sizes: { count: 0, each: [] }, chunks: [], sync: t.sync && [] }));
  const payload: Buffer[] = [];
  let base = 0;
  movies.forEach((movie, i) => {
    if (movie.tracks.length !== joined.length) throw new Mp4Error(`part ${i + 1} has ${movie.tracks.length} tracks, part 1 has ${joined.length}`);
    movie.tracks.forEach((track, t) => {
      const into = joined[t]!;
      if (track.handler !== into.handler || track.timescale !== into.timescale || !track.stsd.equals(into.stsd)) {
        throw new Mp4Error(`track ${t + 1} of part ${i + 1} (${track.handler}, timescale ${track.timescale}) is not encoded as in part 1`);
      }
      const before = into.sizes.count;
      appendRuns(into.deltas, track.deltas);
      into.sizes = appendSizes(into.sizes, track.sizes);
      for (const c of track.chunks) into.chunks.push({ offset: c.offset - movie.payloadStart + base, samples: c.samples });
      if (into.sync) for (const s of track.sync ?? range(track.sizes.count)) into.sync.push(s + before);
      else if (track.sync) throw new Mp4Error(`track ${t + 1} of part ${i + 1} has sync samples where part 1 has every sample a sync sample`);
    });
    payload.push(movie.payload);
    base += movie.payload.length;
  });
  return mux(joined, payload, layout);
}

class Mp4Error extends Error {
  override readonly name = 'Mp4Error';
}

interface TrackTable {
  handler: 'soun' | 'vide';
  timescale: number;
  /** Video: the tkhd's presentation size. */
  picture?: Picture;
  /** The whole stsd box. */
  stsd: Buffer;
  /** stts runs: [sample count, sample delta]. */
  deltas: Array<[number, number]>;
  sizes: SampleSizes;
  /** Offsets from the start of the media data (the mdat payload). */
  chunks: Array<{ offset: number; samples: number }>;
  /** 1-based sync sample numbers; undefined: every sample is one (no stss). */
  sync?: number[];
}

type SampleSizes = { count: number; constant: number } | { count: number; each: number[] };

/** `total` ticks as samples of `delta`, the last one shorter when it does not divide. */
function runs(total: number, delta: number): Array<[number, number]> {
  const whole = Math.floor(total / delta);
  const rest = total - whole * delta;
  const out: Array<[number, number]> = [];
  if (whole > 0) out.push([whole, delta]);
  if (rest > 0) out.push([1, rest]);
  return out;
}

function appendRuns(into: Array<[number, number]>, more: Array<[number, number]>): void {
  for (const [count, delta] of more) {
    const last = into[into.length - 1];
    if (last && last[1] === delta) last[0] += count;
    else into.push([count, delta]);
  }
}

function appendSizes(into: SampleSizes, more: SampleSizes): SampleSizes {
  if (into.count === 0) return 'constant' in more ? { ...more } : { count: more.count, each: [...more.each] };
  if ('constant' in into && 'constant' in more && into.constant === more.constant) return { count: into.count + more.count, constant: into.constant };
  const each = 'each' in into ? into.each : new Array<number>(into.count).fill(into.constant);
  if ('each' in more) for (const size of more.each) each.push(size);
  else for (let i = 0; i < more.count; i += 1) each.push(more.constant);
  return { count: into.count + more.count, each };
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}

// ---- writing -------------------------------------------------------------------------------------

/**
 * A box not yet serialized: its size is known from its children, so a file is laid out (and its chunk
 * offsets fixed) before one buffer is filled.
 */
interface Box {
  type: string;
  children: Array<Box | Buffer>;
  size: number;
}

function box(type: string, ...children: Array<Box | Buffer>): Box {
  return { type, children, size: children.reduce((n, c) => n + (Buffer.isBuffer(c) ? c.length : c.size), 8) };
}

function fullBox(type: string, version: number, flags: number, ...children: Array<Box | Buffer>): Box {
  return box(type, u32(version * 0x1000000 + flags), ...children);
}

function serialize(node: Box | Buffer, out: Buffer, at: number): number {
  if (Buffer.isBuffer(node)) return at + node.copy(out, at);
  out.writeUInt32BE(node.size, at);
  out.write(node.type, at + 4, 'latin1');
  let pos = at + 8;
  for (const child of node.children) pos = serialize(child, out, pos);
  return pos;
}

function mux(tracks: TrackTable[], payload: Buffer[], layout: Mp4Layout): Buffer {
  const video = tracks.some((t) => t.handler === 'vide');
  const ftyp = box('ftyp', Buffer.from('isom'), u32(512), Buffer.from(video ? 'isomiso2avc1mp41' : 'isomiso2mp41'));
  const offsets = tracks.map((t) => chunkOffsets(t.chunks));
  const durations = tracks.map((t) => Math.round((mediaDuration(t) * MOVIE_TIMESCALE) / t.timescale));
  const moov = box('moov', movieHeader(Math.max(...durations), tracks.length + 1), ...tracks.map((t, i) => trak(t, i + 1, durations[i]!, offsets[i]!.box)));
  const payloadSize = payload.reduce((n, p) => n + p.length, 0);
  const mdatHeader = Buffer.alloc(8);
  mdatHeader.writeUInt32BE(checkU32(8 + payloadSize, 'the media data'));
  mdatHeader.write('mdat', 4, 'latin1');
  const mediaStart = ftyp.size + (layout === 'moov-first' ? moov.size : 0) + 8;
  for (const o of offsets) o.shift(mediaStart);
  const out = Buffer.allocUnsafe(ftyp.size + moov.size + 8 + payloadSize);
  let pos = serialize(ftyp, out, 0);
  if (layout === 'moov-first') pos = serialize(moov, out, pos);
  pos = serialize(mdatHeader, out, pos);
  for (const p of payload) pos = serialize(p, out, pos);
  if (layout === 'moov-last') serialize(moov, out, pos);
  return out;
}

function mediaDuration(t: TrackTable): number {
  return checkU32(
    t.deltas.reduce((n, [count, delta]) => n + count * delta, 0),
    `the ${t.handler} track's duration`,
  );
}

const MATRIX = Buffer.concat([0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000].map(u32));

function movieHeader(duration: number, nextTrackId: number): Box {
  const fields = Buffer.alloc(96);
  fields.writeUInt32BE(MOVIE_TIMESCALE, 8);
  fields.writeUInt32BE(duration, 12);
  fields.writeUInt32BE(0x00010000, 16); // rate 1.0
  fields.writeUInt16BE(0x0100, 20); // volume 1.0
  MATRIX.copy(fields, 32);
  fields.writeUInt32BE(nextTrackId, 92);
  return fullBox('mvhd', 0, 0, fields);
}

function trak(t: TrackTable, id: number, duration: number, stco: Box): Box {
  const audio = t.handler === 'soun';
  const tkhd = Buffer.alloc(80);
  tkhd.writeUInt32BE(id, 8);
  tkhd.writeUInt32BE(duration, 16);
  if (audio) tkhd.writeUInt16BE(0x0100, 32); // volume 1.0
  MATRIX.copy(tkhd, 36);
  tkhd.writeUInt32BE((t.picture?.width ?? 0) * 0x10000, 72);
  tkhd.writeUInt32BE((t.picture?.height ?? 0) * 0x10000, 76);
  const mdhd = Buffer.alloc(20);
  mdhd.writeUInt32BE(t.timescale, 8);
  mdhd.writeUInt32BE(mediaDuration(t), 12);
  mdhd.writeUInt16BE(0x55c4, 16); // language "und"
  const name = audio ? 'SoundHandler' : 'VideoHandler';
  const stbl = box(
    'stbl',
    t.stsd,
    timeToSample(t.deltas),
    ...(t.sync ? [fullBox('stss', 0, 0, u32(t.sync.length), uint32s(t.sync))] : []),
    sampleToChunk(t.chunks),
    sampleSizes(t.sizes),
    stco,
  );
  const header = audio ? fullBox('smhd', 0, 0, Buffer.alloc(4)) : fullBox('vmhd', 0, 1, Buffer.alloc(8));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const hdlr = fullBox('hdlr', 0, 0, u32(0), Buffer.from(t.handler), Buffer.alloc(12), Buffer.from(`${name}\0`));
  return box('trak', fullBox('tkhd', 0, 3, tkhd), box('mdia', fullBox('mdhd', 0, 0, mdhd), hdlr, box('minf', header, dinf, stbl)));
}

const descriptions = new Map<string, Buffer>();

/** The stsd box of one sample entry, made once per stream kind. */
function sampleDescription(kind: string, entry: () => Buffer): Buffer {
  let stsd = descriptions.get(kind);
  if (!stsd) {
    const b = fullBox('stsd', 0, 0, u32(1), entry());
    stsd = Buffer.alloc(b.size);
    serialize(b, stsd, 0);
    descriptions.set(kind, stsd);
  }
  return stsd;
}

function timeToSample(deltas: Array<[number, number]>): Box {
  return fullBox('stts', 0, 0, u32(deltas.length), uint32s(deltas.flat()));
}

/** stsc: one entry per run of chunks holding the same number of samples. */
function sampleToChunk(chunks: TrackTable['chunks']): Box {
  const entries: number[] = [];
  chunks.forEach((c, i) => {
    if (c.samples !== entries[entries.length - 2]) entries.push(i + 1, c.samples, 1);
  });
  return fullBox('stsc', 0, 0, u32(entries.length / 3), uint32s(entries));
}

function sampleSizes(sizes: SampleSizes): Box {
  if ('constant' in sizes) return fullBox('stsz', 0, 0, u32(sizes.constant), u32(sizes.count));
  return fullBox('stsz', 0, 0, u32(0), u32(sizes.count), uint32s(sizes.each));
}

/** The stco box of offsets from the media data's start, and a way to move them once the file is laid out. */
function chunkOffsets(chunks: TrackTable['chunks']): { box: Box; shift: (by: number) => void } {
  const table = uint32s(chunks.map((c) => c.offset));
  return {
    box: fullBox('stco', 0, 0, u32(chunks.length), table),
    shift: (by) => {
      for (let at = 0; at < table.length; at += 4) table.writeUInt32BE(checkU32(table.readUInt32BE(at) + by, 'a chunk offset'), at);
    },
  };
}

function uint32s(values: number[]): Buffer {
  const out = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => out.writeUInt32BE(v, i * 4));
  return out;
}

/** The local cloud's files stay far below 4 GiB and 2^32 ticks, so version 0 boxes and stco always hold them. */
function checkU32(value: number, what: string): number {
  if (value > MAX_U32) throw new Mp4Error(`${what} (${value}) does not fit the 32-bit fields the local cloud writes`);
  return value;
}

// ---- reading -------------------------------------------------------------------------------------

interface Movie {
  tracks: TrackTable[];
  /** The mdat payload and where it starts in the file. */
  payload: Buffer;
  payloadStart: number;
}

/** The tracks of an unfragmented MP4 as this module writes them, with every table checked against the others. */
function readMovie(file: Buffer, name: string): Movie {
  let moov: Buffer | undefined;
  let mdat: { start: number; end: number } | undefined;
  for (const b of boxes(file, 0, file.length, name)) {
    if (b.type === 'moov') moov = file.subarray(b.start, b.end);
    if (b.type === 'mdat') mdat = { start: b.start, end: b.end };
  }
  if (!moov || !mdat) throw new Mp4Error(`${name} is not an MP4 with a moov and an mdat box`);
  const tracks = [...boxes(moov, 0, moov.length, name)].filter((b) => b.type === 'trak').map((b) => readTrack(child(moov, b, ['mdia'], name), moov, name));
  for (const t of tracks) {
    let sample = 0;
    for (const c of t.chunks) {
      let bytes = 0;
      for (const end = sample + c.samples; sample < end; sample += 1) bytes += 'constant' in t.sizes ? t.sizes.constant : t.sizes.each[sample]!;
      if (c.offset < mdat.start || c.offset + bytes > mdat.end) throw new Mp4Error(`${name}: a ${t.handler} chunk (bytes ${c.offset} to ${c.offset + bytes}) is outside the media data`);
    }
  }
  return { tracks, payload: file.subarray(mdat.start, mdat.end), payloadStart: mdat.start };
}

interface BoxRef {
  type: string;
  /** Payload (after the header) and end, in the buffer read. */
  start: number;
  end: number;
}

function* boxes(buf: Buffer, from: number, to: number, name: string): Generator<BoxRef> {
  for (let at = from; at < to; ) {
    if (at + 8 > to) throw new Mp4Error(`${name}: a box header at byte ${at} runs past its parent`);
    const size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (size < 8 || at + size > to) throw new Mp4Error(`${name}: box "${type}" at byte ${at} declares ${size} bytes, which do not fit`);
    yield { type, start: at + 8, end: at + size };
    at += size;
  }
}

function child(buf: Buffer, parent: BoxRef, path: string[], name: string): BoxRef {
  let current = parent;
  for (const type of path) {
    const found = [...boxes(buf, current.start, current.end, name)].find((b) => b.type === type);
    if (!found) throw new Mp4Error(`${name}: no ${type} box in ${current.type}`);
    current = found;
  }
  return current;
}

function readTrack(mdia: BoxRef, moov: Buffer, name: string): TrackTable {
  const mdhd = child(moov, mdia, ['mdhd'], name);
  const hdlr = child(moov, mdia, ['hdlr'], name);
  const handler = moov.toString('latin1', hdlr.start + 8, hdlr.start + 12);
  if (handler !== 'soun' && handler !== 'vide') throw new Mp4Error(`${name}: a track of handler "${handler}"`);
  if (moov[mdhd.start] !== 0) throw new Mp4Error(`${name}: an mdhd of version ${moov[mdhd.start]}`);
  const timescale = moov.readUInt32BE(mdhd.start + 12);
  const stbl = child(moov, mdia, ['minf', 'stbl'], name);
  const table = (type: string) => [...boxes(moov, stbl.start, stbl.end, name)].find((b) => b.type === type);
  const required = (type: string) => {
    const found = table(type);
    if (!found) throw new Mp4Error(`${name}: the ${handler} track has no ${type}`);
    return found;
  };
  const stsd = required('stsd');
  const entries = (b: BoxRef, width: number) => readU32s(moov, b.start + 8, moov.readUInt32BE(b.start + 4) * width, name);
  const deltas = pairs(entries(required('stts'), 2));
  const stsz = required('stsz');
  const constant = moov.readUInt32BE(stsz.start + 4);
  const count = moov.readUInt32BE(stsz.start + 8);
  const sizes: SampleSizes = constant ? { count, constant } : { count, each: readU32s(moov, stsz.start + 12, count, name) };
  const offsets = entries(required('stco'), 1);
  const stsc = entries(required('stsc'), 3);
  // stsc runs: from chunk stsc[e] (1-based) on, stsc[e + 1] samples a chunk.
  let e = 0;
  const chunks = offsets.map((offset, i) => {
    while (e + 3 < stsc.length && stsc[e + 3]! <= i + 1) e += 3;
    return { offset, samples: stsc[e + 1] ?? 0 };
  });
  const stss = table('stss');
  const picture = handler === 'vide' ? readPicture(moov, mdia, name) : undefined;
  const track: TrackTable = { handler, timescale, picture, stsd: moov.subarray(stsd.start - 8, stsd.end), deltas, sizes, chunks, sync: stss && entries(stss, 1) };
  const timed = deltas.reduce((n, [c]) => n + c, 0);
  const chunked = chunks.reduce((n, c) => n + c.samples, 0);
  if (timed !== count || chunked !== count) throw new Mp4Error(`${name}: the ${handler} track's tables disagree: ${timed} samples timed, ${count} sized, ${chunked} in chunks`);
  return track;
}

/** The presentation size from the tkhd of the track whose mdia this is. */
function readPicture(moov: Buffer, mdia: BoxRef, name: string): Picture {
  for (const trak of boxes(moov, 0, moov.length, name)) {
    if (trak.type !== 'trak' || mdia.start < trak.start || mdia.end > trak.end) continue;
    const tkhd = child(moov, trak, ['tkhd'], name);
    return { width: moov.readUInt32BE(tkhd.start + 76) / 0x10000, height: moov.readUInt32BE(tkhd.start + 80) / 0x10000 };
  }
  throw new Mp4Error(`${name}: a video track without a tkhd`);
}

function readU32s(buf: Buffer, at: number, count: number, name: string): number[] {
  if (at + count * 4 > buf.length) throw new Mp4Error(`${name}: a sample table runs past its box`);
  return Array.from({ length: count }, (_, i) => buf.readUInt32BE(at + i * 4));
}

function pairs(values: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < values.length; i += 2) out.push([values[i]!, values[i + 1]!]);
  return out;
}
