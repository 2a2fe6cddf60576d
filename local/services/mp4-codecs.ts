/**
 * The media inside the local cloud's MP4 files: AAC-LC silence and an H.264 black picture, encoded here
 * (no encoder to install) and small, so a capture writing a chunk every five simulated seconds for
 * thousands of meetings costs little. Any decoder plays them: `ffmpeg -i chunk.mp4 -f null -` decodes
 * every frame without a warning.
 *
 * AWS documents neither the codecs nor the sizes and rates of what its pipelines record. The stand-ins:
 * AAC-LC, 48 kHz stereo (what MP4 players expect of meeting audio); H.264 Constrained Baseline at 15
 * frames a second, one IDR picture starting each file and then P pictures that repeat it.
 */
export const AUDIO_RATE = 48_000;
/** PCM samples per AAC frame (ISO/IEC 14496-3, frameLengthFlag 0). */
export const AAC_FRAME = 1024;
export const VIDEO_FPS = 15;
/** Video media timescale: one tick a millisecond per frame, so whole milliseconds are whole ticks. */
export const VIDEO_TIMESCALE = VIDEO_FPS * 1000;

/**
 * One AAC-LC raw_data_block of silence for two channels: a channel_pair_element with a common window
 * (ONLY_LONG_SEQUENCE, max_sfb 1, global_gain 100) whose one section uses the zero codebook in both
 * channels, so every spectral coefficient is 0, then ID_END and byte alignment (ISO/IEC 14496-3
 * §4.4.2). The same 9 bytes as the silent frame hls.js and mux.js insert into gaps.
 */
export const SILENT_AAC_FRAME = Buffer.from('210049900219002380', 'hex');

/** The `mp4a` sample entry for SILENT_AAC_FRAME's stream (ISO/IEC 14496-14 §5.6, ISO/IEC 14496-1 §7.2.6). */
export function aacSampleEntry(): Buffer {
  // AudioSpecificConfig: object type 2 (AAC LC), sampling frequency index 3 (48000), channel configuration 2.
  const asc = Buffer.from([0x11, 0x90]);
  const bitrate = Math.round((SILENT_AAC_FRAME.length * 8 * AUDIO_RATE) / AAC_FRAME);
  const decoderSpecific = descriptor(0x05, asc);
  const decoderConfig = descriptor(0x04, Buffer.concat([Buffer.from([0x40, 0x15, 0, 0, SILENT_AAC_FRAME.length]), u32(bitrate), u32(bitrate), decoderSpecific]));
  const es = descriptor(0x03, Buffer.concat([Buffer.from([0, 0, 0]), decoderConfig, descriptor(0x06, Buffer.from([0x02]))]));
  const esds = Buffer.concat([u32(es.length + 12), Buffer.from('esds'), u32(0), es]);
  const fields = Buffer.alloc(28);
  fields.writeUInt16BE(1, 6); // data_reference_index
  fields.writeUInt16BE(2, 16); // channelcount
  fields.writeUInt16BE(16, 18); // samplesize
  fields.writeUInt32BE(AUDIO_RATE * 0x10000, 24); // samplerate, 16.16
  return Buffer.concat([u32(8 + fields.length + esds.length), Buffer.from('mp4a'), fields, esds]);
}

export interface Picture {
  width: number;
  height: number;
}

/**
 * An H.264 stream of a black picture of any even size (ITU-T H.264 §7.3). The IDR picture's first
 * macroblock is I_PCM (luma 16, chroma 128: black in the video range); every other one is Intra 16x16
 * with DC prediction and no residual, which copies its neighbours. Each P picture is one run of
 * skipped macroblocks, which copies the previous picture. Frames are length-prefixed (4 bytes), as
 * MP4 stores them, and cached per size.
 */
export class BlackPicture {
  private static readonly cache = new Map<string, BlackPicture>();
  readonly idr: Buffer;
  private readonly sps: Buffer;
  private readonly pps: Buffer;
  private readonly pFrames: Buffer[] = [];
  private readonly mbWidth: number;
  private readonly mbHeight: number;

  static of(picture: Picture): BlackPicture {
    const key = `${picture.width}x${picture.height}`;
    let stream = BlackPicture.cache.get(key);
    if (!stream) {
      stream = new BlackPicture(picture);
      BlackPicture.cache.set(key, stream);
    }
    return stream;
  }

