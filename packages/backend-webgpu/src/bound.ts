import { BackendUnavailableError, type BoundDist, type DistOptions, type DistTerms } from '@dist-kd/core';
import { gradientFor, termsFromSums } from './terms.js';
import type { Workspace } from './workspace.js';

/** What a binding needs from the backend that made it. */
export interface BindingHost {
  readonly name: string;
  /** Runs `work` after every earlier call on the backend has settled. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** Stops tracking a binding whose buffers are gone. */
  forget(binding: BoundLogits): void;
}

/** What a binding keeps of its validated request: everything but the logits, which are on the GPU. */
export interface BoundShape {
  readonly batch: number;
  readonly classes: number;
  readonly options: DistOptions;
  /** Whether the student was a Float32Array, which decides the gradient's array type. */
  readonly float32Student: boolean;
}

/**
 * Logits loaded once into a workspace of their own: each `compute` runs the kernels on them and maps
 * only the three scalars; a gradient stays in the workspace's buffers until `readGradient` copies it
 * out. The workspace is not the backend's shared one, so `compute` calls of any shape in between
 * leave the bound logits alone.
 */
export class BoundLogits implements BoundDist {
  /** Undefined once released. */
  private workspace: Workspace | undefined;
  /** Whether the last compute left a gradient in the workspace (only a successful compute(true) does). */
  private gradientReady = false;

  constructor(
    private readonly host: BindingHost,
    workspace: Workspace,
    private readonly shape: BoundShape,
  ) {
    this.workspace = workspace;
  }

  compute(gradient: boolean): Promise<DistTerms> {
    return this.host.exclusive(async () => {
      const workspace = this.alive();
      this.gradientReady = false;
      const { sums } = await workspace.run(this.shape.options, gradient ? 'kept' : 'none');
      const terms = termsFromSums(sums, this.shape.batch, this.shape.classes, this.shape.options);
      this.gradientReady = gradient;
      return terms;
    });
  }

  readGradient(): Promise<Float32Array | Float64Array> {
    return this.host.exclusive(async () => {
      const workspace = this.alive();
      // As tfjs's binding does: a gradient is only read for the compute that made it.
      if (!this.gradientReady) {
        throw new Error(`${this.host.name}: readGradient needs a successful compute(true) as the last compute`);
      }
      return gradientFor(this.shape.float32Student, await workspace.readGradient());
    });
  }

  async dispose(): Promise<void> {
    await this.host.exclusive(async () => this.release());
  }

  /** Destroys the GPU buffers now; later calls reject. The backend calls it when it is disposed. */
  release(): void {
    this.workspace?.destroy();
    this.workspace = undefined;
    this.gradientReady = false;
    this.host.forget(this);
  }

  private alive(): Workspace {
    if (!this.workspace) throw new BackendUnavailableError(this.host.name, 'this binding was disposed');
    return this.workspace;
  }
}
