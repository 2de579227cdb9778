import type { ExperimentResult } from './experiment.js';
import type { MethodId } from './methods.js';
import { summarize, type Summary } from './stats.js';
import { renderPanels, type Series } from './svg-chart.js';

export const COLORS: Record<MethodId, string> = { ce: '#7f7f7f', kd: '#1f77b4', dist: '#d62728' };
export const TEACHER_COLOR = '#2ca02c';

export const percent = (value: number, digits = 2) => `${(value * 100).toFixed(digits)}%`;
/** An accuracy difference in percentage points, signed. */
export const points = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(2)}`;

/** A method's test accuracies against a baseline's (CE's) on the same seeds, in the same order: spread, paired gains, wins. */
export interface Paired {
  readonly accuracy: Summary;
  readonly gain: Summary;
  /** Seeds on which the method beat the baseline. */
  readonly better: number;
}

export function paired(accuracies: readonly number[], baseline: readonly number[]): Paired {
  if (accuracies.length !== baseline.length) throw new RangeError('a paired comparison needs one baseline accuracy per seed');
  const gains = accuracies.map((value, i) => value - baseline[i]);
  return { accuracy: summarize(accuracies), gain: summarize(gains), better: gains.filter((gain) => gain > 0).length };
}

/** Test accuracy per method over the seeds, per seed, and the settings that produced them. */
export function renderMarkdown(result: ExperimentResult, command: string, device: string): string {
  const { config, teacher, student } = result;
  const seeds = config.studentSeeds;
  const accuracyOf = (method: MethodId, seed: number) =>
    result.runs.find((run) => run.method === method && run.seed === seed)!.testAccuracy;
  const lines = [
    `# MNIST: one small student, three objectives (${config.name} run)`,
    '',
    `Produced by \`${command}\` in ${result.seconds.toFixed(0)} s of training and evaluation on ${device}.`,
    '',
    `- Teacher: MLP ${teacher.architecture} (${teacher.parameters.toLocaleString('en-US')} weights), ` +
      `${config.teacher.trainSamples.toLocaleString('en-US')} training digits, ${config.teacher.epochs} epochs: ` +
      `**${percent(teacher.testAccuracy)}** test accuracy.`,
    `- Student: MLP ${student.architecture} (${student.parameters.toLocaleString('en-US')} weights), ` +
      `${config.student.trainSamples.toLocaleString('en-US')} training digits (a subset of the teacher's, drawn per seed), ` +
      `${config.student.epochs} epochs, batch ${config.student.batchSize}, Adam lr ${config.student.learningRate}.`,
    `- Seeds ${seeds.join(', ')}: for each seed every objective starts from the same weights and sees the same digits in the same order.`,
    `- Test accuracy on ${config.testSamples.toLocaleString('en-US')} MNIST test digits, after the last epoch (no early stopping).`,
    '',
    '| student objective | mean | std | min | max | mean gain over CE (points) | seeds better than CE |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const ceAccuracies = seeds.map((seed) => accuracyOf('ce', seed));
  for (const method of result.methods) {
    const comparison = paired(seeds.map((seed) => accuracyOf(method.id, seed)), ceAccuracies);
    const stats = comparison.accuracy;
    const better = method.id === 'ce' ? '-' : `${comparison.better}/${seeds.length}`;
    const gain = method.id === 'ce' ? '-' : points(comparison.gain.mean);
    lines.push(
      `| ${method.label} | ${percent(stats.mean)} | ${(stats.std * 100).toFixed(2)} | ${percent(stats.min)} | ${percent(stats.max)} | ${gain} | ${better} |`,
    );
  }
  lines.push('', 'Per seed (test accuracy):', '', `| seed | ${result.methods.map((m) => m.label).join(' | ')} |`);
  lines.push(`| ---: | ${result.methods.map(() => '---:').join(' | ')} |`);
  for (const seed of seeds) {
    lines.push(`| ${seed} | ${result.methods.map((m) => percent(accuracyOf(m.id, seed))).join(' | ')} |`);
  }
  lines.push('', 'Objectives:', '');
  for (const method of result.methods) lines.push(`- ${method.label}: \`${method.formula}\``);
  lines.push('', 'Training curves (validation accuracy per epoch, mean over seeds, band = min..max): `curves.svg`.', '');
  return lines.join('\n');
}

/**
 * Validation accuracy per epoch, each objective's mean over seeds with its min..max band: all epochs
 * with the teacher's final accuracy for scale, and a zoom on the second half, where the objectives
 * separate by about a point.
 */
export function renderCurves(result: ExperimentResult): string {
  const epochs = result.config.student.epochs;
  const zoomFrom = Math.max(1, Math.ceil(epochs / 2));
  const teacherFinal = result.teacher.history[result.teacher.history.length - 1].validationAccuracy;
  const teacher: Series = {
    name: 'teacher (final)',
    color: TEACHER_COLOR,
    dashed: true,
    points: [[1, teacherFinal], [epochs, teacherFinal]],
  };
  const common = { xLabel: 'student epoch', yLabel: 'validation accuracy', formatY: (value: number) => percent(value, 1) };
  return renderPanels([
    {
      ...common,
      title: `Student ${result.student.architecture}, ${result.config.studentSeeds.length} seeds`,
      series: [teacher, ...studentSeries(result, 1)],
    },
    { ...common, title: `Zoom: epochs ${zoomFrom} to ${epochs}`, series: studentSeries(result, zoomFrom) },
  ]);
}

function studentSeries(result: ExperimentResult, fromEpoch: number): Series[] {
  return result.methods.map((method) => {
    const runs = result.runs.filter((run) => run.method === method.id);
    const records = runs[0].history.filter((record) => record.epoch >= fromEpoch);
    const perEpoch = records.map((record) =>
      summarize(runs.map((run) => run.history.find((r) => r.epoch === record.epoch)!.validationAccuracy)),
    );
    return {
      name: `student, ${method.label}`,
      color: COLORS[method.id],
      points: records.map((record, i) => [record.epoch, perEpoch[i].mean] as const),
      band: records.map((record, i) => [record.epoch, perEpoch[i].min, perEpoch[i].max] as const),
    };
  });
}
