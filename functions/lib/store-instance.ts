import { dynamodb } from './clients/dynamodb';
import type { RecordingStore } from './store';

/** The recordings table named by the stack (TABLE_NAME), shared by every function of a container. */
export const store: RecordingStore = { db: dynamodb, table: process.env.TABLE_NAME ?? 'chime-recordings' };
