/**
 * Typings for the part of better-sqlite3-multiple-ciphers the catalog uses.
 *
 * The package ships index.d.ts but its package.json "exports" map does not
 * expose it, so under `moduleResolution: nodenext` TypeScript cannot find it
 * (TS7016). This mirrors the shipped declarations for the calls we make; drop
 * it once the package (or a `paths` entry in tsconfig) exposes its own types.
 */
declare module 'better-sqlite3-multiple-ciphers' {
  namespace Database {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }

    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      timeout?: number;
    }

    interface PragmaOptions {
      simple?: boolean;
    }

    interface Statement<BindParameters extends unknown[] = unknown[], Result = unknown> {
      readonly source: string;
      run(...params: BindParameters): RunResult;
      get(...params: BindParameters): Result | undefined;
      all(...params: BindParameters): Result[];
      iterate(...params: BindParameters): IterableIterator<Result>;
      /** Return only the first column; declare `Result` as that column's type. */
      pluck(toggleState?: boolean): this;
      raw(toggleState?: boolean): this;
      safeIntegers(toggleState?: boolean): this;
    }

    interface Database {
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly name: string;
      prepare<BindParameters extends unknown[] | object = unknown[], Result = unknown>(
        source: string,
      ): BindParameters extends unknown[] ? Statement<BindParameters, Result> : Statement<[BindParameters], Result>;
      transaction<F extends (...args: never[]) => unknown>(fn: F): (...args: Parameters<F>) => ReturnType<F>;
      exec(source: string): this;
      pragma(source: string, options?: PragmaOptions): unknown;
      close(): this;
    }
  }

  interface DatabaseConstructor {
    new (filename?: string | Buffer, options?: Database.Options): Database.Database;
  }

  const Database: DatabaseConstructor;
  export = Database;
}
