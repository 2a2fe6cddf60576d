/**
 * The live connector settings a request may choose, shared by the request schema (ValidateRequest, API)
 * and the plan schema (every later step). A module of its own, without zod, so neither schema module
 * drags the other into a bundle.
 */
export const LIVE_MUX_TYPES = ['AudioWithCompositedVideo', 'AudioWithActiveSpeakerVideo'] as const;
export const LIVE_AUDIO_CHANNELS = ['Stereo', 'Mono'] as const;
export const LIVE_AUDIO_SAMPLE_RATES = ['44100', '48000'] as const;
