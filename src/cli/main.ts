/**
 * The `coam` command line: `coam match A B`, `coam eval DATA_DIR`, `coam colmap IMAGES_DIR`,
 * `coam serve [DIR]`. bin/coam.mjs calls main(). `coam COMMAND --help` prints that command's usage.
 * Exit codes: 0 ok (help too), 1 a failure (unreadable image, broken model), 2 bad usage or missing input.
 */
import { isCoamError } from '../core/errors';
import { HelpRequested, USAGE, UsageError } from './args';
import { colmapCommand } from './colmap';
import { evalCommand } from './eval';
import { processIo, type Io } from './io';
import { matchCommand } from './match';
import { serveCommand } from './serve';

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'match':
        return await matchCommand(rest, io);
      case 'eval':
        return await evalCommand(rest, io);
      case 'colmap':
        return await colmapCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof HelpRequested) {
      io.out(e.usage ?? USAGE);
      return 0;
    }
    if (e instanceof UsageError) {
      io.err(`coam: ${e.message}\n`);
      io.err(USAGE);
      return 2;
    }
    if (isCoamError(e)) {
      io.err(`coam: ${e.message}`);
      return e.code === 'bad-argument' ? 2 : 1;
    }
    io.err(`coam: unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.COAM_DEBUG) io.err(String((e as Error)?.stack));
    return 1;
  }
}
