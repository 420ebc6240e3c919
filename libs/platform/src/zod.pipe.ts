import { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { parseOrThrow } from '@wiz/contracts';

// Validates a REST body or query against its contract schema: 400 with every issue otherwise.
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'body',
  ) {}

  transform(value: unknown): z.infer<S> {
    return parseOrThrow(this.schema, value, this.what);
  }
}
