import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS } from '../support/clients.ts';
import { usePrisma } from './support/fixture.ts';

const prisma = usePrisma();

describe.each(CLIENT_KINDS)('Prisma on a %s client', (kind) => {
  it('creates and reads a user', async () => {
    const { db } = await prisma.open(kind);
    const created = await db.user.create({ data: { email: 'ada@example.com', name: 'Ada' } });
    expect(created).toMatchObject({ email: 'ada@example.com', name: 'Ada', role: 'USER', age: null });
    expect(await db.user.findUnique({ where: { id: created.id } })).toEqual(created);
  });
});
