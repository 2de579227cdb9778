export { REPORT_FORMAT, parseReport, type BenchReport, type ResultEntry, type BackendEntry, type MachineInfo } from './report.js';
export { runBench, type RunHooks, type RunOutput } from './runner.js';
export { compareReports, type Comparison } from './compare.js';
export { main } from './main.js';
