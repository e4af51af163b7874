// Entry of dist/validationWorker.js: validates large files in a worker thread, so JSON.parse
// and the token scan of a 20 MB file run outside the extension host's event loop.
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../core/errors';
import { validateDdstoreText } from '../../core/validation/validate';
import type { WorkerReply, WorkerRequest } from './validationReport';
import { toReport } from './validationReport';

const port = parentPort;
if (port) {
  port.on('message', (request: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      // The synchronous variant: nothing else runs in this thread, and the extension host
      // cancels a validation by terminating the worker.
      reply = { id: request.id, report: toReport(validateDdstoreText(request.text, request.options)) };
    } catch (error) {
      reply = { id: request.id, error: errorMessage(error) };
    }
    port.postMessage(reply);
  });
}
