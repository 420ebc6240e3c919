import { z } from 'zod';

// A model provider: any OpenAI-compatible endpoint. The API key goes in and never comes out:
// the stored copy is encrypted, and the API answers only whether one is set.
export const CreateProviderSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  baseUrl: z.url({ protocol: /^https?$/ }).max(2_000),
  apiKey: z.string().min(1).max(4_096),
  defaultModel: z.string().trim().min(1).max(200).optional(),
});
export type CreateProvider = z.infer<typeof CreateProviderSchema>;

export const ProviderSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  baseUrl: z.string(),
  defaultModel: z.string().nullable(),
  hasApiKey: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Provider = z.infer<typeof ProviderSchema>;
