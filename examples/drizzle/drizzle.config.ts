/**
 * drizzle-kit's configuration for the example. `npx drizzle-kit generate --config
 * examples/drizzle/drizzle.config.ts` writes a new migration to ./migrations after a schema
 * change (offline: it compares the schema with the last snapshot, no database needed).
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './examples/drizzle/schema.ts',
  out: './examples/drizzle/migrations',
});
