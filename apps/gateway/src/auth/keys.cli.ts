import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '@wiz/config';
import { ApiKeysRepository, openStore, OwnerCaps, storeOptionsOf } from '@wiz/persistence';
import { OwnerIdSchema, parseOrThrow } from '@wiz/contracts';
import { runMain } from '@wiz/platform';
import { ApiKeysService } from '@wiz/gateway';

// `npm run keys -- create --owner <owner> [--admin] [--name <name>]`, `list --owner <owner>`,
// `revoke --owner <owner> --id <id>`: key management straight on the store (same
// DATABASE_URL / WIZ_DB_SCHEMA as the server), e.g. to make the first admin key.
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      owner: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean' },
      id: { type: 'string' },
    },
  });
  const config = loadConfig();
  const ds = await openStore(storeOptionsOf(config));
  try {
    const keys = new ApiKeysService(
      { ...config, WIZ_ADMIN_KEY: '' },
      new ApiKeysRepository(ds),
      new OwnerCaps(ds, config),
    );
    const ownerId = parseOrThrow(OwnerIdSchema, values.owner ?? '', '--owner');
    const as = { ownerId, admin: true, keyId: null };
    switch (positionals[0]) {
      case 'create': {
        const k = await keys.create(as, { ownerId, name: values.name, admin: values.admin ?? false });
        console.log(`created ${k.admin ? 'admin ' : ''}key ${k.id} for ${k.ownerId}; it is shown this once:\n${k.key}`);
        break;
      }
      case 'list':
        for (const k of await keys.list(as, ownerId))
          console.log(
            `${k.id}  ${k.prefix}…  ${k.admin ? 'admin' : '     '}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}  ${k.name ?? ''}`,
          );
        break;
      case 'revoke':
        await keys.revoke(as, values.id ?? '');
        console.log(`revoked ${values.id}`);
        break;
      default:
        throw new Error(
          'usage: npm run keys -- create|list|revoke --owner <owner> [--admin] [--name <name>] [--id <key id>]',
        );
    }
  } finally {
    await ds.destroy();
  }
}

runMain(main);
