/**
 * drizzle-kit configuration: `npx drizzle-kit generate --name <what>` writes a migration for src/store/schema.ts.
 * drizzle-kit reads a default export, the one exception to named exports only.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/schema.ts',
  out: './src/store/migrations',
  strict: true,
});
