/**
 * The lifecycle every backend and every binding follows, written once so that all of them behave
 * and fail alike:
 * - a call made before `dispose()` runs to its end (dispose waits for the calls in flight to
 *   settle, then releases the bindings and the backend's resources); a call made after rejects
 *   with a `DistUsageError` BACKEND_DISPOSED; a second `dispose()` resolves when the first is done;
 * - calls on one binding take effect in the order they were made; after its `dispose()` they reject
 *   with BINDING_DISPOSED; `readGradient` reads the gradient of the latest `compute` made before it,
 *   and rejects with GRADIENT_NOT_READY when that was `compute(false)`, failed, or there was none.
 */
import type { BoundDist, DistTerms } from './backend.js';
import { DistUsageError } from './errors.js';

/** What a backend's binding does on its side; `boundDist` adds the lifecycle around it. */
export interface BoundCalls {
  /** Loss and terms of the bound logits; with `gradient`, the gradient kept for `readGradient`. */
  compute(gradient: boolean): Promise<DistTerms>;
  /** The gradient the latest `compute(true)` kept; only called when there is one. */
  readGradient(): Promise<Float32Array | Float64Array>;
  /** Frees what the binding holds (tensors, GPU buffers); called once. */
  release(): void | Promise<void>;
}

export class BackendLifecycle {
  private disposing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly bindings = new Set<() => Promise<void>>();

  constructor(
    /** The backend's name, for the errors' messages. */
    readonly backend: string,
  ) {}

  /** Whether `dispose()` has begun. */
  get disposed(): boolean {
    return this.disposing !== undefined;
  }

  /** Settles when a `dispose()` that began is done; undefined before. */
  get disposal(): Promise<void> | undefined {
    return this.disposing;
  }

  /**
   * Runs one call of the backend: rejects with BACKEND_DISPOSED once dispose began, and otherwise
   * calls `work` at once (synchronously up to its first await, so that it can read the caller's
   * arrays before the promise is returned) and tracks it until it settles.
   */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.disposing) return Promise.reject(this.disposedError());
    let pending: Promise<T>;
    try {
      pending = work();
    } catch (error) {
      return Promise.reject(error);
    }
    const tracked = pending.finally(() => this.inFlight.delete(tracked));
    // A rejection is the caller's to handle; the set only waits for it.
    tracked.catch(() => undefined);
    this.inFlight.add(tracked);
    return tracked;
  }

  /**
   * A BoundDist on the backend's side `calls`, with the binding lifecycle around them (a plain
   * object of bound functions, so that spreading it keeps them).
   */
  bind(calls: BoundCalls): BoundDist {
    const binding = new Binding(this, calls);
    return {
      compute: (gradient) => binding.compute(gradient),
      readGradient: () => binding.readGradient(),
      dispose: () => binding.dispose(),
    };
  }

  /**
   * Marks the backend disposed, waits for the calls in flight, releases the live bindings, then
   * runs `release` (the backend's own resources). Idempotent.
   */
  dispose(release: () => void | Promise<void>): Promise<void> {
    this.disposing ??= (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      for (const releaseBinding of [...this.bindings]) await releaseBinding();
      await release();
    })();
    return this.disposing;
  }

  disposedError(): DistUsageError {
    return new DistUsageError('BACKEND_DISPOSED', this.backend, 'this backend was disposed; create a new one');
  }

  /** @internal Bindings register their release so that the backend's dispose frees them. */
  track(release: () => Promise<void>): () => void {
    this.bindings.add(release);
    return () => this.bindings.delete(release);
  }
}

class Binding {
  /** The latest call made on this binding; the next one starts after it settles. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposeCalled = false;
  private released: Promise<void> | undefined;
  private gradientReady = false;
  private readonly untrack: () => void;

  constructor(
    private readonly lifecycle: BackendLifecycle,
    private readonly calls: BoundCalls,
  ) {
    this.untrack = lifecycle.track(() => this.release());
  }

  compute(gradient: boolean): Promise<DistTerms> {
    return this.enqueue(async () => {
      this.gradientReady = false;
      const terms = await this.calls.compute(gradient);
      this.gradientReady = gradient;
      return terms;
    });
  }

  readGradient(): Promise<Float32Array | Float64Array> {
    return this.enqueue(async () => {
      if (!this.gradientReady) {
        throw new DistUsageError(
          'GRADIENT_NOT_READY',
          this.lifecycle.backend,
          'readGradient reads the gradient of the latest compute on this binding, and that was not a successful compute(true); call compute(true) first',
        );
      }
      return this.calls.readGradient();
    });
  }

  dispose(): Promise<void> {
    // The backend's dispose releases its bindings: wait for that.
    const disposal = this.lifecycle.disposal;
    if (disposal) return disposal;
    this.disposeCalled = true;
    // After the calls made before it, as every call on a binding.
    const after = this.queue.then(
      () => this.release(),
      () => this.release(),
    );
    this.queue = after;
    return after;
  }

  /** Checks the state at call time, then runs `work` after the calls made before it. */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.lifecycle.disposed) return Promise.reject(this.lifecycle.disposedError());
    if (this.disposeCalled) {
      return Promise.reject(new DistUsageError('BINDING_DISPOSED', this.lifecycle.backend, 'this binding was disposed; bind the logits again'));
    }
    return this.lifecycle.run(() => {
      const next = this.queue.then(work, work);
      this.queue = next.catch(() => undefined);
      return next;
    });
  }

  private release(): Promise<void> {
    this.released ??= (async () => {
      this.untrack();
      this.gradientReady = false;
      await this.calls.release();
    })();
    return this.released;
  }
}