  private constructor(readonly picture: Picture) {
    const { width, height } = picture;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 32 || height < 32 || width % 2 || height % 2) {
      throw new RangeError(`a black picture needs an even width and height of at least 32 pixels, not ${width}x${height}`);
    }
    this.mbWidth = Math.ceil(width / 16);
    this.mbHeight = Math.ceil(height / 16);
    this.sps = this.seqParameterSet();
    this.pps = this.picParameterSet();
    this.idr = sample(this.idrPicture());
  }

  /** Frame `n` of a file (0: the IDR picture; after it, P pictures numbered modulo MaxFrameNum). */
  frame(n: number): Buffer {
    if (n === 0) return this.idr;
    const frameNum = n % MAX_FRAME_NUM;
    let frame = this.pFrames[frameNum];
    if (!frame) {
      frame = sample(this.pPicture(frameNum));
      this.pFrames[frameNum] = frame;
    }
    return frame;
  }

  /** The `avc1` sample entry, with the parameter sets in its `avcC` (ISO/IEC 14496-15 §5.3.3). */
  sampleEntry(): Buffer {
    const avcC = Buffer.concat([
      Buffer.from([1, PROFILE_BASELINE, CONSTRAINED_BASELINE_FLAGS, this.level(), 0xff, 0xe1]),
      u16(this.sps.length),
      this.sps,
      Buffer.from([1]),
      u16(this.pps.length),
      this.pps,
    ]);
    const fields = Buffer.alloc(78);
    fields.writeUInt16BE(1, 6); // data_reference_index
    fields.writeUInt16BE(this.picture.width, 24);
    fields.writeUInt16BE(this.picture.height, 26);
    fields.writeUInt32BE(0x00480000, 28); // 72 dpi
    fields.writeUInt32BE(0x00480000, 32);
    fields.writeUInt16BE(1, 40); // frame_count
    fields.writeUInt16BE(0x0018, 74); // depth
    fields.writeInt16BE(-1, 76);
    return Buffer.concat([u32(8 + fields.length + 8 + avcC.length), Buffer.from('avc1'), fields, u32(8 + avcC.length), Buffer.from('avcC'), avcC]);
  }

  /** The lowest level whose frame size holds the picture (ITU-T H.264 Table A-1). */
  private level(): number {
    const macroblocks = this.mbWidth * this.mbHeight;
    const level = LEVELS.find(([, maxFrameSize]) => macroblocks <= maxFrameSize);
    if (!level) throw new RangeError(`${this.picture.width}x${this.picture.height} is larger than H.264 level 5.1 allows`);
    return level[0];
  }

  private seqParameterSet(): Buffer {
    const cropRight = this.mbWidth * 16 - this.picture.width;
    const cropBottom = this.mbHeight * 16 - this.picture.height;
    const b = new Bits();
    b.u(8, PROFILE_BASELINE);
    b.u(8, CONSTRAINED_BASELINE_FLAGS);
    b.u(8, this.level());
    b.ue(0); // seq_parameter_set_id
    b.ue(LOG2_MAX_FRAME_NUM - 4);
    b.ue(2); // pic_order_cnt_type 2: output order is decoding order
    b.ue(1); // max_num_ref_frames
    b.u(1, 0); // gaps_in_frame_num_value_allowed_flag
    b.ue(this.mbWidth - 1);
    b.ue(this.mbHeight - 1);
    b.u(1, 1); // frame_mbs_only_flag
    b.u(1, 1); // direct_8x8_inference_flag
    b.u(1, cropRight || cropBottom ? 1 : 0);
    // Crop offsets count 2-pixel units in 4:2:0 frames.
    if (cropRight || cropBottom) for (const offset of [0, cropRight / 2, 0, cropBottom / 2]) b.ue(offset);
    b.u(1, 0); // vui_parameters_present_flag
    return b.nal(0x67);
  }

  private picParameterSet(): Buffer {
    const b = new Bits();
    b.ue(0); // pic_parameter_set_id
    b.ue(0); // seq_parameter_set_id
    b.u(1, 0); // entropy_coding_mode_flag: CAVLC
    b.u(1, 0); // bottom_field_pic_order_in_frame_present_flag
    b.ue(0); // num_slice_groups_minus1
    b.ue(0); // num_ref_idx_l0_default_active_minus1
    b.ue(0); // num_ref_idx_l1_default_active_minus1
    b.u(1, 0); // weighted_pred_flag
    b.u(2, 0); // weighted_bipred_idc
    b.se(0); // pic_init_qp_minus26
    b.se(0); // pic_init_qs_minus26
    b.se(0); // chroma_qp_index_offset
    b.u(1, 0); // deblocking_filter_control_present_flag
    b.u(1, 0); // constrained_intra_pred_flag
    b.u(1, 0); // redundant_pic_cnt_present_flag
    return b.nal(0x68);
  }

  private idrPicture(): Buffer {
    const b = new Bits();
    b.ue(0); // first_mb_in_slice
    b.ue(7); // slice_type: I, as every slice of the picture
    b.ue(0); // pic_parameter_set_id
    b.u(LOG2_MAX_FRAME_NUM, 0); // frame_num
    b.ue(0); // idr_pic_id
    b.u(1, 0); // no_output_of_prior_pics_flag
    b.u(1, 0); // long_term_reference_flag
    b.se(0); // slice_qp_delta
    b.ue(25); // mb_type I_PCM
    b.alignZero();
    for (let i = 0; i < 256; i += 1) b.u(8, 16);
    for (let i = 0; i < 128; i += 1) b.u(8, 128);
    for (let mb = 1; mb < this.mbWidth * this.mbHeight; mb += 1) {
      b.ue(3); // mb_type I_16x16_2_0_0: DC prediction, no coded luma AC or chroma
      b.ue(0); // intra_chroma_pred_mode: DC
      b.se(0); // mb_qp_delta
      // The luma DC block's coeff_token for no coefficients. Its table depends on the neighbours' counts
      // (§9.2.1): an I_PCM neighbour counts 16 (the macroblocks right of and below the first), others 0.
      if (mb === 1 || mb === this.mbWidth) b.u(6, 0b000011);
      else b.u(1, 1);
    }
    return b.nal(0x65);
  }

  private pPicture(frameNum: number): Buffer {
    const b = new Bits();
    b.ue(0); // first_mb_in_slice
    b.ue(5); // slice_type: P, as every slice of the picture
    b.ue(0); // pic_parameter_set_id
    b.u(LOG2_MAX_FRAME_NUM, frameNum);
    b.u(1, 0); // num_ref_idx_active_override_flag
    b.u(1, 0); // ref_pic_list_modification_flag_l0
    b.u(1, 0); // adaptive_ref_pic_marking_mode_flag
    b.se(0); // slice_qp_delta
    b.ue(this.mbWidth * this.mbHeight); // mb_skip_run: the whole picture
    return b.nal(0x41);
  }
}

