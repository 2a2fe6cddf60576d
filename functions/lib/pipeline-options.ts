import type { ContentShareLayoutOption, LiveConnectorMuxType, PresenterPosition } from '@aws-sdk/client-chime-sdk-media-pipelines';

/**
 * The settings a request may choose from the media pipelines API's enums, shared by the request schema
 * (ValidateRequest, API) and the plan schema (every later step), typed against the SDK's own enums so
 * the values reach CreateMedia*Pipeline without a cast. A module of its own, without zod (and importing
 * only types), so neither schema module drags the other, or the SDK, into a bundle.
 */
export const LIVE_MUX_TYPES = ['AudioWithCompositedVideo', 'AudioWithActiveSpeakerVideo'] as const satisfies readonly LiveConnectorMuxType[];
export const LIVE_AUDIO_CHANNELS = ['Stereo', 'Mono'] as const;
export const LIVE_AUDIO_SAMPLE_RATES = ['44100', '48000'] as const;
export const CONTENT_SHARE_LAYOUTS = ['PresenterOnly', 'Horizontal', 'Vertical', 'ActiveSpeakerOnly'] as const satisfies readonly ContentShareLayoutOption[];
export const PRESENTER_POSITIONS = ['TopLeft', 'TopRight', 'BottomLeft', 'BottomRight'] as const satisfies readonly PresenterPosition[];
