/** Reports the progress of one training run; `advance` is called once per optimiser step. */
export interface ProgressTask {
  advance(steps: number, status: string): void;
  finish(summary: string): void;
}

export type ProgressReporter = (label: string, totalSteps: number) => ProgressTask;

/** For tests and callers that want no output. */
export const silentProgress: ProgressReporter = () => ({ advance() {}, finish() {} });

const BAR_WIDTH = 28;
const REDRAW_EVERY_MS = 100;

/**
 * A bar per training run on a terminal (`stream.isTTY`), redrawn in place at most every 100 ms;
 * elsewhere (CI logs) one line per run when it finishes, so logs stay short.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  return (label, totalSteps) => {
    const startedAt = Date.now();
    let done = 0;
    let lastDraw = 0;
    const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)}s`;
    const draw = (status: string) => {
      const filled = Math.round((done / totalSteps) * BAR_WIDTH);
      const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
      stream.write(`\r\x1b[2K${label} [${bar}] ${done}/${totalSteps} ${elapsed()} ${status}`);
    };
    return {
      advance(steps, status) {
        done = Math.min(totalSteps, done + steps);
        const now = Date.now();
        if (stream.isTTY && now - lastDraw >= REDRAW_EVERY_MS) {
          lastDraw = now;
          draw(status);
        }
      },
      finish(summary) {
        if (stream.isTTY) {
          draw(summary);
          stream.write('\n');
        } else {
          stream.write(`${label}: ${totalSteps} steps in ${elapsed()}, ${summary}\n`);
        }
      },
    };
  };
}
