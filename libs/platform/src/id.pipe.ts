import { PipeTransform } from '@nestjs/common';
import { isUuid, notFound } from '@wiz/contracts';

// A route's `:id`: not a UUID means no such thing (404, as for an unknown id), before any query.
export class IdPipe implements PipeTransform<string, string> {
  /** `kind`: what the id names, for the 404 message (job, agent, task…). */
  constructor(private readonly kind: string) {}

  transform(id: string): string {
    if (!isUuid(id)) throw notFound(this.kind, id);
    return id;
  }
}
