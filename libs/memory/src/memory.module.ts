import { DynamicModule, ModuleMetadata, Module, Type } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { Embedder } from './embedder';
import { MemoryStore } from './memory.store';

// The memory store, with the embedder of the process that imports it (see Embedder).
@Module({})
export class MemoryModule {
  static withEmbedder(embedder: Type<Embedder>, imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: MemoryModule,
      imports: [PersistenceModule, QueueModule, ...imports],
      providers: [MemoryStore, { provide: Embedder, useClass: embedder }],
      exports: [MemoryStore],
    };
  }
}
