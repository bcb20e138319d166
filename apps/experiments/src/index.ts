export type { AppOptions } from './app.ts'
export { buildApp } from './app.ts'
export type { ExperimentsConfig } from './config.ts'
export { ExperimentsConfigSchema } from './config.ts'
export type {
  Assignment,
  CompiledExperiment,
  ExperimentConfig,
  ExperimentStatus,
} from './domain/experiments.ts'
export { compileExperiment } from './domain/experiments.ts'
export type { CompiledFlag, FlagConfig, FlagEvaluation, Reason } from './domain/flags.ts'
export { compileFlag } from './domain/flags.ts'
export { murmur3 } from './domain/murmur3.ts'
export type { EvaluationContext, Rule } from './domain/targeting.ts'
export type { OpenAppOptions } from './open.ts'
export { openApp } from './open.ts'
