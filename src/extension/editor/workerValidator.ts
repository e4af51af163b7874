import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/log';
import type { ValidateOptions } from '../../core/validation/validate';
import type { ValidationReport, WorkerReply, WorkerRequest } from './validationReport';

/** Young generation of the worker's heap, in MB. */
const YOUNG_GENERATION_MB = 4;

/** Validation worker bundle, next to dist/extension.js. */
export const WORKER_FILE = join(__dirname, 'validationWorker.js');

/**
 * Runs validations in one worker thread, one at a time. Aborting a validation terminates the
 * worker, which stops the work at once; the next validation starts a new worker.
 */
export class WorkerValidator {
  private worker: Worker | undefined;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logger: Logger,
    private readonly file = WORKER_FILE,
  ) {}

  /** True when the worker bundle exists; the caller validates in its own thread otherwise. */
  get available(): boolean {
    return existsSync(this.file);
  }

  validate(text: string, options: ValidateOptions, signal?: AbortSignal): Promise<ValidationReport> {
    const run = this.queue.then(() => this.run(text, options, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private run(text: string, options: ValidateOptions, signal?: AbortSignal): Promise<ValidationReport> {
    signal?.throwIfAborted();
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<ValidationReport>((resolve, reject) => {
      const cleanUp = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      const onMessage = (reply: WorkerReply): void => {
        if (reply.id !== id) {
          return;
        }
        cleanUp();
        if (reply.report) {
          resolve(reply.report);
        } else {
          reject(new Error(reply.error ?? 'the validation worker sent no result'));
        }
      };
      const onError = (error: Error): void => {
        cleanUp();
        this.logger.error(`the validation worker failed: ${error.message}`);
        this.stop();
        reject(error);
      };
      const onExit = (code: number): void => {
        cleanUp();
        this.worker = undefined;
        reject(new Error(`the validation worker stopped with exit code ${code}`));
      };
      const onAbort = (): void => {
        cleanUp();
        this.stop();
        reject(signal?.reason instanceof Error ? signal.reason : new DOMException('The validation was aborted.', 'AbortError'));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      const request: WorkerRequest = { id, text, options };
      worker.postMessage(request);
    });
  }

  private start(): Worker {
    if (!this.worker) {
      // A small young generation lowers the peak memory of parsing a large file. For a 20 MB
      // file (test/bench/validation.ts, Node 20, 2-core AMD EPYC), RSS grew by 3.9 times the
      // file size with 8 MB and by 3.7 times with 4 MB, at about the same speed.
      this.worker = new Worker(this.file, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      // An idle worker must not keep the extension host alive when it shuts down.
      this.worker.unref();
      this.logger.debug('validation worker started');
    }
    return this.worker;
  }

  private stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  dispose(): void {
    this.stop();
  }
}
