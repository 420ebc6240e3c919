import { assertSqliteDriver } from './data-source';

describe(assertSqliteDriver.name, () => {
  it('passes where better-sqlite3 is installed', () => {
    expect(() => assertSqliteDriver()).not.toThrow();
  });

  it('says what is missing and what to do when it is not (a Postgres-only image)', () => {
    const missing = (id: string): string => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => assertSqliteDriver(missing)).toThrow(
      /DATABASE_URL is empty.*better-sqlite3 package is not installed.*WITH_SQLITE=false.*Set DATABASE_URL/,
    );
  });
});
