// Entry of a Lambda worker thread (local/lambda-workers.ts). Worker threads start from JavaScript, so
// this registers tsx's TypeScript loader first, as the parent's `--import tsx` (or Jest) does there.
require('tsx/cjs/api').register();
require('./lambda-worker.ts');
