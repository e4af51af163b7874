import { promises as fs } from 'node:fs';
import type { CliIo } from './io';

/**
 * Largest input the CLI reads, in bytes. V8 on 64-bit Node 20 caps a string at 2^29 - 24
 * characters (about 536.9 million), so a file must stay below that to be decoded at all.
 */
export const MAX_INPUT_BYTES = 512_000_000;

/** The name that messages use for standard input. */
export const STDIN_NAME = '<stdin>';

export type InputResult = { readonly text: string; readonly name: string } | { readonly error: string };

/**
 * Reads a `.ddstore.json` file, or standard input for `-`, as UTF-8 text. Rejects what is not a
 * regular file, input over MAX_INPUT_BYTES, and UTF-16 text, with a message that names the fix.
 */
export async function readInputFile(file: string, io: CliIo): Promise<InputResult> {
  let bytes: Buffer;
  let name = file;
  if (file === '-') {
    name = STDIN_NAME;
    if (!io.readStdin) {
      return { error: 'Reading the file from standard input ("-") is not available here. Pass the path of a .ddstore.json file.' };
    }
    const read = await io.readStdin(MAX_INPUT_BYTES);
    if (read === undefined) {
      return { error: `Standard input is larger than ${describeLimit()}. Split the items into several files.` };
    }
    bytes = read;
  } else {
    try {
      const stats = await fs.stat(file);
      if (!stats.isFile()) {
        return { error: `Unable to read ${file}: it is ${describeKind(stats)}, not a regular file. Pass the path of a .ddstore.json file.` };
      }
      if (stats.size > MAX_INPUT_BYTES) {
        return { error: `Unable to read ${file}: it is ${stats.size.toLocaleString('en-US')} bytes, more than ${describeLimit()}. Split the items into several files.` };
      }
      bytes = await fs.readFile(file);
    } catch (error) {
      return { error: `Unable to read ${file}: ${readErrorReason(error)}` };
    }
  }
  const encodingProblem = describeEncodingProblem(bytes);
  if (encodingProblem) {
    return { error: `Unable to read ${name}: ${encodingProblem} Save it as UTF-8 and try again.` };
  }
  return { text: bytes.toString('utf8'), name };
}

function describeLimit(): string {
  return `the ${(MAX_INPUT_BYTES / 1_000_000).toLocaleString('en-US')} MB limit`;
}

/** Detects UTF-16 text (a byte-order mark, or NUL bytes in many places), which JSON.parse would misread. */
function describeEncodingProblem(bytes: Buffer): string | undefined {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return 'it starts with a UTF-16 byte-order mark, but ddstore files must be UTF-8.';
  }
  const sample = bytes.subarray(0, 4096);
  let nulBytes = 0;
  for (const byte of sample) {
    if (byte === 0) nulBytes += 1;
  }
  // UTF-16 text of ASCII characters has a NUL in every other byte; JSON text has none.
  if (sample.length > 0 && nulBytes * 4 >= sample.length) {
    return `${nulBytes} of its first ${sample.length} bytes are NUL bytes, so it is UTF-16 or binary, but ddstore files must be UTF-8.`;
  }
  return undefined;
}

function describeKind(stats: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function readErrorReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file. Check the path.';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied. Check the file permissions.';
    default:
      return `${error instanceof Error ? error.message : String(error)}.`;
  }
}

/** Reads standard input up to `maxBytes`; undefined when it is longer. */
export async function readProcessStdin(maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) {
      process.stdin.destroy();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
