import { killLeftChildren } from './child-registry';

export default function globalTeardown(): void {
  const killed = killLeftChildren();
  if (killed.length) console.warn(`killed ${killed.length} process(es) the tests left running: ${killed.join(', ')}`);
}
