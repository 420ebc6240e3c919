import { z } from 'zod';

// An owner is a user or a team: `user:alice`, `team:core`, or any short name. Every resource
// belongs to one; an API key acts as one.
export const OwnerIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9:._@-]{0,99}$/i,
    'an owner is 1–100 letters, digits or ":._@-", e.g. "user:alice" or "team:core"',
  );

export const CreateApiKeySchema = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  /** Only an admin key may create a key for another owner. */
  ownerId: OwnerIdSchema.optional(),
  /** Only an admin key may create an admin key. */
  admin: z.boolean().optional(),
});
export type CreateApiKey = z.infer<typeof CreateApiKeySchema>;

export const ApiKeySchema = z.object({
  id: z.uuid(),
  ownerId: OwnerIdSchema,
  name: z.string().nullable(),
  /** The first characters of the key, to recognise it in a list (the rest is never stored). */
  prefix: z.string(),
  admin: z.boolean(),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** The answer to a key's creation: the only time the key itself is shown. */
export const CreatedApiKeySchema = ApiKeySchema.extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;

export const ApiKeyListQuerySchema = z.object({
  /** Admin only: the keys of this owner. */
  ownerId: OwnerIdSchema.optional(),
});
