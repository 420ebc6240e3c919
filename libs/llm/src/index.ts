export { isContextTooLong } from './llm-errors';
export { LlmModule } from './llm.module';
export { LlmCallError, LlmService } from './llm.service';
export type { ResolvedModel } from './llm.service';
export { DEFAULT_PRICES, PriceTable } from './prices';
export type { Price } from './prices';
export { Deadline, DeadlineExceeded, raceAbort, untilAborted } from './deadline';
export { cleanModelText } from './model-text';
