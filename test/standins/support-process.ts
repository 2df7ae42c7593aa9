import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildStandIn {
  /** The words printed after `READY`. */
  readonly ready: string[];
  /** Kills the process with SIGKILL (no shutdown code runs) and waits for it to end. */
  kill(): Promise<NodeJS.Signals | null>;
}

const running = new Set<{ kill(signal: NodeJS.Signals): boolean }>();

/** Kills whatever a failed test left running. */
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Runs a fixture script in its own Node process (node --import tsx, no wrapper) until it prints READY. */
export async function startChild(script: string, args: string[]): Promise<ChildStandIn> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => {
      running.delete(child);
      resolve(signal);
    }),
  );
  for await (const line of createInterface({ input: child.stdout })) {
    const [word, ...rest] = line.split(' ');
    if (word === 'READY') {
      return {
        ready: rest,
        kill: () => {
          child.kill('SIGKILL');
          return exited;
        },
      };
    }
  }
  throw new Error(`${script} ended before it was ready`);
}
