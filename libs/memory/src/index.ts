export { MemoryStore } from './memory.store';
export type { MemoryHit, Metadata } from './memory.store';
export { Embedder } from './embedder';
export { BusEmbedder } from './bus-embedder';
export { MemoryModule } from './memory.module';
