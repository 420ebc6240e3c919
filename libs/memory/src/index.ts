export { BusEmbedder } from './bus-embedder';
export { Embedder } from './embedder';
export { MemoryModule } from './memory.module';
export { MemoryStore } from './memory.store';
