import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginChildRecord } from './child-registry';

export default function globalSetup(): void {
  beginChildRecord(join(tmpdir(), `wiz-test-children-${process.pid}.txt`));
}