const PROFILE_BASELINE = 66;
/** constraint_set0_flag and constraint_set1_flag: Constrained Baseline. */
const CONSTRAINED_BASELINE_FLAGS = 0xc0;
const LOG2_MAX_FRAME_NUM = 8;
const MAX_FRAME_NUM = 1 << LOG2_MAX_FRAME_NUM;
/** level_idc and MaxFS (macroblocks a frame). */
const LEVELS: Array<[number, number]> = [
  [30, 1620],
  [31, 3600],
  [32, 5120],
  [40, 8192],
  [50, 22080],
  [51, 36864],
];

/** An RBSP written bit by bit: fixed-length and Exp-Golomb fields (ITU-T H.264 §7.2, §9.1). */
class Bits {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  u(bits: number, value: number): void {
    for (let i = bits - 1; i >= 0; i -= 1) this.bit((value >>> i) & 1);
  }

  ue(value: number): void {
    const coded = value + 1;
    const length = 32 - Math.clz32(coded);
    this.u(length - 1, 0);
    this.u(length, coded);
  }

  se(value: number): void {
    this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  alignZero(): void {
    while (this.used !== 0) this.bit(0);
  }

  /** The NAL unit: header byte, then the RBSP with its stop bit and emulation prevention bytes. */
  nal(header: number): Buffer {
    this.bit(1);
    this.alignZero();
    const out = [header];
    let zeros = 0;
    for (const byte of this.bytes) {
      if (zeros === 2 && byte <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(byte);
      zeros = byte === 0 ? zeros + 1 : 0;
    }
    return Buffer.from(out);
  }

  private bit(value: number): void {
    this.current = (this.current << 1) | value;
    this.used += 1;
    if (this.used === 8) {
      this.bytes.push(this.current);
      this.current = 0;
      this.used = 0;
    }
  }
}

/** A NAL unit as an MP4 sample holds it: its length in 4 bytes first (avcC lengthSizeMinusOne 3). */
function sample(nal: Buffer): Buffer {
  return Buffer.concat([u32(nal.length), nal]);
}

/** An MPEG-4 descriptor: tag, one-byte size (every descriptor here is under 128 bytes), body. */
function descriptor(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}
