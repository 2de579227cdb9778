/** Assembles a report from a run and what the environment (Node or the browser) says about itself. */
import { REPORT_FORMAT, type BackendEntry, type BenchReport, type BenchSettings, type GpuInfo, type MachineInfo } from './report.js';
import type { RunOutput } from './runner.js';

export interface ReportParts {
  readonly environment: BenchReport['environment'];
  readonly machine: Omit<MachineInfo, 'gpus'>;
  readonly versions: Readonly<Record<string, string>>;
  readonly settings: BenchSettings;
  readonly run: RunOutput;
  readonly createdAt?: Date;
  readonly label?: string;
}

/** Backends that run on a graphics adapter; their availability() names it. */
const GPU_BACKEND = /webgpu|webgl/;

export function buildReport(parts: ReportParts): BenchReport {
  return {
    format: REPORT_FORMAT,
    ...(parts.label ? { label: parts.label } : {}),
    created_at: (parts.createdAt ?? new Date()).toISOString(),
    environment: parts.environment,
    machine: { ...parts.machine, gpus: gpusOf(parts.run.backends) },
    versions: { ...parts.versions, ...torchVersions(parts.run.backends) },
    settings: parts.settings,
    backends: parts.run.backends,
    results: parts.run.results,
  };
}

function gpusOf(backends: readonly BackendEntry[]): GpuInfo[] {
  return backends
    .filter((b) => b.available && b.device && GPU_BACKEND.test(b.name))
    .map((b) => ({
      backend: b.name,
      device: b.device!,
      ...(b.software !== undefined ? { software: b.software } : {}),
      ...(b.details ? { details: b.details } : {}),
    }));
}

function torchVersions(backends: readonly BackendEntry[]): Record<string, string> {
  const torch = backends.find((b) => b.name === 'pytorch' && b.available)?.details;
  return torch ? { torch: torch.torch!, python: torch.python! } : {};
}
