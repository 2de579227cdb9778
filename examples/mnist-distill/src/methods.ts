import { distillationLoss } from '@dist-kd/backend-tfjs';
import { PRESETS } from '@dist-kd/core';
import type { ExperimentConfig } from './config.js';
import { crossEntropy, hintonKd, teacherLogitsOf, withDistillation, type Objective } from './losses.js';

export type MethodId = 'ce' | 'kd' | 'dist';

export interface StudentMethod {
  readonly id: MethodId;
  /** Short name for tables and legends. */
  readonly label: string;
  /** The exact objective, for the report. */
  readonly formula: string;
  readonly objective: Objective;
}

/** Classic KD's two knobs: CE + weight * T^2 * KL at temperature T. */
export interface KdSetting {
  readonly temperature: number;
  readonly weight: number;
}

/** DIST's knob: CE + weight * DIST, with the CIFAR-100 preset's options. */
export interface DistSetting {
  readonly weight: number;
}

/** Short names for tables and legends. */
export const METHOD_LABELS: Record<MethodId, string> = { ce: 'CE only', kd: 'CE + KD', dist: 'CE + DIST' };

/** DIST's options: the CIFAR-100 preset (tau 4, beta = gamma = 1, eps 1e-8 placed as in the official code). */
export const DIST_OPTIONS = PRESETS.cifar100.options;

export const ceMethod: StudentMethod = { id: 'ce', label: METHOD_LABELS.ce, formula: 'CE', objective: crossEntropy };

export function kdMethod({ temperature, weight }: KdSetting): StudentMethod {
  return {
    id: 'kd',
    label: METHOD_LABELS.kd,
    formula: `CE + ${weight} * T^2 * KL(softmax(t/T) || softmax(s/T)), T = ${temperature}`,
    objective: withDistillation(weight, (teacher, student) => hintonKd(teacher, student, temperature)),
  };
}

export function distMethod({ weight }: DistSetting): StudentMethod {
  const { beta, gamma, tau, eps, epsMode } = DIST_OPTIONS;
  return {
    id: 'dist',
    label: METHOD_LABELS.dist,
    formula: `CE + ${weight} * DIST, DIST options beta = ${beta}, gamma = ${gamma}, tau = ${tau}, eps = ${eps} (${epsMode} eps placement)`,
    objective: (batch, logits) =>
      distillationLoss({
        labels: batch.oneHotLabels,
        studentLogits: logits,
        teacherLogits: teacherLogitsOf(batch),
        weight,
        options: DIST_OPTIONS,
      }),
  };
}

/** The three ways the same student is trained. */
export function studentMethods(config: ExperimentConfig): StudentMethod[] {
  return [ceMethod, kdMethod(config.kd), distMethod(config.dist)];
}
