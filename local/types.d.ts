declare module 'dynalite' {
  import type http from 'node:http';
  function dynalite(options?: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; path?: string }): http.Server;
  export = dynalite;
}

declare module 'asl-validator' {
  function validator(definition: unknown): { isValid: boolean; errors: unknown[] };
  export default validator;
}
