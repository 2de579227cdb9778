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

/** DIST's options: the CIFAR-100 preset (tau 4, beta = gamma = 1, eps 1e-8 placed as in the official code). */
export const DIST_OPTIONS = PRESETS.cifar100.options;

/** The three ways the same student is trained. */
export function studentMethods(config: ExperimentConfig): StudentMethod[] {
  const { temperature, weight: kdWeight } = config.kd;
  const { beta, gamma, tau, eps, epsMode } = DIST_OPTIONS;
  const distWeight = config.dist.weight;
  return [
    { id: 'ce', label: 'CE only', formula: 'CE', objective: crossEntropy },
    {
      id: 'kd',
      label: 'CE + KD',
      formula: `CE + ${kdWeight} * T^2 * KL(softmax(t/T) || softmax(s/T)), T = ${temperature}`,
      objective: withDistillation(kdWeight, (teacher, student) => hintonKd(teacher, student, temperature)),
    },
    {
      id: 'dist',
      label: 'CE + DIST',
      formula: `CE + ${distWeight} * DIST, DIST options beta = ${beta}, gamma = ${gamma}, tau = ${tau}, eps = ${eps} (${epsMode} eps placement)`,
      objective: (batch, logits) =>
        distillationLoss({
          labels: batch.oneHotLabels,
          studentLogits: logits,
          teacherLogits: teacherLogitsOf(batch),
          weight: distWeight,
          options: DIST_OPTIONS,
        }),
    },
  ];
}
