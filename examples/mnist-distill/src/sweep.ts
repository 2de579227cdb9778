import type { SweepConfig } from './config.js';
import { createLab, type NetworkSummary, type StudentRun, type TeacherSummary } from './experiment.js';
import { ceMethod, distMethod, kdMethod, type DistSetting, type KdSetting, type MethodId, type StudentMethod } from './methods.js';
import type { Mnist } from './mnist.js';
import type { ProgressReporter } from './progress.js';
import { summarize } from './stats.js';
import { disposeTensors } from './train.js';

/** One setting tried in a search: its mean final validation accuracy over the search seeds. */
export interface SearchTrial<Setting> {
  readonly setting: Setting;
  readonly validationAccuracy: number;
}

export interface TeacherCell {
  readonly teacher: TeacherSummary & { readonly trainSamples: number; readonly epochs: number };
  readonly search: { readonly kd: readonly SearchTrial<KdSetting>[]; readonly dist: readonly SearchTrial<DistSetting>[] };
  /** The settings of the final students: the best of each search (the first in grid order on a tie). */
  readonly chosen: { readonly kd: KdSetting; readonly dist: DistSetting };
  readonly methods: readonly { readonly id: MethodId; readonly label: string; readonly formula: string }[];
  /** The final KD and DIST students, one per method per seed, measured on the test set. */
  readonly runs: readonly StudentRun[];
}

export interface SweepResult {
  readonly config: SweepConfig;
  readonly student: NetworkSummary;
  /** CE only does not depend on the teacher: one student per seed, the baseline of every cell. */
  readonly ce: readonly StudentRun[];
  /** In the order of `config.teachers`. */
  readonly cells: readonly TeacherCell[];
  readonly seconds: number;
}

/**
 * For each teacher: searches KD's (temperature, weight) and DIST's weight on the validation split,
 * then trains the final KD and DIST students with the chosen settings. The CE students are trained
 * once. Every student of a seed starts from the same weights and sees the same digits in the same
 * order, whichever teacher and objective, so the paired gains over CE compare objectives only.
 */
export async function runSweep(config: SweepConfig, mnist: Mnist, progress: ProgressReporter): Promise<SweepResult> {
  const startedAt = performance.now();
  const lab = createLab(config, mnist, config.teachers);
  const searchSchedule = { ...config.student, epochs: config.search.epochs };

  const ce: StudentRun[] = [];
  for (const seed of config.studentSeeds) {
    const data = lab.studentData(seed);
    ce.push(await lab.measure(await lab.trainStudent(ceMethod, data, seed, config.student, progress)));
    disposeTensors(data);
  }

  const cells: TeacherCell[] = [];
  for (const plan of config.teachers) {
    const { model: teacherModel, summary } = await lab.trainTeacher(plan, progress);
    const searchData = config.search.seeds.map((seed) => ({ seed, data: lab.studentData(seed, teacherModel) }));
    const validationAccuracyOf = async (method: StudentMethod) => {
      const finals: number[] = [];
      for (const { seed, data } of searchData) {
        const { history, model } = await lab.trainStudent(method, data, seed, searchSchedule, progress);
        model.dispose();
        finals.push(history[history.length - 1].validationAccuracy);
      }
      return summarize(finals).mean;
    };
    const kdSearch = await search(config.search.kd, (setting) => validationAccuracyOf(kdMethod(setting)));
    const distSearch = await search(config.search.dist, (setting) => validationAccuracyOf(distMethod(setting)));
    for (const { data } of searchData) disposeTensors(data);

    const chosen = { kd: best(kdSearch), dist: best(distSearch) };
    const methods = [kdMethod(chosen.kd), distMethod(chosen.dist)];
    const runs: StudentRun[] = [];
    for (const seed of config.studentSeeds) {
      const data = lab.studentData(seed, teacherModel);
      for (const method of methods) runs.push(await lab.measure(await lab.trainStudent(method, data, seed, config.student, progress)));
      disposeTensors(data);
    }
    teacherModel.dispose();
    cells.push({
      teacher: { ...summary, trainSamples: plan.trainSamples, epochs: plan.epochs },
      search: { kd: kdSearch, dist: distSearch },
      chosen,
      methods: methods.map(({ id, label, formula }) => ({ id, label, formula })),
      runs,
    });
  }
  lab.dispose();
  return { config, student: lab.studentSummary(), ce, cells, seconds: (performance.now() - startedAt) / 1000 };
}

async function search<Setting>(
  grid: readonly Setting[],
  validationAccuracyOf: (setting: Setting) => Promise<number>,
): Promise<SearchTrial<Setting>[]> {
  if (grid.length === 0) throw new RangeError('a search needs at least one setting');
  const trials: SearchTrial<Setting>[] = [];
  for (const setting of grid) trials.push({ setting, validationAccuracy: await validationAccuracyOf(setting) });
  return trials;
}

/** The setting with the highest validation accuracy; on a tie, the first one tried. */
export function best<Setting>(trials: readonly SearchTrial<Setting>[]): Setting {
  return trials.reduce((top, trial) => (trial.validationAccuracy > top.validationAccuracy ? trial : top)).setting;
}
