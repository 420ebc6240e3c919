import type { z } from 'zod';

// Every REST route, described from the zod contracts: the source of the OpenAPI document.
// A test checks this table against the routes the app really registers.
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express style (`:id`); turned into `{id}` for OpenAPI. */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  status: number;
  response?: z.ZodType;
  /** Extra answers beside the error shape (e.g. 202 of execute). */
  also?: Record<number, { description: string; schema?: z.ZodType }>;
  public?: boolean;
  sse?: boolean;
}
