import type { ExperimentConfig } from './config.js';
import { crossEntropy, hintonKd, withDistillation, type Objective } from './losses.js';

export type MethodId = 'ce' | 'kd' | 'dist';

export interface StudentMethod {
  readonly id: MethodId;
  /** Short name for tables and legends. */
  readonly label: string;
  /** The exact objective, for the report. */
  readonly formula: string;
  readonly objective: Objective;
}

/** The three ways the same student is trained. */
export function studentMethods(config: ExperimentConfig): StudentMethod[] {
  const { temperature, weight: kdWeight } = config.kd;
  return [
    { id: 'ce', label: 'CE only', formula: 'CE', objective: crossEntropy },
    {
      id: 'kd',
      label: 'CE + KD',
      formula: `CE + ${kdWeight} * T^2 * KL(softmax(t/T) || softmax(s/T)), T = ${temperature}`,
      objective: withDistillation(kdWeight, (teacher, student) => hintonKd(teacher, student, temperature)),
    },
  ];
}
