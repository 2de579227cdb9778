import { BackendRuntimeError } from '@dist-kd/core';
import { compileDistPipelines, type DistPipelines, type KernelShape } from '@dist-kd/kernel-wgsl';

/**
 * A device with the DIST pipelines compiled on it (kernel-wgsl caches them per device), created once per backend. Tracks device loss, so
 * that work on a lost device fails with a clear error instead of waiting forever.
 */
export class DeviceContext {
  private lostInfo: GPUDeviceLostInfo | undefined;
  private disposing = false;
  /** The rejections of the readbacks in flight, called when the device is lost. */
  private readonly onLost = new Set<(error: BackendRuntimeError) => void>();

  private constructor(
    readonly device: GPUDevice,
    readonly pipelines: DistPipelines,
    /** Whether this backend created the device (and so destroys it on dispose). */
    private readonly ownsDevice: boolean,
    readonly shape: KernelShape,
  ) {
    void device.lost.then((info) => {
      this.lostInfo = info;
      const error = lostError(info);
      for (const reject of this.onLost) reject(error);
      this.onLost.clear();
    });
  }

  static async create(device: GPUDevice, ownsDevice: boolean, shape: KernelShape): Promise<DeviceContext> {
    return new DeviceContext(device, await compileDistPipelines(device, shape), ownsDevice, shape);
  }

  /** Throws if the device has been lost (destroyed, driver reset, ...). */
  assertAlive(): void {
    if (this.lostInfo) throw lostError(this.lostInfo);
  }

  /** Rejects with a BackendRuntimeError as soon as the device is lost, so a readback never hangs. */
  whileAlive<T>(work: Promise<T>): Promise<T> {
    // Not Promise.race with a promise of the loss: each race would leave a reaction on that
    // promise, which never settles while the device lives (about 7.5 KB retained per call).
    return new Promise<T>((resolve, reject) => {
      if (this.lostInfo) return reject(lostError(this.lostInfo));
      this.onLost.add(reject);
      work.then(
        (value) => {
          this.onLost.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.onLost.delete(reject);
          reject(error);
        },
      );
    });
  }

  destroy(): void {
    if (this.disposing) return;
    this.disposing = true;
    if (this.ownsDevice) this.device.destroy();
  }
}

function lostError(info: GPUDeviceLostInfo): BackendRuntimeError {
  return new BackendRuntimeError(
    'webgpu',
    `the GPU device was lost (${info.reason || 'unknown reason'}: ${info.message || 'no message'}); ` +
      'dispose this backend and create a new one',
  );
}
