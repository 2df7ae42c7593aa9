import type { Clock } from '../clock';
import type { CoreLogLevel } from './core-api';
import type { HostLogFields, HostLogLevel } from './extension';

/**
 * Everything the host prints, in `func start`'s shape: `[2026-11-25T16:30:00.000Z] message`. The app's own
 * logs are filtered by host.json `logging.logLevel.default` (Information unless set).
 */

const severity: Record<CoreLogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

const hostLevelSeverity: Record<HostLogLevel, number> = { debug: 1, info: 2, warn: 3, error: 4 };

export function parseLogLevel(name: string | undefined): CoreLogLevel {
  const normalized = (name ?? 'information').toLowerCase();
  return normalized in severity ? (normalized as CoreLogLevel) : 'information';
}

function formatFields(fields: HostLogFields | undefined): string {
  if (fields === undefined) return '';
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

export class HostLogger {
  constructor(
    private readonly sink: (line: string) => void,
    private readonly clock: Clock,
    private readonly minimum: CoreLogLevel,
  ) {}

  /** A line from the host itself (or an extension). */
  write(level: HostLogLevel, message: string, fields?: HostLogFields): void {
    if (hostLevelSeverity[level] < severity[this.minimum]) return;
    this.print(`${message}${formatFields(fields)}`);
  }

  /** A line the app logged through `context.log` or the library's system log. */
  app(level: CoreLogLevel, message: string, invocationId?: string): void {
    if (level === 'none' || severity[level] < severity[this.minimum]) return;
    this.print(invocationId === undefined ? message : `${message} (Id=${invocationId})`);
  }

  /** A line printed as is (the start-up banner). */
  plain(line: string): void {
    this.sink(line);
  }

  private print(message: string): void {
    this.sink(`[${new Date(this.clock.now()).toISOString()}] ${message}`);
  }
}
