import { describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { CLIENT_KINDS } from '../support/clients.ts';
import { usePrisma } from './support/fixture.ts';

const prisma = usePrisma();

interface PrismaError {
  code: string;
  message: string;
  meta?: { modelName?: string; driverAdapterError?: { cause: Record<string, unknown> } };
}

async function rejection(promise: Promise<unknown>): Promise<PrismaError> {
  try {
    await promise;
  } catch (error) {
    return error as PrismaError;
  }
  throw new Error('expected a rejection');
}

describe.each(CLIENT_KINDS)('Prisma errors on a %s client', (kind) => {
  it('reports a unique violation as P2002 with the fields', async () => {
    const { db } = await prisma.open(kind);
    const ada = await db.user.create({
      data: { email: 'a@example.com', name: 'A', posts: { create: { title: 'T' } } },
    });
    const single = await rejection(db.user.create({ data: { email: 'a@example.com', name: 'B' } }));
    expect(single.code).toBe('P2002');
    expect(single.message).toContain('Unique constraint failed on the fields: (`email`)');
    expect(single.meta?.driverAdapterError?.cause).toMatchObject({
      kind: 'UniqueConstraintViolation',
      constraint: { fields: ['email'] },
      originalCode: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    const compound = await rejection(db.post.create({ data: { title: 'T', authorId: ada.id } }));
    expect(compound.code).toBe('P2002');
    expect(compound.meta?.driverAdapterError?.cause).toMatchObject({ constraint: { fields: ['authorId', 'title'] } });
    const primaryKey = await rejection(
      db.tag.create({ data: { id: 1, name: 'x' } }).then(() => db.tag.create({ data: { id: 1, name: 'y' } })),
    );
    expect(primaryKey.code).toBe('P2002');
    expect(primaryKey.meta?.driverAdapterError?.cause).toMatchObject({
      constraint: { fields: ['id'] },
      originalCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
    });
  });

  it('reports a not-null violation as P2011 with the field', async () => {
    const { db } = await prisma.open(kind);
    await db.user.create({ data: { email: 'a@example.com', name: 'A' } });
    const error = await rejection(
      db.profile.create({ data: { bio: null, user: { connect: { email: 'a@example.com' } } } }),
    );
    expect(error.code).toBe('P2011');
    expect(error.meta?.driverAdapterError?.cause).toMatchObject({
      kind: 'NullConstraintViolation',
      constraint: { fields: ['bio'] },
    });
    expect(await db.profile.count()).toBe(0);
  });

  it('reports a foreign key violation as P2003 and cascades deletes', async () => {
    const { db } = await prisma.open(kind);
    const error = await rejection(db.post.create({ data: { title: 'orphan', authorId: 999 } }));
    expect(error.code).toBe('P2003');
    expect(error.meta?.driverAdapterError?.cause).toMatchObject({ kind: 'ForeignKeyConstraintViolation' });
    await db.user.create({
      data: {
        email: 'a@example.com',
        name: 'A',
        posts: { create: [{ title: '1' }, { title: '2' }] },
        profile: { create: { bio: '' } },
      },
    });
    await db.user.delete({ where: { email: 'a@example.com' } });
    expect([await db.post.count(), await db.profile.count()]).toEqual([0, 0]);
  });

  it('reports a missing table as P2021', async () => {
    const { db } = await prisma.open(kind);
    await db.$executeRawUnsafe('DROP TABLE "Tag"');
    const error = await rejection(db.tag.findMany());
    expect(error.code).toBe('P2021');
    expect(error.message).toContain('Tag');
    expect((await rejection(db.tag.create({ data: { name: 'x' } }))).code).toBe('P2021');
  });

  it('reports a missing column as P2022', async () => {
    const { db } = await prisma.open(kind);
    await db.$executeRawUnsafe('ALTER TABLE "Scalars" DROP COLUMN "role"');
    const read = await rejection(db.scalars.findMany());
    expect(read.code).toBe('P2022');
    expect(read.meta?.driverAdapterError?.cause).toMatchObject({ kind: 'ColumnNotFound' });
    const write = await rejection(db.scalars.create({ data: { role: 'USER' } }));
    expect(write.code).toBe('P2022');
    expect(write.meta?.driverAdapterError?.cause).toMatchObject({ kind: 'ColumnNotFound', column: 'role' });
  });

  // Locally another connection can hold the file's write lock, and SQLite answers SQLITE_BUSY
  // after the timeout. On a replica client writes run on the primary's one writer, which queues
  // them behind an open transaction instead (PROTOCOL.md): they wait, and never fail busy.
  if (kind === 'local') {
    it('reports a database locked by another connection as a timeout (P1008)', async () => {
      const fixture = await prisma.open(kind, {}, { timeout: 50 });
      await fixture.db.user.count();
      const blocker = await open(fixture.clients.file);
      blocker.exec('BEGIN IMMEDIATE');
      try {
        const error = await rejection(fixture.db.user.create({ data: { email: 'a@example.com', name: 'A' } }));
        expect(error.code).toBe('P1008');
        expect(error.meta?.driverAdapterError?.cause).toMatchObject({
          kind: 'SocketTimeout',
          originalCode: expect.stringMatching(/^SQLITE_BUSY/),
        });
      } finally {
        blocker.exec('ROLLBACK');
        blocker.close();
      }
      await fixture.db.user.create({ data: { email: 'a@example.com', name: 'A' } });
      expect(await fixture.db.user.count()).toBe(1);
    });
  } else {
    it("queues a write behind another client's open write transaction, then runs it", async () => {
      const fixture = await prisma.open(kind);
      await fixture.db.user.count();
      const other = fixture.clients.another();
      const holder = await other.transaction('write');
      await holder.execute({ sql: 'INSERT INTO "User" (email, name) VALUES (?, ?)', args: ['b@example.com', 'B'] });
      let settled = false;
      const queued = fixture.db.user.create({ data: { email: 'a@example.com', name: 'A' } }).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await holder.commit();
      expect(await queued).toMatchObject({ email: 'a@example.com' });
      expect(await fixture.db.user.count()).toBe(2);
      other.close();
    });
  }

  it('reports any other SQLite failure with its extended code and message', async () => {
    const { db } = await prisma.open(kind);
    await db.$executeRawUnsafe('CREATE TABLE "Checked" ("n" INTEGER CHECK ("n" > 0))');
    const check = await rejection(db.$executeRawUnsafe('INSERT INTO "Checked" VALUES (?)', -1));
    expect(check.code).toBe('P2010');
    expect(check.meta?.driverAdapterError?.cause).toEqual({
      kind: 'sqlite',
      extendedCode: 275,
      message: 'CHECK constraint failed: n',
      originalCode: 'SQLITE_CONSTRAINT_CHECK',
      originalMessage: 'CHECK constraint failed: n',
    });
    const syntax = await rejection(db.$queryRawUnsafe('SELEC 1'));
    expect(syntax.meta?.driverAdapterError?.cause).toMatchObject({
      kind: 'sqlite',
      extendedCode: 1,
      message: 'near "SELEC": syntax error',
    });
    expect(syntax.message).toContain('SQLITE_ERROR');
  });
});

describe('Prisma errors on a replica client', () => {
  it('reports an unreachable primary as P1001 and still reads the local replica', async () => {
    const { db, clients } = await prisma.open('replica');
    await db.user.create({ data: { email: 'a@example.com', name: 'A' } });
    await clients.primary!.close();
    const error = await rejection(db.user.create({ data: { email: 'b@example.com', name: 'B' } }));
    expect(error.code).toBe('P1001');
    expect(error.meta?.driverAdapterError?.cause).toMatchObject({
      kind: 'DatabaseNotReachable',
      originalCode: 'PRIMARY_UNAVAILABLE',
    });
    expect(await db.user.findMany({ select: { email: true } })).toEqual([{ email: 'a@example.com' }]);
  });
});
