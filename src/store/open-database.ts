/**
 * Opens the gateway's SQLite database: private file modes, WAL, migrations. Fails with a StoreError whose `code` says
 * what the operator must fix, instead of a driver error at the first write.
 */
import { chmodSync, existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { startCheckpointer } from './checkpointer.js';
import { StoreError } from './errors.js';
import { schema } from './schema.js';

/** An open database: drizzle for schema and queries, the raw connection for the store's hot-path statements. */
export interface Database {
  /** Absolute path of the file, or `:memory:`. */
  readonly path: string;
  readonly orm: BetterSQLite3Database<typeof schema>;
  /** Only for code inside src/store. */
  readonly sqlite: BetterSqlite3.Database;
  /** Stops the checkpoint worker and closes the connection. Close the audit log first, so its queue is written. */
  close(): void;
}

export interface OpenDatabaseOptions {
  /** Checkpoint the WAL from a worker thread instead of on the writer's commits (default true; file databases). */
  readonly backgroundCheckpoints?: boolean;
}

/** How long a writer waits for another connection's lock (the CLI reading while the gateway writes). */
const BUSY_TIMEOUT_MS = 5_000;
const CHECKPOINT_INTERVAL_MS = 50;
/** The WAL is rewound past about 16 MB (4 KiB pages). */
const REWIND_PAGES = 4_000;
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Opens (creating if needed) the database at `path`, or `:memory:` for tests, and applies pending migrations. */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const inMemory = path === ':memory:';
  const file = inMemory ? path : resolve(path);
  if (!inMemory) createPrivateFile(file);
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(file);
  } catch (err) {
    throw classify(err, file);
  }
  try {
    // NORMAL in WAL mode: a commit is durable once write() returns, so it survives a crash of the process (kill -9)
    // though not of the machine; FULL would fsync every batch and cost most of the audit budget.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    sqlite.pragma('foreign_keys = ON');
    // The WAL file keeps its high-water size after a rewind unless told otherwise; a burst must not pin disk forever.
    sqlite.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
    const orm = drizzle({ client: sqlite, schema });
    applyMigrations(orm, file);
    if (!inMemory) restrictModes(file);
    const checkpointer =
      inMemory || options.backgroundCheckpoints === false
        ? undefined
        : startCheckpointer(sqlite, {
            intervalMs: CHECKPOINT_INTERVAL_MS,
            rewindPages: REWIND_PAGES,
          });
    const close = (): void => {
      checkpointer?.stop();
      sqlite.close();
    };
    return { path: file, orm, sqlite, close };
  } catch (err) {
    sqlite.close();
    throw err instanceof StoreError ? err : classify(err, file);
  }
}

/** Creates the directory (0700) and the file (0600) ourselves, so the file is never readable by others. */
function createPrivateFile(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // 'a' creates without truncating; an empty file is a valid empty SQLite database.
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  } catch (err) {
    throw new StoreError('store_not_writable', `cannot create the database ${file}: ${messageOf(err)}`, { cause: err });
  }
}

/** SQLite gives -wal and -shm the database file's mode; chmod anyway in case they predate a looser file. */
function restrictModes(file: string): void {
  for (const name of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(name)) chmodSync(name, 0o600);
  }
}

function applyMigrations(orm: BetterSQLite3Database<typeof schema>, file: string): void {
  const migrationsFolder = findMigrationsFolder();
  try {
    migrate(orm, { migrationsFolder });
  } catch (first) {
    // drizzle reads the applied migrations before it takes the write lock, so two processes opening a fresh
    // database at once can both try to apply them; the loser succeeds on a second pass, which sees them applied.
    try {
      migrate(orm, { migrationsFolder });
    } catch {
      const classified = classify(first, file);
      if (classified.code !== 'store_open_failed') throw classified;
      throw new StoreError('store_migration_failed', `cannot migrate ${file}: ${messageOf(first)}`, { cause: first });
    }
  }
}

/**
 * tsc does not copy .sql files into dist/, so look beside this module first (src/, or a build that copies them) and
 * then in src/store/migrations under the package root (the directory holding package.json).
 */
export function findMigrationsFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'migrations');
  if (existsSync(join(beside, 'meta', '_journal.json'))) return beside;
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const folder = join(dir, 'src', 'store', 'migrations');
      if (existsSync(join(folder, 'meta', '_journal.json'))) return folder;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  throw new StoreError('store_migration_failed', `cannot find the migrations folder (looked in ${beside})`);
}

function classify(err: unknown, file: string): StoreError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreError('store_not_a_database', `${file} is not a Portcullis database (${messageOf(err)})`, {
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR')) {
    return new StoreError('store_not_writable', `cannot write the database ${file}: ${messageOf(err)}`, { cause: err });
  }
  return new StoreError('store_open_failed', `cannot open the database ${file}: ${messageOf(err)}`, { cause: err });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
