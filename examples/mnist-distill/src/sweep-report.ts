import type { StudentRun } from './experiment.js';
import { DIST_OPTIONS, METHOD_LABELS, type MethodId } from './methods.js';
import { COLORS, percent, points, paired, type Paired } from './report.js';
import type { SweepResult, TeacherCell } from './sweep.js';
import { renderPanels, type Series } from './svg-chart.js';

/** CE, KD and DIST of one teacher's cell against CE on the same seeds, and DIST against KD. */
export function cellComparison(result: SweepResult, cell: TeacherCell): Record<MethodId | 'distOverKd', Paired> {
  const seeds = result.config.studentSeeds;
  const ce = seeds.map((seed) => accuracyOf(result.ce, 'ce', seed));
  const [kd, dist] = (['kd', 'dist'] as const).map((method) => seeds.map((seed) => accuracyOf(cell.runs, method, seed)));
  return { ce: paired(ce, ce), kd: paired(kd, ce), dist: paired(dist, ce), distOverKd: paired(dist, kd) };
}

/** `784-100-10, 2 epochs`: how the tables name a teacher. */
export function teacherName(cell: TeacherCell): string {
  return `${cell.teacher.architecture}, ${epochs(cell.teacher.epochs)}`;
}

const epochs = (count: number) => `${count} epoch${count === 1 ? '' : 's'}`;

/** The sweep's tables: accuracy per teacher and objective, the searches, and every seed. */
export function renderSweepMarkdown(result: SweepResult, command: string, device: string): string {
  const { config, student, cells } = result;
  const seeds = config.studentSeeds;
  const mean = (value: Paired) => `${percent(value.accuracy.mean)} (${(value.accuracy.std * 100).toFixed(2)})`;
  const teacherDigits = [...new Set(config.teachers.map((teacher) => teacher.trainSamples.toLocaleString('en-US')))].join(' / ');
  const lines = [
    `# MNIST: one small student, teachers of increasing strength (${config.name})`,
    '',
    `Produced by \`${command}\` in ${result.seconds.toFixed(0)} s of training and evaluation on ${device}.`,
    '',
    `- Student: MLP ${student.architecture} (${student.parameters.toLocaleString('en-US')} weights), ` +
      `${config.student.trainSamples.toLocaleString('en-US')} training digits (drawn per seed from the teachers' digits), ` +
      `${epochs(config.student.epochs)}, batch ${config.student.batchSize}, Adam lr ${config.student.learningRate}; seeds ${seeds.join(', ')}.`,
    `- Teachers: MLPs on ${teacherDigits} training digits, batch ${config.teachers[0].batchSize}, Adam lr ${config.teachers[0].learningRate}, ` +
      'the weaker ones narrower or trained for fewer epochs.',
    `- For each teacher, KD's temperature and weight and DIST's weight were chosen on the ${config.validationSamples.toLocaleString('en-US')} ` +
      `validation digits (held out of training): students of seeds ${config.search.seeds.join(', ')}, ${epochs(config.search.epochs)}, ` +
      'highest final validation accuracy (mean over those seeds). The test set only measured the final students below.',
    `- Test accuracy on ${config.testSamples.toLocaleString('en-US')} MNIST test digits, after the last epoch; mean (std) over the ${seeds.length} seeds. ` +
      'CE only does not use the teacher: the same students are the baseline of every row. Gains and DIST - KD are paired per seed, in points.',
    '',
    '| teacher | teacher test accuracy | CE only | CE + KD | KD setting | KD gain | KD seeds better than CE | CE + DIST | DIST setting | DIST gain | DIST seeds better than CE | DIST - KD | DIST seeds better than KD |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const cell of cells) {
    const { ce, kd, dist, distOverKd } = cellComparison(result, cell);
    lines.push(
      `| ${teacherName(cell)} | ${percent(cell.teacher.testAccuracy)} | ${mean(ce)} | ${mean(kd)} | ` +
        `T = ${cell.chosen.kd.temperature}, weight ${cell.chosen.kd.weight} | ${points(kd.gain.mean)} | ${kd.better}/${seeds.length} | ` +
        `${mean(dist)} | weight ${cell.chosen.dist.weight} | ${points(dist.gain.mean)} | ${dist.better}/${seeds.length} | ` +
        `${points(distOverKd.gain.mean)} | ${distOverKd.better}/${seeds.length} |`,
    );
  }

  lines.push('', `Searches: final validation accuracy, mean over seeds ${config.search.seeds.join(', ')} (the chosen setting in bold).`, '');
  lines.push(`| setting | ${cells.map(teacherName).join(' | ')} |`, `| --- | ${cells.map(() => '---:').join(' | ')} |`);
  const searchRows = (objective: 'kd' | 'dist', name: (index: number) => string) => {
    config.search[objective].forEach((_, index) => {
      const values = cells.map((cell) => {
        const trial = cell.search[objective][index];
        const text = percent(trial.validationAccuracy);
        return JSON.stringify(trial.setting) === JSON.stringify(cell.chosen[objective]) ? `**${text}**` : text;
      });
      lines.push(`| ${name(index)} | ${values.join(' | ')} |`);
    });
  };
  searchRows('kd', (i) => `KD, T = ${config.search.kd[i].temperature}, weight ${config.search.kd[i].weight}`);
  searchRows('dist', (i) => `DIST, weight ${config.search.dist[i].weight}`);

  lines.push('', 'Per seed (test accuracy):', '', '| teacher | seed | CE only | CE + KD | CE + DIST |', '| --- | ---: | ---: | ---: | ---: |');
  for (const cell of cells) {
    for (const seed of seeds) {
      const row = [accuracyOf(result.ce, 'ce', seed), accuracyOf(cell.runs, 'kd', seed), accuracyOf(cell.runs, 'dist', seed)];
      lines.push(`| ${teacherName(cell)} | ${seed} | ${row.map((value) => percent(value)).join(' | ')} |`);
    }
  }
  const { beta, gamma, tau, eps, epsMode } = DIST_OPTIONS;
  lines.push(
    '',
    'Objectives, with the weights and temperature of each teacher\'s row:',
    '',
    '- CE only: `CE`',
    '- CE + KD: `CE + weight * T^2 * KL(softmax(t/T) || softmax(s/T))`',
    `- CE + DIST: \`CE + weight * DIST\`, DIST options beta = ${beta}, gamma = ${gamma}, tau = ${tau}, eps = ${eps} (${epsMode} eps placement)`,
  );
  lines.push('', 'Chart (student test accuracy and gain over CE against the teacher\'s test accuracy, band = min..max over seeds): `sweep.svg`.', '');
  return lines.join('\n');
}

