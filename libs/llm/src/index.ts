export { isContextTooLong } from './llm-errors';
export { LlmModule } from './llm.module';
export { LlmCallError, LlmService } from './llm.service';
export type { ResolvedModel } from './llm.service';
export { Deadline, DeadlineExceeded, raceAbort, untilAborted } from './deadline';
export { cleanModelText } from './model-text';
