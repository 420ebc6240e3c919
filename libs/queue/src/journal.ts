import { EntityManager } from 'typeorm';

// What the units of a transaction changed in memory, so that a rolled-back transaction leaves
// the entities its callers hold as they were (StateChangesService then runs the units again).
export interface Journal {
  undo(): void;
}

const journals = new WeakMap<EntityManager, Array<() => void>>();

export function beginJournal(m: EntityManager): Journal {
  const undos: Array<() => void> = [];
  journals.set(m, undos);
  return {
    undo: () =>
      undos
        .splice(0)
        .reverse()
        .forEach((u) => u()),
  };
}

/** Records the current values of `keys` on `target`, to be restored if the transaction fails. */
export function recordBefore<T extends object>(m: EntityManager, target: T, keys: Array<keyof T>): void {
  const undos = journals.get(m);
  if (!undos) return;
  const before = keys.map((k) => [k, target[k]] as const);
  undos.push(() => before.forEach(([k, v]) => (target[k] = v)));
}
