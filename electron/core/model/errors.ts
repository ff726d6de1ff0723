export type ModelErrorCode = 'model-missing' | 'manifest-invalid' | 'onnx-checksum' | 'session-failed' | 'provider-failed';

/** A model that cannot be used, with a sentence a biologist can act on. */
export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}
