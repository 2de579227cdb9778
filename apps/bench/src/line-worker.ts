/**
 * A child process the bench times through JSON lines (the PyTorch baseline, the native ceiling): it
 * says hello with `{"ready": true, ...}` (or `{"ready": false, "reason": ...}` and exits), then
 * answers each request with one line, in order; `{"ok": false, "error": ...}` is a failed request.
 * The child times each call itself, so the pipe's round trip is not counted.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Hello {
  readonly ready: boolean;
  readonly reason?: string;
  readonly [key: string]: unknown;
}

export interface LineWorker {
  readonly command: string;
  readonly hello: Hello;
  request(message: object): Promise<Record<string, unknown>>;
  close(): void;
}

/** Starts `command args`; resolves with the worker once it said it is ready, or with why not. */
export function startLineWorker(
  command: string,
  args: readonly string[],
  { env, timeoutMs, label }: { env?: NodeJS.ProcessEnv; timeoutMs: number; label: string },
): Promise<{ worker: LineWorker } | { reason: string }> {
  return new Promise((resolve) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(command, args, { stdio: 'pipe', env: env ?? process.env });
    } catch (error) {
      resolve({ reason: (error as Error).message });
      return;
    }
    const lines = createInterface({ input: child.stdout });
    const waiting: Array<(line: string) => void> = [];
    let stderr = '';
    let settled = false;
    const settle = (value: { worker: LineWorker } | { reason: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('reason' in value) child.kill();
      resolve(value);
    };
    const timer = setTimeout(() => settle({ reason: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    child.on('error', (error) => settle({ reason: error.message }));
    child.on('exit', (code) => {
      const reason = `exited with code ${code}${stderr ? `: ${stderr.trim()}` : ''}`;
      settle({ reason });
      for (const answer of waiting.splice(0)) answer(JSON.stringify({ ok: false, error: `${label} ${reason}` }));
    });
    lines.on('line', (line) => {
      if (!settled) {
        const hello = JSON.parse(line) as Hello;
        if (!hello.ready) settle({ reason: hello.reason ?? `${label} is not ready` });
        else settle({ worker: lineWorker(command, hello, child, waiting, label) });
        return;
      }
      waiting.shift()?.(line);
    });
  });
}

function lineWorker(
  command: string,
  hello: Hello,
  child: ChildProcessWithoutNullStreams,
  waiting: Array<(line: string) => void>,
  label: string,
): LineWorker {
  return {
    command,
    hello,
    request: (message) =>
      new Promise((resolve, reject) => {
        waiting.push((line) => {
          const answer = JSON.parse(line) as Record<string, unknown>;
          if (answer.ok) resolve(answer);
          else reject(new Error(`${label}: ${String(answer.error)}`));
        });
        child.stdin.write(JSON.stringify(message) + '\n');
      }),
    close: () => {
      child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    },
  };
}
