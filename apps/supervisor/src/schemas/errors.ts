import { Type } from '@sinclair/typebox';

/** The contract's error body, for the OpenAPI document. */
export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ pattern: '^WSM_' }),
  error: Type.String(),
  message: Type.String(),
});
