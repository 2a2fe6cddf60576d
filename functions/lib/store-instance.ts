import { dynamodb } from './clients/dynamodb';
import { RecordingStore } from './store';

/** The recordings table named by the stack (TABLE_NAME), shared by every function of a container. */
export const store = new RecordingStore(dynamodb, process.env.TABLE_NAME ?? 'chime-recordings');
