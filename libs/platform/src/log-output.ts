import type { DestinationStream } from 'pino';
import { PinoPretty } from 'pino-pretty';

// Where log lines go: JSON lines on stdout for machines (containers, pipes, files: what log
// collectors read), readable lines when a person watches a terminal. Synchronous either way,
// so the lines written just before a crash or an exit are not lost.
export function logDestination(
  isTerminal: boolean,
  out: NodeJS.WritableStream = process.stdout,
): DestinationStream | undefined {
  if (!isTerminal) return undefined; // pino's default: JSON lines on stdout
  return PinoPretty({
    destination: out,
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/** pino-http's options, with the destination when there is one (nestjs-pino's `[options, stream]`). */
export const withDestination = <O>(
  destination: DestinationStream | undefined,
  options: O,
): O | [O, DestinationStream] => (destination ? [options, destination] : options);