/**
 * Student test accuracy against teacher test accuracy, per objective (mean over seeds, band =
 * min..max), and beside it each distillation's paired gain over CE, where a point's difference is
 * easier to see than on two lines a point apart.
 */
export function renderSweepChart(result: SweepResult): string {
  const cells = [...result.cells].sort((a, b) => a.teacher.testAccuracy - b.teacher.testAccuracy);
  const comparisons = cells.map((cell) => cellComparison(result, cell));
  const xs = cells.map((cell) => cell.teacher.testAccuracy);
  const series = (method: MethodId, pick: (value: Paired) => { mean: number; min: number; max: number }): Series => ({
    name: METHOD_LABELS[method],
    color: COLORS[method],
    points: comparisons.map((comparison, i) => [xs[i], pick(comparison[method]).mean] as const),
    band: comparisons.map((comparison, i) => [xs[i], pick(comparison[method]).min, pick(comparison[method]).max] as const),
  });
  const common = { xLabel: 'teacher test accuracy', formatX: (value: number) => percent(value, 1) };
  const methods: MethodId[] = ['ce', 'kd', 'dist'];
  return renderPanels([
    {
      ...common,
      title: `Student ${result.student.architecture}, ${result.config.studentSeeds.length} seeds`,
      yLabel: 'student test accuracy',
      formatY: (value) => percent(value, 1),
      series: methods.map((method) => series(method, (value) => value.accuracy)),
    },
    {
      ...common,
      title: 'Gain over CE, paired per seed',
      yLabel: 'gain over CE (points)',
      formatY: (value) => points(value),
      // CE's gain over itself is zero on every seed: a reference line, no band.
      series: methods.map((method) => ({ ...series(method, (value) => value.gain), ...(method === 'ce' ? { band: [] } : {}) })),
    },
  ]);
}

function accuracyOf(runs: readonly StudentRun[], method: MethodId, seed: number): number {
  const run = runs.find((candidate) => candidate.method === method && candidate.seed === seed);
  if (!run) throw new Error(`no ${method} student for seed ${seed}`);
  return run.testAccuracy;
}
